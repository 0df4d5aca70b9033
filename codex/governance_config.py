"""``[tool.codex.governance]``: where run history goes, and the thresholds of the health guard and of rollout plans."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from codex.config_file import FromFile
from codex.history_location import parse_location


class GovernanceConfig(FromFile):
    model_config = ConfigDict(extra="forbid", frozen=True)
    _table: ClassVar[str] = "governance"

    history: str = Field(".codex/history.sqlite", description="SQLite file or sqlite:/// or postgresql:// URL recording runs; empty to record nothing")
    history_timeout: float = Field(
        5.0, gt=0, le=300, description="seconds a history database may take to record or read a run, connecting and every statement included"
    )
    health_max_share: float = Field(0.8, gt=0, le=1, description="a rule firing on more than this share of the files it sees is held at warn")
    health_min_files: int = Field(10, ge=1, description="... when it fires on at least this many files")
    promote_min_runs: int = Field(20, ge=1, description="runs a rule must have seen files in before a promotion is proposed")
    promote_min_repositories: int = Field(1, ge=1, description="repositories those runs must come from")
    promote_max_override_rate: float = Field(0.05, ge=0, le=1, description="highest override rate that still allows a promotion")
    demote_min_override_rate: float = Field(0.3, ge=0, le=1, description="override rate from which a demotion is proposed")
    demote_min_hits: int = Field(5, ge=1, description="findings a rule must have before its override rate counts")

    @field_validator("history")
    @classmethod
    def _supported_location(cls, value: str) -> str:
        try:
            parse_location(value)
        except ValueError as exc:
            raise PydanticCustomError("history_location", str(exc)) from None
        return value


def make_private_dir(directory: Path) -> None:
    """Create a directory for codex's own files; a ``.codex/`` around it gets a ``.gitignore`` (if it has none) so they stay out of git."""
    directory.mkdir(parents=True, exist_ok=True)
    private = next((d for d in (directory, *directory.parents) if d.name == ".codex"), None)
    if private is not None and not (private / ".gitignore").exists():
        (private / ".gitignore").write_text("*\n", encoding="utf-8")
