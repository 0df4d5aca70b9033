"""The semgrep engine: one semgrep process for every semgrep rule over every target.

It runs semgrep's OCaml command line (``semgrep scan --experimental``, osemgrep), which skips pysemgrep's
Python start-up (0.15 s against 1.75 s on one file) and finds the same (tests/test_semgrep_equivalence.py);
when osemgrep fails, the same targets are checked again with pysemgrep and a problem says so.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import tempfile
from pathlib import Path

from codex.model import Rule
from codex.problems import Problem
from codex.semgrep_config import SemgrepMatcher, run_rules
from codex.semgrep_validate import find_semgrep, semgrep_version
from reviewer.engines import Job, Match
from reviewer.targets import Target, path_matches

# Target paths go on the command line, relative to their common directory (bench/semgrep_targets.py);
# a tree too large for one command line is split over processes run in turn.
ARGUMENT_BYTES = 1_000_000
# --disable-nosem: a `nosemgrep` comment would switch codex's rules off with no reason and no record; the only
# suppression is codex's own `codex: allow ID -- reason`.
SEMGREP_FLAGS = (
    "--json",
    "--metrics=off",
    "--disable-version-check",
    "--no-git-ignore",
    "--x-ignore-semgrepignore-files",
    "--quiet",
    "--timeout=30",
    "--disable-nosem",
)
ENGINES = {"osemgrep": ("--experimental",), "pysemgrep": ()}  # the flags that choose semgrep's command line
NOT_FOUND = Problem(
    message="semgrep was not found (beside the running Python, nor on PATH): the semgrep rules cannot run",
    hint="install codex with its dependencies into this environment (pip install codex-rfc)",
    kind="engine",
)


class SemgrepRun:
    """A semgrep subprocess started now and collected later, so other work overlaps with it."""

    def __init__(self, rules: list[Rule], targets: list[Target], engine: str = "osemgrep"):
        self.engine = engine
        self.rules = {r.id: r for r in rules}
        # semgrep runs in the targets' common directory on relative paths: with absolute paths from elsewhere
        # it spends ~4x longer per file deciding what to ignore (semgrep issue 11404; bench/semgrep_targets.py).
        self.cwd = Path(os.path.commonpath([t.abs_path.parent.absolute() for t in targets])) if targets else Path.cwd()  # base versions are absolute
        self.by_path = {os.path.relpath(t.abs_path, self.cwd): t for t in targets}
        self.problems: list[Problem] = []
        self.transient: set[str] = set()  # target paths with an error that may not recur (a timeout): never cached
        self._tmp = tempfile.TemporaryDirectory(prefix="codex-semgrep-")
        self._proc: subprocess.Popen[bytes] | None = None
        self._pending: list[list[str]] = []  # the command lines not yet run
        if not rules or not targets:
            return
        executable = find_semgrep()
        if executable is None:
            self.problems.append(NOT_FOUND)
            return
        config = Path(self._tmp.name) / "codex.json"  # JSON is YAML to semgrep, and much quicker to write
        directories = {d for path in self.by_path for d in path.split(os.sep)[:-1]}
        config.write_text(json.dumps({"rules": run_rules(rules, directories)}), encoding="utf-8")
        self._command = [executable, "scan", *SEMGREP_FLAGS, "--config", str(config)]
        self._pending = _argument_chunks(list(self.by_path), ARGUMENT_BYTES)
        self._start(self._pending.pop(0))

    def _start(self, paths: list[str]) -> None:
        """Start semgrep on the paths still there: semgrep refuses the whole scan over one target that is not
        (pysemgrep checks nothing; osemgrep exits 2), so a target deleted or moved since it was selected is left out,
        a problem of its own."""
        gone = [p for p in paths if not _regular_file(self.cwd / p)]
        self.problems += [self._gone(p) for p in gone]
        self._paths = [p for p in paths if p not in gone]
        if not self._paths:
            return
        env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off")
        self._out = open(Path(self._tmp.name) / "out.json", "wb")  # noqa: SIM115  # open while semgrep runs; collect() closes it
        self._err = open(Path(self._tmp.name) / "err.txt", "wb")  # noqa: SIM115
        self._proc = subprocess.Popen(
            [*self._command[:2], *ENGINES[self.engine], *self._command[2:], *(f"./{p}" for p in self._paths)],
            stdout=self._out,
            stderr=self._err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=self.cwd,
        )  # "./": no path is read as an option

    def collect(self) -> tuple[dict[str, list[Match]], list[Problem]]:
        """Wait for semgrep; its matches by target path, and what went wrong."""
        matches: dict[str, list[Match]] = {}
        while self._proc is not None or self._pending:
            if self._proc is None:  # every target of the last process was gone before it started
                self._start(self._pending.pop(0))
                continue
            failed = self._read(self._proc.wait(), matches)
            self._proc = None
            if isinstance(failed, list):  # a target went between the look and semgrep's: again without it
                self._start(failed)
            elif failed is not None and self.engine == "osemgrep":  # the same targets again with pysemgrep, said plainly
                self.problems.append(
                    Problem(
                        message=f"osemgrep failed ({failed}); semgrep rules ran with pysemgrep instead",
                        hint="a semgrep install or version codex does not know: run `semgrep --version`",
                        kind="fallback",
                    )
                )
                self.engine = "pysemgrep"
                self._start(self._paths)
            elif failed is not None:
                self.problems.append(
                    Problem(
                        message=f"semgrep failed ({failed}), no semgrep rule ran",
                        hint="a broken install or ruleset: run `semgrep --version` and `codex compile`",
                        kind="engine",
                    )
                )
            elif self._pending:
                self._start(self._pending.pop(0))
        self._tmp.cleanup()
        return matches, self.problems

    def _read(self, code: int, matches: dict[str, list[Match]]) -> str | list[str] | None:
        """Record one process's matches and problems; what went wrong when it checked nothing at all, or the paths to
        check again when semgrep refused some that went while it started (its results then are not kept)."""
        self._out.close()
        self._err.close()
        tmp = Path(self._tmp.name)
        try:
            output = json.loads((tmp / "out.json").read_text(encoding="utf-8", errors="replace") or "{}")
        except json.JSONDecodeError:
            output = {}
        stderr = (tmp / "err.txt").read_text(encoding="utf-8", errors="replace").strip()
        errors = output.get("errors", [])
        refused = {path for e in errors if (path := _relative(_refused_root(e))) in self._paths}
        if refused:  # each time one path fewer: this ends
            self.problems += [self._gone(p) for p in sorted(refused)]
            return [p for p in self._paths if p not in refused]
        if "results" not in output or (code != 0 and not output["results"]):  # a fatal error: semgrep checked nothing
            details = [" ".join(str(e.get("message", e.get("type", ""))).split()) for e in errors] or stderr.splitlines()[-1:]
            return f"exit code {code}: {'; '.join(details) or 'no output'}"
        for result in output["results"]:
            rule = self.rules.get(result.get("extra", {}).get("metadata", {}).get("codex_rule_id", ""))
            target = self.by_path.get(_relative(result.get("path", "")))
            # osemgrep ignores a rule's paths for targets named on its command line: codex applies them itself
            if rule is not None and target is not None and (target.scope_path is None or path_matches(rule.paths, target.scope_path)):
                start, end = result["start"], result["end"]
                matches.setdefault(target.path, []).append(
                    Match(  # semgrep counts columns in bytes, codex in characters
                        rule.id,
                        start["line"],
                        end["line"],
                        target.char_column(start["line"], start["col"]),
                        None,
                        "semgrep",
                        _fixed_lines(target, result),
                        target.char_column(end["line"], end["col"]),
                    )
                )
        for error in errors:
            if error.get("path"):  # osemgrep's "./" goes, from its messages too
                if "message" in error:
                    error["message"] = str(error["message"]).replace(error["path"], _relative(error["path"]))
                error["path"] = _relative(error["path"])
        self.problems += [self._problem(e) for e in errors]
        self.transient |= {self.by_path[e["path"]].path for e in errors if e.get("path") in self.by_path and not _the_files_own(e)}
        return None

    def _gone(self, path: str) -> Problem:
        """The problem of a target that semgrep cannot check because it is no longer the file codex selected."""
        try:
            status = os.lstat(self.cwd / path)
        except (FileNotFoundError, NotADirectoryError):
            what = "no longer there when semgrep ran (deleted or moved during the check)"
        except OSError as exc:
            what = f"cannot be read when semgrep ran ({exc.strerror})"
        else:
            what = "not a regular file when semgrep ran (replaced during the check)" if not stat.S_ISREG(status.st_mode) else "refused by semgrep"
        hint = "check again once the tree is settled"
        return Problem(path=self.by_path[path].path, message=f"{what}: not checked by the semgrep rules", hint=hint, kind="skipped")

    def _problem(self, error: dict) -> Problem:
        path = error.get("path")
        target = self.by_path.get(path or "")
        spans = error.get("spans") or [{}]
        line = spans[0].get("start", {}).get("line")
        message = " ".join(str(error.get("message", error.get("type", "error"))).split())
        if target and path:
            message = message.replace(path, target.path)  # paths in a report are relative to the root
        if path is None and error.get("level") == "error":  # not a file's error: a rule (or the run) failed
            rule = error.get("rule_id")
            if rule:  # semgrep prefixes the id with the config's path
                message = message.replace(rule, rule.rsplit(".", 1)[-1])
                rule = rule.rsplit(".", 1)[-1]
            return Problem(
                message=f"semgrep: {message}",
                kind="engine",
                hint=f"rule {rule} did not run; the other rules did" if rule else "run `codex compile` to see rule errors",
            )
        return Problem(
            path=target.path if target else path,
            line=line,
            message=f"semgrep: {message}",
            hint="semgrep rules skipped this part; the other rules still ran",
            kind="semgrep",
        )


_PARSE_ERRORS = {"Syntax error", "Lexical error", "Other syntax error", "AST builder error", "PartialParsing"}
_UNIX_ERROR = "Unix_error:"  # osemgrep's "Other syntax error" for a file it could not open (no permission): not the file's
_REFUSED_ROOT = re.compile(r"Invalid scanning root: (.+?)(?: is a symbolic link\.|$)", re.MULTILINE)


def _the_files_own(error: dict) -> bool:
    """An error the file's contents give every time (a parse error), one that can be cached with them."""
    return _error_type(error) in _PARSE_ERRORS and _UNIX_ERROR not in str(error.get("message"))


