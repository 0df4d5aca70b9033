"""The ``stats`` of a report: what one run did (or what the shards of a merged run did), typed.

Part of the JSON contract: the fields serialise in declaration order, which is the order of the keys in a report.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer


class _Stats(BaseModel):
    model_config = ConfigDict(extra="forbid")
    OMITTED_WHEN_NONE: ClassVar[tuple[str, ...]] = ()  # optional keys left out of the JSON, rather than null, when unset

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        data: dict[str, object] = handler(self)
        for key in self.OMITTED_WHEN_NONE:
            if data.get(key) is None:
                data.pop(key, None)
        return data


class RulesetStats(_Stats):
    version: str | None
    origin: str
    rules: int


class RuleHealthStats(_Stats):
    files_seen: int
    files_hit: int


class GovernanceStats(_Stats):
    date: dt.date  # the date rollouts were judged on
    held: list[str]  # rules the health guard held at warn
    rules: dict[str, RuleHealthStats]


class CacheStats(_Stats):
    dir: str
    hits: int
    misses: int


class LlmNotRun(_Stats):
    """The LLM pass skipped (no judgment rules, ``--no-llm``, no endpoint) or failed before it could ask."""

    status: Literal["skipped", "failed"]
    reason: str
    rules: list[str]
    unreviewed: list[str]
    require_llm_failed: bool = False


class HunkStats(_Stats):
    routed: int
    sent: int
    over_budget: int
    failed: int
    helpers: int = 0  # definitions of repository-local functions the sent hunks call, shown with them as context
    helpers_left_out: int = 0  # such definitions not shown: they did not fit the budget


class RuleCost(_Stats):
    tokens_in: int
    tokens_cached: int  # of tokens_in, served from the endpoint's prompt cache
    tokens_out: int
    requests: int
    cache_hits: int
    findings: int
    not_reviewed: int
    prefilter_skipped: int  # hunks the rule's prefilter turned away
    cost: float | None = None  # with [tool.codex.llm] prices only; absent from the JSON otherwise

    OMITTED_WHEN_NONE = ("cost",)


class FileSkipped(_Stats):
    path: str
    reason: str


class VerificationStats(_Stats):
    """Findings that may block, sent back to be refuted: requests answered, and the verdicts."""

    requests: int
    upheld: int
    refuted: int  # dropped
    failed: int  # the verification failed: kept as warnings that need human review


class FallbackStats(_Stats):
    model: str  # given up on for the rest of the run
    reason: str
    to: str | None  # the model asked instead; None when none was left


class LlmRan(_Stats):
    """The LLM pass asked its endpoint (or answered from its cache): what it cost and what it dropped."""

    status: Literal["ran"]
    model: str
    endpoint: str
    key_withheld: bool
    tokenizer: str | None
    budget: int | None
    requests: int
    failed_requests: int
    tokens_in: int
    tokens_cached: int
    tokens_out: int
    cost: float | None  # with [tool.codex.llm] prices; None without
    cache_hits: int
    prefilter_skipped: int  # (rule, hunk) pairs a rule's prefilter turned away
    files_skipped: list[FileSkipped]  # generated, vendored, minified or lock files, not sent
    hunks: HunkStats
    dropped: dict[str, int]  # model findings dropped, by reason
    moved: int  # model findings moved to the one other added line their quote names
    confidence: dict[str, int]  # kept model findings by confidence
    verification: VerificationStats | None = None  # when a rule or the configuration asks for it; absent otherwise
    models: dict[str, int] = {}  # requests answered, per model
    fallbacks: list[FallbackStats] = []
    rules: list[str]
    per_rule: dict[str, RuleCost]
    unreviewed: list[str]
    require_llm_failed: bool = False

    OMITTED_WHEN_NONE = ("verification",)


LlmStats = Annotated[LlmNotRun | LlmRan, Field(discriminator="status")]


class RunStats(_Stats):
    """One ``codex check`` run."""

    mode: str
    ruleset: RulesetStats
    files_changed: int
    files_checked: int
    files_excluded: int = 0  # by the configuration's exclude, or marked generated/vendored in .gitattributes
    findings: int
    blocking: int
    outside_diff: int  # findings on lines the change did not touch
    preexisting: int  # on changed lines, but already in the base version
    base: str | None  # what the change was compared with
    governance: GovernanceStats
    llm: LlmStats
    cache: CacheStats | None
    seconds: dict[str, float]
    shard: str | None = None  # "I/N" under ``--shard``; absent from the JSON otherwise

    OMITTED_WHEN_NONE = ("shard",)


class ShardSeconds(_Stats):
    slowest_shard: float
    all_shards: float


class MergedStats(_Stats):
    """``codex merge`` of shard reports: the counts added up."""

    mode: str | None
    base: str | None
    ruleset: RulesetStats | None
    shards: list[str | None]
    files_changed: int
    files_checked: int
    files_excluded: int = 0  # by the configuration's exclude, or marked generated/vendored in .gitattributes
    outside_diff: int
    preexisting: int
    seconds: ShardSeconds
    findings: int
    blocking: int


ReportStats = RunStats | MergedStats
