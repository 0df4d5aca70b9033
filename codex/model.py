"""The rule model: what an RFC compiles into, and what every other part of codex reads."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, SerializeAsAny, SerializerFunctionWrapHandler, model_serializer


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


class Stage(str, Enum):
    """How a finding is treated: recorded only, shown, or failing the check."""

    shadow = "shadow"
    warn = "warn"
    block = "block"


class RfcStatus(str, Enum):
    draft = "draft"
    accepted = "accepted"
    deprecated = "deprecated"
    superseded = "superseded"


class RfcRef(Frozen):
    """Where a rule comes from; every finding carries one."""

    id: str
    title: str
    path: str
    anchor: str
    url: str | None = None

    @property
    def link(self) -> str:
        """Where the RFC section is, for readers of the repository that holds it (its url, else path#anchor)."""
        return self.url or f"{self.path}#{self.anchor}"

    @property
    def web_url(self) -> str | None:
        """The address any reader can open: ``url`` when it is http(s), else None (never a file path or file: URI)."""
        return self.url if self.url and is_web_url(self.url) else None


class PathFilter(Frozen):
    """Glob patterns (``**`` spans directories) matched against root-relative paths."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


class Prefilter(Frozen):
    """A cheap text test: a file or hunk that matches none of these cannot match the rule."""

    keywords: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()


class MatcherConfig(Frozen):
    """How a rule is matched: ``kind`` names its matcher kind (codex/matchers), which defines the rest."""

    kind: str


class ClassMatcher(MatcherConfig):
    """A matcher that is a class (the libcst and tree-sitter kinds): ``rule_class`` names it, as 'package.module:ClassName'."""

    rule_class: str


class LlmMatcher(MatcherConfig):
    kind: Literal["llm"] = "llm"
    question: str = Field(description="what the reviewer model must judge")
    do_not_flag: tuple[str, ...] = Field((), description="cases the reviewer model must not report, stated in its prompt")
    verify: bool = Field(False, description="a finding that may block is sent back to be refuted; only one that survives blocks")


def _matcher_of_kind(value: object) -> object:
    """A matcher read from JSON, as the model its matcher kind defines (the registry is imported only here)."""
    if not isinstance(value, dict):
        return value
    if value.get("kind") == "llm":
        return LlmMatcher.model_validate(value)
    from codex.matchers import REGISTRY, matcher_kind

    kind = value.get("kind")
    if kind not in REGISTRY:
        raise ValueError(f"unknown matcher kind {kind!r} (known: llm, {', '.join(REGISTRY)})")
    return matcher_kind(str(kind)).matcher.model_validate(value)


Matcher = Annotated[SerializeAsAny[MatcherConfig], BeforeValidator(_matcher_of_kind)]
TestCode = Literal["checked", "exempt"]


class Example(Frozen):
    """A fenced ``bad`` or ``good`` block under a rule, or an annotated example ``file`` it names.

    ``expected`` are the lines that must be flagged: those marked ``ruleid:`` (and ``todook:``, a known
    false positive). ``source`` is the file's repository-relative path; path filters do not apply to it.
    ``fixed`` is a bad block's code with every fix of the rule applied, from a ``fixed`` block after it
    (Fixit's ``expected_replacement``); None when the RFC states none.
    """

    verdict: Literal["bad", "good", "file"]
    language: str
    code: str
    filename: str
    expected: tuple[int, ...] = ()
    source_line: int
    source: str | None = None
    fixed: str | None = None


class Cohort(Frozen):
    """One step of a rule's rollout: ``stage`` on ``paths`` (everywhere when empty) from ``since`` on."""

    paths: tuple[str, ...] = ()
    stage: Stage
    since: dt.date | None = None


class Rule(Frozen):
    id: str
    title: str
    need: str
    use: str
    severity: Severity
    stage: Stage
    languages: tuple[str, ...]
    paths: PathFilter = PathFilter()
    prefilter: Prefilter | None = None
    matcher: Matcher
    tests: TestCode = "checked"  # "exempt": findings in test code (reviewer/test_code.py decides) are dropped
    description: str = ""
    examples: tuple[Example, ...] = ()
    metadata: dict[str, Any] = {}
    rfc: RfcRef
    rollout: tuple[Cohort, ...] = ()

    @property
    def message(self) -> str:
        return statement(self.need, self.use)

    def content_hash(self) -> str:
        """Hash of everything that decides what the rule finds (used by caches)."""
        payload = self.model_dump(mode="json", include={"id", "languages", "paths", "prefilter", "matcher", "tests"})
        return _digest(payload)


class RfcMeta(Frozen):
    id: str
    title: str
    status: RfcStatus
    path: str
    authors: tuple[str, ...]
    created: dt.date
    incidents: tuple[str, ...] = ()
    supersedes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # for code-scanning filters (SARIF ``properties.tags``)
    security_severity: float | None = None  # 0.1-10.0: the RFC's rules are security rules (SARIF ``security-severity``)

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Without tags or security severity, the JSON (and so the ruleset's version) is what it was before they existed."""
        data: dict[str, Any] = handler(self)
        for key, unset in (("tags", ()), ("security_severity", None)):
            if key in data and data[key] in (unset, []):
                del data[key]
        return data


class Ruleset(Frozen):
    """The compiled codex: ``rules/ruleset.json``."""

    version: str
    rfcs: tuple[RfcMeta, ...]
    rules: tuple[Rule, ...]
    _index: tuple[tuple[Rule, ...], dict[str, Rule]] | None = PrivateAttr(None)  # (the rules it indexes, by id)

    @classmethod
    def build(cls, rfcs: list[RfcMeta], rules: list[Rule]) -> Ruleset:
        rfcs = sorted(rfcs, key=lambda r: r.id)
        rules = sorted(rules, key=lambda r: r.id)
        body = {
            "rfcs": [r.model_dump(mode="json") for r in rfcs],
            "rules": [r.model_dump(mode="json") for r in rules],
        }
        return cls(version=_digest(body), rfcs=tuple(rfcs), rules=tuple(rules))

    @classmethod
    def load(cls, path: Path) -> Ruleset:
        """A compiled ruleset (``rules/ruleset.json``)."""
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id: by an index built once for these very rules (a ``model_copy`` with other rules
        carries the old index along, and the identity check rebuilds it)."""
        if self._index is None or self._index[0] is not self.rules:
            self._index = (self.rules, {r.id: r for r in self.rules})
        return self._index[1].get(rule_id)


RULE_ID = r"[A-Z][A-Z0-9]*\d{3,}"  # capital letters (digits may follow), then at least three digits: CX0001


def is_web_url(text: str) -> bool:
    """An absolute http(s) URL with a host."""
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_rule_id(text: str) -> bool:
    return re.fullmatch(RULE_ID, text) is not None


def statement(need: str, use: str) -> str:
    """A rule's statement in the RFC's own order."""
    return f"If you need {need}, use {use}."


def _digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
