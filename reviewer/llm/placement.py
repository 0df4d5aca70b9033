"""Where a model's findings land: the added line whose code the finding quotes, in a hunk its rule was asked about;
findings that cite no such line, an unknown rule, or low confidence are dropped and counted, never kept silently."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codex.model import Rule
from reviewer.llm.client import Reply
from reviewer.llm.hunks import Hunk
from reviewer.llm.plan import Request
from reviewer.llm.schema import ModelFinding
from reviewer.llm.verify import Candidate

_LABEL = re.compile(r"^\d+[+ ] ?")  # "12+ " copied from the diff's rendering
FindingsReply = Reply[tuple[list[ModelFinding], int]]


@dataclass
class Kept:
    """The findings kept of one rule on one hunk, and the model that answered (their cache entry is under it)."""

    rule: Rule
    hunk: Hunk
    context: tuple[Hunk, ...]  # the helpers shown with the hunk
    model: str
    found: list[Candidate] = field(default_factory=list)


class Placement:
    """Places the findings of every answer of one run, counting what it drops (``dropped``) and moves (``moved``)."""

    def __init__(self) -> None:
        self.dropped = dict.fromkeys(("unknown_rule", "not_a_changed_line", "quote_mismatch", "low_confidence", "invalid"), 0)
        self.moved = 0  # findings whose quote is on another added line of their hunk than the one cited

    def keep(self, request: Request, answer: FindingsReply) -> list[Kept]:
        """Findings placed on an added line of a hunk asked about their rule (``_place``), high or medium
        confidence, per (rule, hunk) asked; the rest dropped and counted."""
        kept = {(rule.id, item.hunk): Kept(rule, item.hunk, item.context, answer.model) for item in request.items for rule in item.rules}
        findings, invalid = answer.answer
        self.dropped["invalid"] += invalid
        for found in findings:
            placed = self._place(request, found)
            if placed is None:
                continue
            if found.confidence == "low":
                self.dropped["low_confidence"] += 1
                continue
            rule, hunk, line = placed
            kept[(rule.id, hunk)].found.append(Candidate(rule, hunk, line, " ".join(found.reason.split())[:300], found.confidence))
        return list(kept.values())

    def _place(self, request: Request, found: ModelFinding) -> tuple[Rule, Hunk, int] | None:
        """The rule, hunk and line of a finding: the cited line when it is added and its code is the quote, else
        the one other added line of that hunk whose code is the quote (moved, counted). ``None`` when there is
        none (dropped, counted by reason)."""
        item = next((i for i in request.items if i.hunk.path == found.path and i.hunk.start <= found.line <= i.hunk.end), None)
        rule = next((r for r in item.rules if r.id == found.rule_id), None) if item else None
        if item is None or rule is None:
            self.dropped["not_a_changed_line" if item is None else "unknown_rule"] += 1
            return None
        code = dict(item.hunk.lines)
        if found.line in item.hunk.added and quotes(found.quote, code[found.line]):
            return rule, item.hunk, found.line
        others = [n for n in sorted(item.hunk.added) if n != found.line and quotes(found.quote, code[n])]
        if len(others) == 1:
            self.moved += 1
            return rule, item.hunk, others[0]
        on_context = found.line not in item.hunk.added and not others and quotes(found.quote, code[found.line])
        self.dropped["not_a_changed_line" if on_context else "quote_mismatch"] += 1
        return None


def quotes(quote: str, line: str) -> bool:
    """Is ``quote`` (a model's copy of a line, maybe with its number and mark) the code of ``line``: the whole of it,
    or at least half of it (spaces aside), not a word that several lines share?"""
    wanted = " ".join(_LABEL.sub("", quote.strip()).split())
    code = " ".join(line.split())
    return bool(re.search(r"\w", wanted)) and wanted in code and 2 * len(wanted.replace(" ", "")) >= len(code.replace(" ", ""))
