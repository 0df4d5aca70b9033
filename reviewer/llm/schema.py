"""What the model must answer: a JSON schema from a pydantic model, requested where supported, validated always."""

from __future__ import annotations

import json
import re

from typing import Literal

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


RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "codex_findings", "strict": True, "schema": ModelAnswer.model_json_schema()},
}

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.S)


class MalformedAnswer(Exception):
    """The answer is empty or not the JSON object asked for."""


def parse_answer(content: str | None) -> tuple[list[ModelFinding], int]:
    """The answer's findings, and how many entries were invalid (dropped one by one, not the whole answer)."""
    if not content or not content.strip():
        raise MalformedAnswer("empty answer")
    fenced = _FENCE.match(content)
    try:
        data = json.loads(fenced.group(1) if fenced else content)
    except json.JSONDecodeError as exc:
        raise MalformedAnswer(f"answer is not JSON ({exc.msg})") from None
    except RecursionError:
        raise MalformedAnswer("answer is nested too deeply to read") from None
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
