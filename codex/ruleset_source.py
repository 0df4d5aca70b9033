"""Which ruleset judges a tree: its own rfcs/, else its compiled rules/, else the codex shipped with codex."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from codex.config import CodexConfig
from codex.model import Ruleset
from codex.problems import Problem, ProblemError


@dataclass(frozen=True)
class LoadedRuleset:
    ruleset: Ruleset
    origin: str
    problems: tuple[Problem, ...] = ()  # why a stale ruleset is used: rfcs/'s compile problems


def shipped_dir() -> Path:
    """The codex's own rfcs/ and rules/: packaged in the wheel, or the source checkout's."""
    packaged = Path(__file__).parent / "_shipped"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent


def load_active(root: Path, config: CodexConfig, stale_ok: bool = False, import_classes: bool = True) -> LoadedRuleset:
    """The ruleset that judges ``root``. When its rfcs/ do not compile, ``stale_ok`` falls back to the last
    good compiled ruleset (see ``last_good``) with the compile problems attached; otherwise they are raised.
    ``import_classes=False`` compiles without importing any libcst matcher class (untrusted RFCs)."""
    rfc_dir = root / config.rfcs
    if rfc_dir.is_dir():
        from codex.compiler import compile_rfcs  # markdown-it and the RFC parser: only when there are RFCs to compile

        result = compile_rfcs(rfc_dir, root, config.rfc_base_url, config.lint_packages if import_classes else None)
        if result.ruleset is not None:
            return LoadedRuleset(result.ruleset, f"{config.rfcs}/")
        stale = last_good(root, config) if stale_ok else None
        if stale is None:
            raise ProblemError(result.problems)
        notice = Problem(path=config.rfcs, kind="stale-ruleset", message=f"does not compile; checked with the last good ruleset, {stale.origin}",
                         hint="fix the problems below and run `codex compile`")
        return LoadedRuleset(stale.ruleset, stale.origin, (notice, *result.problems))
    compiled = root / config.rules / "ruleset.json"
    if compiled.is_file():
        return LoadedRuleset(_read(compiled, f"{config.rules}/ruleset.json"), f"{config.rules}/ruleset.json")
    return LoadedRuleset(shipped_ruleset(), "shipped codex")


def shipped_ruleset() -> Ruleset:
    """The codex shipped with codex, its RFC links pointing at the packaged RFC files."""
    base = shipped_dir()
    ruleset = _read(base / "rules" / "ruleset.json", "shipped ruleset")
    rules = tuple(
        rule if rule.rfc.url else
        rule.model_copy(update={"rfc": rule.rfc.model_copy(update={"url": f"{(base / rule.rfc.path).as_uri()}#{rule.rfc.anchor}"})})
        for rule in ruleset.rules
    )
    return ruleset.model_copy(update={"rules": rules})


def last_good(root: Path, config: CodexConfig) -> LoadedRuleset | None:
    """The compiled ruleset in the tree, else as committed at HEAD, else at the merge-base with the default branch."""
    import git

    from reviewer.changes import default_base

    rel = f"{config.rules}/ruleset.json"
    try:
        return LoadedRuleset(_read(root / rel, rel), rel)
    except ProblemError:
        pass
    try:
        repo = git.Repo(root, search_parent_directories=True)
        if repo.bare:
            return None
        in_repo = (root.resolve() / rel).relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
        revisions = ["HEAD"] if repo.head.is_valid() else []
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None
    try:
        revisions += [default_base(repo, config.default_branch)] if revisions else []
    except ProblemError:
        pass  # no base to compare with: HEAD is the only place left to look
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
        raise ProblemError([Problem(path=label, message=f"unreadable ruleset: {first}",
                                    hint="recompile it with `codex compile`", kind="config")])
