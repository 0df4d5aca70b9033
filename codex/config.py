"""Project configuration: the ``[tool.codex]`` table of the checked repository's pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from codex.governance_config import GovernanceConfig
from codex.problems import Problem, ProblemError


MAX_FILE_BYTES = 1_000_000


class LlmConfig(BaseModel):
    """``[tool.codex.llm]``: the endpoint and limits of the LLM pass. The API key comes from the environment only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None
    base_url: str | None = None
    timeout: float = Field(60.0, gt=0, description="seconds per request")
    max_concurrency: int = Field(4, ge=1)
    budget: int | None = Field(None, ge=0, description="input tokens one run may send")
    cache_dir: str = ".codex/cache"
    cache_max_age_days: int = Field(30, ge=1, description="cached answers not used for this many days are dropped")
    max_retries: int = Field(2, ge=0)
    retry_delay: float = Field(1.0, ge=0, description="first backoff in seconds, doubled on each retry")
    context_lines: int = Field(3, ge=0, description="unchanged lines shown around each hunk")
    max_output_tokens: int | None = Field(1000, ge=1, description="completion tokens one answer may take (max_tokens)")
    price_input: float | None = Field(None, ge=0, description="price per million input tokens, for stats (any currency)")
    price_cached_input: float | None = Field(None, ge=0, description="price per million cached input tokens (default: price_input)")
    price_output: float | None = Field(None, ge=0, description="price per million output tokens")


class CodexConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rfcs: str = "rfcs"
    shipped: bool = True  # own RFCs extend the codex shipped with codex; false: they replace it
    disable: list[str] = []  # rule ids (shipped or own) that do not apply here
    rules: str = "rules"
    rfc_base_url: str | None = None
    default_branch: str | None = None
    cache_dir: str = ".codex/cache"  # the per-file result cache, relative to the repository root
    max_file_bytes: int = Field(MAX_FILE_BYTES, ge=1, description="larger files are not checked, and listed as such")
    lint_packages: tuple[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")], ...] = Field(
        (), description="packages libcst matcher classes may be imported from, besides codex.lints")
    test_paths: tuple[str, ...] = Field((), description="globs of the project's own test-support files, test code to rules with tests: exempt")
    governance: GovernanceConfig = GovernanceConfig()
    llm: LlmConfig = LlmConfig()


def load_config(root: Path) -> CodexConfig:
    path = root / "pyproject.toml"
    if not path.is_file():
        return CodexConfig()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError([Problem(path="pyproject.toml", message=f"cannot read: {exc}", hint="fix the TOML", kind="config")])
    try:
        return parse_config(document)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ProblemError([Problem(path="pyproject.toml", message=f"[tool.codex]{' ' + key if key else ''}: {err['msg']}",
                                    hint="see the configuration section of the README", kind="config")])


def parse_config(document: dict[str, object]) -> CodexConfig:
    """``[tool.codex]`` of a parsed pyproject.toml (absent: the defaults); a ``tool`` or ``tool.codex`` that is not a
    table is a ``ValidationError`` like any other bad value."""
    tool = document.get("tool", {})
    return CodexConfig.model_validate(tool.get("codex", {}) if isinstance(tool, dict) else tool)
