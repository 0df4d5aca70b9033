"""The libcst engine: one parse per Python file, every applicable matcher batched in one visit.

Only the metadata providers the batched matchers declare (``METADATA_DEPENDENCIES``) are computed,
so a file checked only by position-only matchers never pays for scope analysis. Many files are
spread over worker processes (see ``PARALLEL_MIN_BYTES``).
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import io
import keyword
import os
import re
import tokenize
from pathlib import Path
from typing import TYPE_CHECKING

from codex.matchers import distribution_version
from codex.matchers.libcst import LibcstKind, LibcstMatcher
from codex.model import Rule
from codex.problems import Problem
from reviewer import python_ast
from reviewer.engines import ClassEngine, Job, Match, Results, crash_problem, fork_safety
from reviewer.git_lines import GitLines
from reviewer.targets import Target

if TYPE_CHECKING:  # libcst is imported when a file is checked, not when the engine is listed
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    from codex.lint import LintRule, Sighting

# Below this much source (bytes) one process is faster than starting workers. bench/libcst_parallel.py on
# 2 CPUs: 11 KB took 0.07 s alone vs 0.10 s with workers, 37 KB 0.22 s vs 0.17 s; set a little above the
# crossing since the semgrep process competes for the same CPUs.
PARALLEL_MIN_BYTES = 30_000

FileResult = tuple[list[Match], list[Problem]]
_worker_rules: dict[str, Rule] = {}
_hand_back = False  # in a worker forked amid another thread's import (or where that cannot be told): do no work


class LibcstEngine(ClassEngine):
    """Python rules written as codex.lint.LintRule classes (Fixit's style), batched in one visit per file."""

    kind = "libcst"
    matcher = LibcstMatcher
    base = LibcstKind.base

    def version(self) -> str:
        return distribution_version("libcst")

    def start(self, jobs: list[Job], busy_cpus: int) -> LibcstRun:
        return LibcstRun(jobs, busy_cpus)


class LibcstRun:
    """The files are checked when collected: in this process, or over workers when there is enough of them."""

    def __init__(self, jobs: list[Job], busy_cpus: int):
        self.jobs = jobs
        self.busy_cpus = busy_cpus
        self.transient: set[str] = set()

    def collect(self) -> Results:
        by_file = check_files(self.jobs, self.busy_cpus) if self.jobs else {}
        return {path: matches for path, (matches, _) in by_file.items()}, [p for _, problems in by_file.values() for p in problems]


ENGINE = LibcstEngine()


def check_file(target: Target, rules: list[Rule]) -> FileResult:
    """Run ``rules`` (all libcst-matched) over one file."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    from codex.lint import Sighting
    from reviewer.engines import libcst_positions

    source = target.data
    try:
        tree, too_deep = _cpython_parse(source)
    except SystemError as exc:  # CPython's AST constructor still unbalanced after a retry: said, never cached
        return [], [
            Problem(
                path=target.path,
                line=1,
                message=f"CPython's parser failed ({exc}); libcst rules skipped",
                kind="engine",
                hint="a fault of CPython 3.11 (gh-106905), not of the file: run the check again",
            )
        ]
    if too_deep:
        line, reason = too_deep
        return [], [
            Problem(
                path=target.path,
                line=line,
                message=f"not valid Python 3 ({reason}); libcst rules skipped",
                hint="generated or minified code is best left out through the rule's paths; the other rules still ran",
                kind="parse",
            )
        ]
    decided: list[Match] = []
    seen: Sighting | None = None
    text = _utf8_text(source)
    if tree is not None:  # what CPython's ast cannot parse goes to libcst whole, which knows newer grammar
        rules, seen = screened(rules, tree)
        gap = seen is not None and libcst_gap(seen, source) is not None  # parsed, so the file is reported as when a rule is kept
        if seen is not None and not gap:
            rules, decided = _decided(rules, seen, text)
        if not rules and not gap:
            return decided, []
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return decided, [_unparsed(target, tree, _gap_line(tree, source) or _error_line(exc), exc.message)]
    except cst.CSTValidationError as exc:  # libcst refusing a node its own parser built: a gap in libcst
        return decided, [_unparsed(target, tree, _gap_line(tree, source) or 1, str(exc))]
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:  # SyntaxError: an unknown encoding cookie
        return decided, [
            Problem(
                path=target.path,
                line=1,
                message=f"cannot decode as Python source ({exc}); libcst rules skipped",
                hint="save it as UTF-8 or declare its encoding",
                kind="parse",
            )
        ]
    except Exception as exc:  # e.g. a TypeError from inside libcst on code it mis-parses: that file's problem, not the run's end
        return decided, [_unparsed(target, tree, _gap_line(tree, source) or 1, str(exc))]
    if not rules:
        return decided, []
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    order = libcst_positions.SourceOrder() if tree is not None else None  # what CPython's ast can place
    visitors: list[tuple[Rule, LintRule]] = []
    problems: list[Problem] = []
    for rule in rules:
        try:
            visitors.append((rule, ENGINE.matcher_class(rule)()))
        except Exception as exc:  # a broken matcher class must not stop the other rules
            problems.append(crash_problem(rule, target, exc))
    try:
        wrapper.visit_batched([*(v for _, v in visitors), *([order] if order else [])])
    except Exception:
        order = None
        visitors = _isolate(wrapper, visitors, target, problems)
    if not any(v.flagged for _, v in visitors):
        return decided, problems
    try:
        if seen is None and tree is not None:  # no rule has a screen
            seen = Sighting.of(tree)
        nodes = {node for _, v in visitors for node, _, _ in v.flagged}
        positions, code = libcst_positions.positions(module, nodes, text, seen, order)
    except Exception as exc:  # e.g. too deeply nested: what the rules found cannot be placed on a line
        flagged = ", ".join(rule.id for rule, visitor in visitors if visitor.flagged)
        return decided, [
            *problems,
            Problem(
                path=target.path,
                line=1,
                kind="rule",
                hint="the other rules still ran",
                message=f"findings of {flagged} could not be placed ({type(exc).__name__}: {exc})",
            ),
        ]
    git = GitLines(code)
    matches = []
    for rule, visitor in visitors:
        for node, message, replacement in visitor.flagged:
            (line, column), (end_line, end_column) = (git.position(p.line, p.column) for p in (positions[node].start, positions[node].end))
            matches.append(
                Match(rule.id, line, end_line, column + 1, message, "libcst", _fixed_lines(module, code, node, replacement, line, end_line), end_column + 1)
            )
    return decided + matches, problems


def _decided(rules: list[Rule], seen: Sighting, text: str | None) -> tuple[list[Rule], list[Match]]:
    """The rules CPython's ast settles (``LintRule.decided``) taken out of the libcst pass, and their matches, placed where
    libcst would place them (both leave out an expression's parentheses). A rule stays in the pass when the source is not
    UTF-8 without a byte order mark (``ast`` counts columns in UTF-8 bytes of the line as decoded)."""
    kept, matches = [], []
    lines = _CPYTHON_LINE_END.split(text) if text is not None else []
    git = GitLines(text) if text is not None else None
    for rule in rules:
        try:
            found = ENGINE.matcher_class(rule).decided(seen)
        except Exception:  # a broken class: reported by the visit
            found = None
        if found is None or git is None:
            kept.append(rule)
            continue
        for node, message in found:
            (line, column), (end_line, end_column) = (
                git.position(at, characters(lines[at - 1], offset))
                for at, offset in ((node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0))
            )
            matches.append(Match(rule.id, line, end_line, column + 1, message, "libcst", None, end_column + 1))
    return kept, matches


def _utf8_text(source: bytes) -> str | None:
    """The source decoded when it is UTF-8 without a byte order mark, else None (``ast`` counts columns in UTF-8 bytes
    of the line as decoded; libcst's code is then this text)."""
    try:
        utf8 = codecs.lookup(tokenize.detect_encoding(io.BytesIO(source).readline)[0]).name == "utf-8"  # not utf-8-sig: a BOM
        return source.decode("utf-8") if utf8 else None
    except (UnicodeDecodeError, SyntaxError, LookupError):  # an unknown or invalid encoding cookie
        return None


_CPYTHON_LINE_END = re.compile(r"\r\n|\r|\n")  # as CPython's tokenizer and libcst end lines


def characters(line: str, offset: int) -> int:
    """The column in characters of ``offset``, counted by ``ast`` in UTF-8 bytes."""
    return len(line.encode()[:offset].decode())


def _fixed_lines(module: cst.Module, code: str, node: cst.CSTNode, replacement: cst.CSTNode | None, line: int, end_line: int) -> str | None:
    """Lines ``line``..``end_line`` (git's numbering) with ``replacement`` in ``node``'s place (None without one, or when
    the rewrite would reach other lines)."""
    import libcst as cst

    if replacement is None:
        return None
    before = code.split("\n")
    after = cst.ensure_type(module.deep_replace(node, replacement), cst.Module).code.split("\n")
    kept_after = len(before) - end_line  # lines after the finding, unchanged
    if kept_after < 0 or before[: line - 1] != after[: line - 1] or before[end_line:] != after[len(after) - kept_after :]:
        return None
    return "\n".join(text.removesuffix("\r") for text in after[line - 1 : len(after) - kept_after])


def check_files(jobs: list[tuple[Target, list[Rule]]], busy_cpus: int = 0) -> dict[str, FileResult]:
    """Every job, by target path: in this process for little work, else over worker processes on the CPUs
    other work (``busy_cpus``: semgrep) leaves."""
    workers = min((os.cpu_count() or 1) - busy_cpus, len(jobs))
    if workers < 2 or sum(len(t.text) for t, _ in jobs) < PARALLEL_MIN_BYTES:
        return {t.path: check_file(t, rules) for t, rules in jobs}
    from concurrent.futures.process import BrokenProcessPool  # here: listing the engine (keying the cache) never loads multiprocessing

    try:
        return _in_workers(jobs, workers)
    except (BrokenProcessPool, OSError):  # no processes to be had: the same work, here
        return {t.path: check_file(t, rules) for t, rules in jobs}


def _in_workers(jobs: list[tuple[Target, list[Rule]]], workers: int) -> dict[str, FileResult]:
    """The jobs over forked workers (no re-import per worker). A worker that inherited another thread's unfinished
    import (reviewer.engines.fork_safety) hands its files back, and they are checked here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    rules = {r.id: r for _, rs in jobs for r in rs}
    largest_first = sorted(jobs, key=lambda job: -len(job[0].text))  # no straggler at the end
    tasks = [(t.path, str(t.abs_path), t.language, t.scope_path, tuple(r.id for r in rs)) for t, rs in largest_first]
    for rule in rules.values():  # imported here, so a forked worker imports no matcher class
        with contextlib.suppress(Exception):  # a broken class is reported per file by the worker
            ENGINE.matcher_class(rule)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)  # fork: no re-import per worker
    fork_safety.wait_for_imports()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(rules,)) as pool:
        results = list(pool.map(_work, tasks, chunksize=max(1, len(tasks) // (workers * 8))))
    return {
        target.path: check_file(target, job_rules) if result is None else result for (target, job_rules), result in zip(largest_first, results, strict=True)
    }


def _init_worker(rules: dict[str, Rule]) -> None:
    global _hand_back
    _worker_rules.clear()
    _worker_rules.update(rules)
    fork_safety.unlock_cached_properties(Target)  # another thread may have been reading a file at the fork
    inherited = fork_safety.imports_in_progress()  # forked amid them: nothing here can finish them
    _hand_back = inherited is None or bool(inherited)


def _work(task: tuple[str, str, str, str, tuple[str, ...]]) -> FileResult | None:
    """One file checked in a worker; None from a worker that must not import (its files are checked in the parent)."""
    if _hand_back:
        return None
    path, abs_path, language, scope_path, rule_ids = task
    return check_file(Target(path, Path(abs_path), language, None, scope_path), [_worker_rules[i] for i in rule_ids])


def _isolate(wrapper: MetadataWrapper, visitors: list[tuple[Rule, LintRule]], target: Target, problems: list[Problem]):
    """A matcher raised inside the batched visit: rerun each alone so the others' results survive."""
    working = []
    for rule, visitor in visitors:
        fresh = type(visitor)()
        try:
            wrapper.visit_batched([fresh])
        except Exception as exc:
            problems.append(crash_problem(rule, target, exc))
            continue
        working.append((rule, fresh))
    return working


def _unparsed(target: Target, tree: ast.AST | None, line: int, reason: str) -> Problem:
    """libcst could not parse the file: broken or Python 2 source, or (when CPython parsed it) a gap in libcst."""
    if tree is None:
        return Problem(
            path=target.path,
            line=line,
            message=f"not valid Python 3 ({reason}); libcst rules skipped",
            hint="Python 2 or broken sources cannot be parsed; the other rules still ran",
            kind="parse",
        )
    return Problem(
        path=target.path,
        line=line,
        message=f"libcst cannot parse it, though CPython can ({reason}); libcst rules skipped",
        hint="valid Python libcst does not support: written otherwise (a space between a keyword and a parenthesis, "
        "no parentheses around an annotated name) every rule checks it; the other rules still ran",
        kind="parse",
    )


# Valid Python libcst (1.9) cannot parse, as CPython's ast shows it: a lambda or conditional expression in parentheses
# touching a keyword (``else(lambda: x)``, ``(a if b else c)if``: CSTValidationError or a TypeError from inside libcst),
# an annotated target in parentheses (``(x): int``), a class keyword before a ``*`` base (``class A(metaclass=M, *bases)``).
_KEYWORD_THEN_PAREN = re.compile(rb"(?<![\w.])(?:%s)\([\s(]*$" % b"|".join(k.encode() for k in keyword.kwlist))
_PAREN_THEN_WORD = re.compile(rb"^[\s)]*\)\w")
_WINDOW = 64  # bytes either side of an expression that are looked at


def libcst_gap(seen: Sighting, source: bytes) -> int | None:
    """The first line of a construct libcst is known to refuse though CPython parses it (see above), else None. Over-reports
    rather than under: such a file goes to libcst, which then parses it or says why not."""
    lines = [
        n.lineno for n in seen.nodes.get("AnnAssign", ()) if isinstance(n, ast.AnnAssign) and (n.lineno, n.col_offset) != (n.target.lineno, n.target.col_offset)
    ]
    for node in (n for n in seen.nodes.get("ClassDef", ()) if isinstance(n, ast.ClassDef)):
        stars = [(b.lineno, b.col_offset) for b in node.bases if isinstance(b, ast.Starred)]
        if stars and any((k.lineno, k.col_offset) < max(stars) for k in node.keywords):
            lines.append(node.lineno)
    expressions = [n for kind in ("Lambda", "IfExp") for n in seen.nodes.get(kind, ()) if isinstance(n, ast.expr)]
    if expressions:
        starts = [0]
        for text in source.split(b"\n"):
            starts.append(starts[-1] + len(text) + 1)
        for expression in expressions:
            begin = starts[expression.lineno - 1] + expression.col_offset
            end = starts[(expression.end_lineno or expression.lineno) - 1] + (expression.end_col_offset or 0)
            if _KEYWORD_THEN_PAREN.search(source[max(0, begin - _WINDOW) : begin]) or _PAREN_THEN_WORD.match(source[end : end + _WINDOW]):
                lines.append(expression.lineno)
    return min(lines, default=None)


def _gap_line(tree: ast.AST | None, source: bytes) -> int | None:
    """The line of a known libcst gap in a file CPython parsed (libcst's own errors name none, or the end of the file)."""
    from codex.lint import Sighting

    return libcst_gap(Sighting.of(tree), source) if tree is not None else None


def screened(rules: list[Rule], tree: ast.AST) -> tuple[list[Rule], Sighting | None]:
    """The rules whose ``SCREEN`` lets the file through (those without one always do), and what the screens saw
    (None when no rule has a screen)."""
    from codex.lint import Sighting

    seen: Sighting | None = None
    kept = []
    for rule in rules:
        try:
            screen = ENGINE.matcher_class(rule).SCREEN
        except Exception:  # a broken class: reported by the visit
            screen = None
        if screen is not None:
            seen = seen or Sighting.of(tree)
            if not screen.passes(seen):
                continue
        kept.append(rule)
    return kept, seen


def _cpython_parse(source: bytes) -> tuple[ast.AST | None, tuple[int, str] | None]:
    """CPython's ast of the file (None when it cannot parse it), or where its parser gives up on nesting
    (200 brackets, 100 indents, its recursion limit), and why.

    libcst's native parser does not fail there: it overflows its stack a few times deeper and the process
    dies (1,500 nested brackets, an 8,000-term expression). CPython cannot run such a file either, so it
    is reported, not parsed. Any other syntax error is libcst's to judge: it knows newer grammar.
    """
    try:
        return python_ast.parse(source), None
    except (RecursionError, MemoryError):
        return None, (1, "nested too deeply for CPython's parser")
    except SyntaxError as exc:
        if exc.msg.startswith("too many"):
            return None, (exc.lineno or 1, exc.msg)
    except ValueError:  # NUL bytes: libcst reports them
        pass
    return None, None


def _error_line(exc: cst.ParserSyntaxError) -> int:
    """The line the parser names in its message ("error at 2:10"); ``raw_line`` can be the line after."""
    named = re.search(r"error at (\d+):\d+", exc.message)
    return int(named.group(1)) if named else exc.raw_line