def _refused_root(error: dict) -> str:
    """The target semgrep refused the scan over ("Invalid scanning root", fatal to the whole run), else ``""``."""
    found = _REFUSED_ROOT.search(str(error.get("message", "")))
    return found[1] if found else ""


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _relative(path: str) -> str:
    """A result's path as codex gave it: osemgrep keeps the ``./`` of the command line, pysemgrep drops it."""
    return path.removeprefix("./")


def _error_type(error: dict) -> str:
    kind = error.get("type")
    return str(kind[0] if isinstance(kind, list) and kind else kind)


def _fixed_lines(target: Target, result: dict) -> str | None:
    """The matched lines with semgrep's ``fix`` spliced in for the matched span (``None`` without a fix)."""
    fix = result.get("extra", {}).get("fix")
    if fix is None:
        return None
    lines = target.lines
    start, end = result["start"], result["end"]
    if not 0 < start["line"] <= end["line"] <= len(lines):
        return None
    before = lines[start["line"] - 1][: target.char_column(start["line"], start["col"]) - 1]
    return before + fix + lines[end["line"] - 1][target.char_column(end["line"], end["col"]) - 1 :]


def _argument_chunks(paths: list[str], budget: int) -> list[list[str]]:
    """The paths in command lines that fit the OS limit: one chunk (one semgrep process) unless a huge tree needs more."""
    chunks: list[list[str]] = [[]]
    size = 0
    for path in paths:
        cost = len(os.fsencode(path)) + 3 + 8  # the string with "./", its NUL, its pointer
        if chunks[-1] and size + cost > budget:
            chunks.append([])
            size = 0
        chunks[-1].append(path)
        size += cost
    return chunks


class SemgrepEngine:
    """Rules whose ```yaml semgrep``` block semgrep matches, all in one process started first."""

    kind = "semgrep"
    matcher = SemgrepMatcher
    background = True

    def version(self) -> str:
        return semgrep_version()

    def identity(self, rule: Rule) -> str:
        return rule.content_hash()

    def start(self, jobs: list[Job], busy_cpus: int) -> SemgrepRun:
        rules = {r.id: r for _, rs in jobs for r in rs}
        return SemgrepRun(sorted(rules.values(), key=lambda r: r.id), [t for t, _ in jobs])


ENGINE = SemgrepEngine()
