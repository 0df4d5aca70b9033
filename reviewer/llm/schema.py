"""What the model must answer: a JSON schema from a pydantic model, requested where supported, validated always."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Confidence = Literal["high", "medium", "low"]


class ModelFinding(BaseModel):
    """One violation as the model reports it, with its evidence: the flagged line's code and where the value at fault
    comes from (codex checks the quote against the line; see run._place)."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    path: str
    line: int
    quote: str = Field(description="the code of the flagged line, copied exactly")
    source: str = Field(description="where the value at fault comes from: the expression and its line")
    confidence: Confidence = Field(description="high: the code shown proves it; medium: it depends on code not shown; low: unsure")
    reason: str


class ModelAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findings: list[ModelFinding]


class Verdict(BaseModel):
    """A verifier's answer on one finding: refuted by the code shown, or upheld."""

    model_config = ConfigDict(extra="forbid")

    verdict: Literal["refuted", "upheld"]
    reason: str


def _response_format(name: str, model: type[BaseModel]) -> dict[str, object]:
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": model.model_json_schema()}}


RESPONSE_FORMAT = _response_format("codex_findings", ModelAnswer)

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.S)


class MalformedAnswer(Exception):
    """The answer is empty or not the JSON object asked for."""


def _json(content: str | None) -> object:
    if not content or not content.strip():
        raise MalformedAnswer("empty answer")
    fenced = _FENCE.match(content)
    try:
        return json.loads(fenced.group(1) if fenced else content)
    except json.JSONDecodeError as exc:
        raise MalformedAnswer(f"answer is not JSON ({exc.msg})") from None
    except RecursionError:
        raise MalformedAnswer("answer is nested too deeply to read") from None


def parse_answer(content: str | None) -> tuple[list[ModelFinding], int]:
    """The answer's findings, and how many entries were invalid (dropped one by one, not the whole answer)."""
    data = _json(content)
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise MalformedAnswer('answer is not an object with a "findings" list')
    findings: list[ModelFinding] = []
    invalid = 0
    for item in data["findings"]:
        try:
            findings.append(ModelFinding.model_validate(item, strict=False))
        except ValidationError:
            invalid += 1
    return findings, invalid


def parse_verdict(content: str | None) -> Verdict:
    try:
        return Verdict.model_validate(_json(content), strict=False)
    except ValidationError:
        raise MalformedAnswer('answer is not an object with a "verdict" of refuted or upheld') from None


T = TypeVar("T")


@dataclass(frozen=True)
class AnswerKind(Generic[T]):
    """What a request asks for: the ``response_format`` to request, and how to read the answer (``MalformedAnswer``
    when it cannot be read, which is retried)."""

    response_format: dict[str, object]
    parse: Callable[[str | None], T]


FINDINGS: AnswerKind[tuple[list[ModelFinding], int]] = AnswerKind(RESPONSE_FORMAT, parse_answer)
VERDICT: AnswerKind[Verdict] = AnswerKind(_response_format("codex_verdict", Verdict), parse_verdict)
