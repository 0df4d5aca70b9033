"""Which ruleset judges a tree: the codex shipped with codex, extended by the tree's own rfcs/ (else its compiled
rules/), less the rules its configuration disables."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from codex.config import CodexConfig
from codex.config_file import FromFile
from codex.model import Rule, Ruleset
from codex.problems import Problem, ProblemError
from codex.semgrep_config import SemgrepMatcher

if TYPE_CHECKING:
    from codex.compiler import Compilation

SHIPPED = "shipped codex"


@dataclass(frozen=True)
class LoadedRuleset:
    ruleset: Ruleset
    origin: str
    problems: tuple[Problem, ...] = ()  # why a stale ruleset is used: rfcs/'s compile problems
    shipped_rfcs: frozenset[str] = frozenset()  # ids of the RFCs that come from the shipped codex (their files are there)


class ConfigError(ProblemError):
    """A configuration mistake in choosing the rules (an unknown id to disable): exit 2, never a fail-open pass."""


def shipped_dir() -> Path:
    """The codex's own rfcs/ and rules/: packaged in the wheel, or the source checkout's."""
    packaged = Path(__file__).parent / "_shipped"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent


def load_active(root: Path, config: CodexConfig, stale_ok: bool = False, import_classes: bool = True) -> LoadedRuleset:
    """The ruleset that judges ``root``. When its rfcs/ do not compile, ``stale_ok`` falls back to the last
    good compiled ruleset (see ``last_good``), else to the shipped codex alone, with the compile problems attached;
    otherwise they are raised. ``import_classes=False`` compiles without importing any libcst matcher class
    (untrusted RFCs)."""
    shipped = shipped_ruleset() if extends_shipped(root, config) else None
    return with_shipped(_own(root, config, shipped, stale_ok, import_classes), shipped, config)


def with_shipped(own: LoadedRuleset | None, shipped: Ruleset | None, config: CodexConfig) -> LoadedRuleset:
    """Shipped and own rules as one ruleset, less ``disable``; an id there that names no rule is a config error."""
    if own is None and shipped is None:
        raise ProblemError(
            config.problem(
                f"{config.key('shipped')} = false and no {config.rfcs}/ nor {config.rules}/ruleset.json",
                hint="write RFCs (`codex new`), or use the shipped codex",
            )
        )
    parts = [(shipped, SHIPPED)] if shipped is not None else []
    if own is not None and own.origin:
        parts.append((own.ruleset, own.origin))
    rules = [rule for ruleset, _ in parts for rule in ruleset.rules]
    unknown = sorted(set(config.disable) - {r.id for r in rules})
    if unknown:
        raise ConfigError(
            config.problem(f"{config.key('disable')}: no rule {', '.join(unknown)} in the active rules", hint="list ids that `codex rules` shows")
        )
    problems = own.problems if own is not None else ()
    shipped_rfcs = frozenset(m.id for m in shipped.rfcs) if shipped is not None else frozenset()
    if len(parts) == 1 and not config.disable:
        return LoadedRuleset(with_links(parts[0][0], config.docs_url), parts[0][1], problems, shipped_rfcs)
    kept = tuple(sorted((r for r in rules if r.id not in config.disable), key=lambda r: r.id))
    rfcs = {m.id: m for ruleset, _ in parts for m in ruleset.rfcs if any(r.rfc.id == m.id for r in kept)}
    version = hashlib.sha256("\x1f".join([*(r.version for r, _ in parts), *sorted(config.disable)]).encode()).hexdigest()[:16]
    origin = " + ".join(origin for _, origin in parts) + (f", less {', '.join(sorted(config.disable))}" if config.disable else "")
    ruleset = Ruleset(version=version, rfcs=tuple(sorted(rfcs.values(), key=lambda m: m.id)), rules=kept)
    return LoadedRuleset(with_links(ruleset, config.docs_url), origin, problems, shipped_rfcs)


def extends_shipped(root: Path, config: CodexConfig) -> bool:
    """Do the tree's own rules come on top of the shipped codex? Not when configured off, nor in a tree that carries
    the shipped RFCs themselves (codex's own, installed editable or not)."""
    return config.shipped and not _carries_shipped(root / config.rfcs)


def _carries_shipped(rfc_dir: Path) -> bool:
    """Is every shipped RFC file in ``rfc_dir``, byte for byte?"""
    shipped = shipped_dir() / "rfcs"
    if rfc_dir.resolve() == shipped.resolve():
        return True
    try:
        return all((rfc_dir / f.name).is_file() and (rfc_dir / f.name).read_bytes() == f.read_bytes() for f in shipped.glob("*.md"))
    except OSError:
        return False


def _own(root: Path, config: CodexConfig, shipped: Ruleset | None, stale_ok: bool, import_classes: bool) -> LoadedRuleset | None:
    """The tree's own rules: its rfcs/ compiled (failing stale: to the last good compiled rules, else, with the
    shipped codex on, to no own rules at all), else its compiled rules/, else None."""
    rfc_dir = root / config.rfcs
    if rfc_dir.is_dir():
        from codex.compiler import compile_rfcs  # markdown-it and the RFC parser: only when there are RFCs to compile

        result = compile_rfcs(rfc_dir, root, config.rfc_base_url, config.lint_sources if import_classes else None)
        problems = result.problems + (id_collisions(result.rules, result.locations, shipped, config) if shipped else [])
        if not problems and result.ruleset is not None:
            problems = _semgrep_rejections(result, root, config)
        if not problems and result.ruleset is not None:
            return LoadedRuleset(result.ruleset, f"{config.rfcs}/")
        stale = last_good(root, config) if stale_ok else None
        if stale is not None and shipped is not None and id_collisions(list(stale.ruleset.rules), {}, shipped, config):
            stale = None  # compiled with the shipped codex off: its ids clash with the shipped ones
        if stale is None and shipped is not None and stale_ok:
            stale = LoadedRuleset(Ruleset.build([], []), "")  # the shipped codex alone
        if stale is None:
            raise ProblemError(*problems)
        notice = Problem(
            path=config.rfcs,
            kind="stale-ruleset",
            hint="fix the problems below and run `codex compile`",
            message=f"does not compile; checked with the last good ruleset, {stale.origin or 'the shipped codex alone'}",
        )
        return LoadedRuleset(stale.ruleset, stale.origin, (notice, *problems))
    compiled = root / config.rules / "ruleset.json"
    if compiled.is_file():
        rel = f"{config.rules}/ruleset.json"
        return compiled_own(_read(compiled, rel), rel, shipped, config)
    return None


def compiled_own(ruleset: Ruleset, origin: str, shipped: Ruleset | None, config: FromFile, fix: str = "in rfcs/") -> LoadedRuleset:
    """A compiled ruleset of the tree's own. One that reuses shipped ids (compiled with the shipped codex off, or
    before the shipped codex took the id) fails stale as rfcs/ that do not compile do: no own rules, the shipped
    codex alone, with the collisions attached. ``fix`` says where the ids are to be changed, ``config`` where the
    shipped codex is turned off."""
    collisions = id_collisions(list(ruleset.rules), {}, shipped, config) if shipped is not None else []
    if not collisions:
        return LoadedRuleset(ruleset, origin)
    notice = Problem(
        path=origin,
        kind="stale-ruleset",
        message="reuses shipped ids; checked with the shipped codex alone",
        hint=f"pick ids no shipped rule uses {fix} and run `codex compile`, or set {config.setting('shipped', 'false')}",
    )
    return LoadedRuleset(Ruleset.build([], []), "", (notice, *collisions))


def _semgrep_rejections(result: Compilation, root: Path, config: CodexConfig) -> list[Problem]:
    """The own semgrep rules semgrep rejects, each at its ```yaml semgrep``` block. Not asked again when rules/
    holds this very ruleset (`codex compile` validated it) or this semgrep version accepted these rules before (a
    memo in the cache directory)."""
    from codex.semgrep_config import semgrep_config
    from codex.semgrep_validate import semgrep_version, validate_semgrep

    rules = [r for r in result.rules if isinstance(r.matcher, SemgrepMatcher)]
    compiled = root / config.rules / "ruleset.json"
    try:
        version = result.ruleset.version if result.ruleset is not None else None
        if not rules or (compiled.is_file() and Ruleset.load(compiled).version == version):
            return []
    except (OSError, ValueError, ValidationError):
        pass  # an unreadable rules/ proves nothing: ask semgrep
    accepted = f"{semgrep_version()}\n{semgrep_config(rules)}"  # another semgrep may judge the same rules otherwise
    memo = root / config.cache_dir / "semgrep-accepted" / hashlib.sha256(accepted.encode()).hexdigest()[:32]
    if memo.is_file():
        return []
    problems = validate_semgrep(rules, {**result.locations, **result.semgrep_blocks})
    if not problems:
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            memo.touch()
        except OSError:
            pass  # no memo: semgrep is asked again next time
    return [p for p in problems if p.kind != "engine"]  # semgrep missing or broken: the check itself says so (exit 2)


def id_collisions(rules: list[Rule], locations: dict[str, tuple[str, int]], shipped: Ruleset, config: FromFile) -> list[Problem]:
    """Rules and RFCs of the tree's own reusing a shipped id: each at its RFC heading (an RFC at its front matter);
    the hint names where ``config`` was read to turn the shipped codex off."""
    turn_off = f"or set {config.setting('shipped', 'false')}"
    problems = []
    shipped_rfcs = {m.id: m for m in shipped.rfcs}
    for rfc_id, path in sorted({r.rfc.id: r.rfc.path for r in rules if r.rfc.id in shipped_rfcs}.items()):
        problems.append(
            Problem(
                path=path,
                line=2,
                message=f"RFC id {rfc_id} is a shipped RFC ({shipped_rfcs[rfc_id].title})",
                hint=f"give the RFC a number no shipped RFC uses (`codex new` hands one out), {turn_off}",
            )
        )
    for rule in rules:
        taken = shipped.rule(rule.id)
        if taken is not None:
            path, line = locations.get(rule.id, (rule.rfc.path, None))
            problems.append(
                Problem(
                    path=path,
                    line=line,
                    message=f"rule id {rule.id} is a shipped rule ({taken.title})",
                    hint=f"pick an id no shipped rule uses (`codex new` hands one out), {turn_off}",
                )
            )
    return problems


def shipped_ruleset() -> Ruleset:
    """The codex shipped with codex. Its RFC files are in codex's installation, not in the checked repository, so its
    rules carry no RFC address of their own (``docs_url`` gives them one: see ``with_links``)."""
    return _read(shipped_dir() / "rules" / "ruleset.json", "shipped ruleset")


def with_links(ruleset: Ruleset, docs_url: str | None) -> Ruleset:
    """``ruleset`` with every rule whose RFC has no http(s) address linking its page in the ``codex docs`` catalog
    published at ``docs_url`` (unchanged without one)."""
    if docs_url is None:
        return ruleset
    rules = tuple(
        rule if rule.rfc.web_url else rule.model_copy(update={"rfc": rule.rfc.model_copy(update={"url": f"{docs_url}/rules/{rule.id}.html"})})
        for rule in ruleset.rules
    )
    return ruleset.model_copy(update={"rules": rules})


def last_good(root: Path, config: CodexConfig) -> LoadedRuleset | None:
    """The compiled ruleset in the tree, else as committed at HEAD, else at the merge-base with the default branch."""
    import git

    from codex.git import default_base

    rel = f"{config.rules}/ruleset.json"
    try:
        return LoadedRuleset(_read(root / rel, rel), rel)
    except ProblemError:
        pass
    try:
        repo = git.Repo(root, search_parent_directories=True)
        if repo.bare or repo.working_tree_dir is None:
            return None
        in_repo = (root.resolve() / rel).relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
        revisions = ["HEAD"] if repo.head.is_valid() else []
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None
    with contextlib.suppress(ProblemError):  # no base to compare with: HEAD is the only place left to look
        revisions += [default_base(repo, config)] if revisions else []
    for revision in dict.fromkeys(revisions):
        try:
            text = repo.git.show(f"{revision}:{in_repo}")
            return LoadedRuleset(Ruleset.model_validate_json(text), f"{rel} at {revision[:12]}")
        except (git.GitCommandError, ValueError):
            continue
    return None


def _read(path: Path, label: str) -> Ruleset:
    try:
        return Ruleset.load(path)
    except (OSError, ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise ProblemError(Problem(path=label, message=f"unreadable ruleset: {first}", hint="recompile it with `codex compile`", kind="config")) from exc
