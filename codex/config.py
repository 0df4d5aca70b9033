"""Project configuration: the checked repository's ``.codex.toml``, ``codex.toml`` or ``[tool.codex]`` of its pyproject.toml."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError, field_validator

from codex.config_file import PYPROJECT, FromFile
from codex.governance_config import GovernanceConfig
from codex.model import Severity, is_rule_id, is_web_url
from codex.problems import Problem, ProblemError
from codex.rule_class import LintPackages

MAX_FILE_BYTES = 1_000_000


def _web_url(value: str) -> str:
    if not is_web_url(value):
        raise ValueError("must be an http(s) URL a reader can open (https://host/...)")
    return value.rstrip("/")


WebUrl = Annotated[str, AfterValidator(_web_url)]
ModelName = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class LlmConfig(FromFile):
    """``[tool.codex.llm]``: the endpoint and limits of the LLM pass. The API key comes from the environment only."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    _table: ClassVar[str] = "llm"

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
    models: dict[str, ModelName] = Field({}, description="a model per rule id or per severity (the rule id wins)")
    fallback_models: tuple[ModelName, ...] = Field((), description="asked in turn when a model is not found or fails with 5xx")
    verify: bool = Field(False, description="every judgment rule's findings that may block are verified (refuted or upheld)")
    verify_model: ModelName | None = Field(None, description="the model that verifies (default: the one that found)")

    @field_validator("models")
    @classmethod
    def _rule_or_severity(cls, models: dict[str, str]) -> dict[str, str]:
        severities = [s.value for s in Severity]
        for key in models:
            if not is_rule_id(key) and key not in severities:
                raise ValueError(f"{key!r} is neither a rule id (like CX0002) nor a severity ({', '.join(severities)})")
        return models


class CodexConfig(FromFile):
    model_config = ConfigDict(extra="forbid")

    rfcs: str = "rfcs"
    shipped: bool = True  # own RFCs extend the codex shipped with codex; false: they replace it
    disable: list[str] = Field(default_factory=list)  # rule ids (shipped or own) that do not apply here
    rules: str = "rules"
    rfc_base_url: WebUrl | None = Field(None, description="findings of own rules link <rfc_base_url>/<RFC path>#<anchor>")
    docs_url: WebUrl | None = Field(
        None,
        description="where a `codex docs` catalog is published: findings of rules without "
        "another http(s) link (every shipped rule) link <docs_url>/rules/<ID>.html",
    )
    default_branch: str | None = None
    cache_dir: str = ".codex/cache"  # the per-file result cache, relative to the repository root
    max_file_bytes: int = Field(MAX_FILE_BYTES, ge=1, description="larger files are not checked, and listed as such")
    lint_packages: tuple[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")], ...] = Field(
        (), description="packages libcst matcher classes may be imported from, besides codex.lints"
    )
    test_paths: tuple[str, ...] = Field((), description="globs of the project's own test-support files, test code to rules with tests: exempt")
    exclude: tuple[str, ...] = Field((), description="globs on repository-relative paths no rule checks (counted as excluded)")
    linguist: bool = Field(True, description="leave out the files .gitattributes marks linguist-generated or linguist-vendored")
    governance: GovernanceConfig = GovernanceConfig()
    llm: LlmConfig = LlmConfig()

    @property
    def lint_sources(self) -> LintPackages:
        """``lint_packages`` with the setting that lists them, for messages."""
        return LintPackages(self.lint_packages, self.setting("lint_packages"))

    def read_from(self, name: str) -> CodexConfig:
        """This configuration, and its tables, as read from the file ``name``."""
        self.llm, self.governance = self.llm.model_copy(), self.governance.model_copy()  # a default table is shared
        self._file = self.llm._file = self.governance._file = name
        return self


CONFIG_FILES = (".codex.toml", "codex.toml", PYPROJECT)
"""Where the configuration is read from, first found wins (as ruff's ``.ruff.toml`` > ``ruff.toml`` > ``pyproject.toml``);
a pyproject.toml without ``[tool.codex]`` does not count."""


def load_config(root: Path) -> CodexConfig:
    """The configuration of the repository at ``root``: the first of ``CONFIG_FILES`` that holds one."""
    return config_from(lambda name: _read(root / name))


DOCS_URL_VARIABLE = "CODEX_DOCS_URL"


def config_from(read: Callable[[str], str | None], where: str = "") -> CodexConfig:
    """The configuration from the first of ``CONFIG_FILES`` that ``read`` finds (None: absent) and that holds one,
    with ``docs_url`` from ``CODEX_DOCS_URL`` when that is set (CI publishing the catalog knows its address); a
    problem names the file that won, and ``where`` it was read (e.g. " at the target branch (…)")."""
    config = _from_files(read, where)
    docs_url = os.environ.get(DOCS_URL_VARIABLE, "").strip()
    if not docs_url:
        return config
    try:
        return config.model_copy(update={"docs_url": TypeAdapter(WebUrl).validate_python(docs_url)})
    except ValidationError as exc:
        raise ProblemError(
            Problem(
                path=DOCS_URL_VARIABLE,
                message=f"{docs_url!r}: {exc.errors()[0]['msg']}",
                hint="set it to the http(s) address of the published `codex docs` catalog, or unset it",
                kind="config",
            )
        ) from None


def _from_files(read: Callable[[str], str | None], where: str) -> CodexConfig:
    for name in CONFIG_FILES:
        text = read(name)
        if text is None:
            continue
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ProblemError(Problem(path=name, message=f"cannot read{where}: {exc}", hint="fix the TOML", kind="config")) from exc
        in_pyproject = name == PYPROJECT
        if in_pyproject and not _has_codex_table(document):
            continue
        try:
            config = parse_config(document) if in_pyproject else CodexConfig.model_validate(document)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in err["loc"])
            prefix = f"[tool.codex]{' ' + key if key else ''}" if in_pyproject else key
            raise ProblemError(
                Problem(path=name, message=f"{prefix}{where}: {err['msg']}", hint="see the configuration section of the README", kind="config")
            ) from exc
        return config.read_from(name)
    return CodexConfig()


def _has_codex_table(document: dict[str, object]) -> bool:
    """Does a pyproject.toml speak to codex (a ``tool`` that is not a table counts, to be reported as invalid)?"""
    tool = document.get("tool")
    return tool is not None and (not isinstance(tool, dict) or "codex" in tool)


def _read(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(Problem(path=path.name, message=f"cannot read: {exc}", hint="save it as UTF-8", kind="config")) from exc


def parse_config(document: dict[str, object]) -> CodexConfig:
    """``[tool.codex]`` of a parsed pyproject.toml (absent: the defaults); a ``tool`` or ``tool.codex`` that is not a
    table is a ``ValidationError`` like any other bad value."""
    tool = document.get("tool", {})
    return CodexConfig.model_validate(tool.get("codex", {}) if isinstance(tool, dict) else tool)
