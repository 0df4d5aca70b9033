"""Which ruleset judges a tree: its own rfcs/, else its compiled rules/, else the codex shipped with codex."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from codex.compiler import compile_rfcs, load_ruleset
from codex.config import CodexConfig
from codex.model import Ruleset
from codex.problems import Problem, ProblemError


@dataclass(frozen=True)
class LoadedRuleset:
    ruleset: Ruleset
    origin: str


def shipped_dir() -> Path:
    """The codex's own rfcs/ and rules/: packaged in the wheel, or the source checkout's."""
    packaged = Path(__file__).parent / "_shipped"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent


def load_active(root: Path, config: CodexConfig) -> LoadedRuleset:
    rfc_dir = root / config.rfcs
    if rfc_dir.is_dir():
        result = compile_rfcs(rfc_dir, root, config.rfc_base_url)
        if result.ruleset is None:
            raise ProblemError(result.problems)
        return LoadedRuleset(result.ruleset, f"{config.rfcs}/")
    compiled = root / config.rules / "ruleset.json"
    if compiled.is_file():
        return LoadedRuleset(_read(compiled, f"{config.rules}/ruleset.json"), f"{config.rules}/ruleset.json")
    shipped = shipped_dir() / "rules" / "ruleset.json"
    return LoadedRuleset(_read(shipped, "shipped ruleset"), "shipped codex")


def _read(path: Path, label: str) -> Ruleset:
    try:
        return load_ruleset(path)
    except (OSError, ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise ProblemError([Problem(path=label, message=f"unreadable ruleset: {first}",
                                    hint="recompile it with `codex compile`", kind="config")])
