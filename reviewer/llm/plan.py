"""Requests: hunks grouped by the rules asked about them, packed, ranked, and cut at the token budget."""

from __future__ import annotations

from dataclasses import dataclass, field

from codex.model import Rule, Severity
from reviewer.llm import prompt
from reviewer.llm.hunks import Hunk, Routed
from reviewer.llm.tokens import TokenCounter

REQUEST_HUNK_TOKENS = 6000  # hunk text in one request, at most: keeps answers focused and requests parallel
_SEVERITY_RANK = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}


@dataclass
class Request:
    rules: tuple[Rule, ...]
    hunks: list[Hunk] = field(default_factory=list)
    tokens: int = 0  # estimated input tokens
    hunk_tokens: int = 0


@dataclass(frozen=True)
class OverBudget:
    routed: Routed
    needed: int
    left: int


class Costs:
    """Token estimates of the parts of a request, each counted once."""

    def __init__(self, counter: TokenCounter):
        self.counter = counter
        self.overhead = sum(counter.count(m["content"]) + 4 for m in prompt.messages([], [], prompt.new_boundary()))
        self._cache: dict[object, int] = {}

    def rule(self, rule: Rule) -> int:
        return self._memo(rule.id, lambda: self.counter.count(prompt.render_rule(rule)) + 2)

    def hunk(self, hunk: Hunk) -> int:
        return self._memo(hunk, lambda: self.counter.count(prompt.render_hunk(hunk)) + 2)

    def _memo(self, key: object, compute) -> int:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def plan(routed: list[Routed], costs: Costs, budget: int | None) -> tuple[list[Request], list[OverBudget]]:
    """Requests within ``budget`` input tokens (``None``: no cap), and the hunks left out for it.

    Hunks asked the same set of rules share requests. A set of several rules is asked in one
    request only when that is cheaper than adding its hunks to each rule's own requests.
    Hunks are taken in rank order — rules of higher severity first, then more added lines — and a
    hunk that does not fit what is left of the budget is left out; smaller ones after it may fit.
    """
    routed = _split_where_cheaper(routed, costs)
    ranked = sorted(routed, key=lambda r: (min(_SEVERITY_RANK[x.severity] for x in r.rules), -len(r.hunk.added),
                                           r.hunk.path, r.hunk.start))
    open_requests: dict[tuple[str, ...], Request] = {}
    requests: list[Request] = []
    over: list[OverBudget] = []
    spent = 0
    for item in ranked:
        key = tuple(r.id for r in item.rules)
        hunk_cost = costs.hunk(item.hunk)
        current = open_requests.get(key)
        fits = current is not None and current.hunk_tokens + hunk_cost <= REQUEST_HUNK_TOKENS
        cost = hunk_cost if fits else costs.overhead + sum(costs.rule(r) for r in item.rules) + hunk_cost
        if budget is not None and spent + cost > budget:
            over.append(OverBudget(item, cost, budget - spent))
            continue
        if not fits:
            current = open_requests[key] = Request(item.rules)
            requests.append(current)
        current.hunks.append(item.hunk)
        current.hunk_tokens += hunk_cost
        current.tokens += cost
        spent += cost
    return requests, over


def _split_where_cheaper(routed: list[Routed], costs: Costs) -> list[Routed]:
    """Send a multi-rule group's hunks to each rule's single-rule group when that costs fewer tokens."""
    groups: dict[tuple[str, ...], list[Routed]] = {}
    for item in routed:
        groups.setdefault(tuple(r.id for r in item.rules), []).append(item)
    singles = {key[0] for key in groups if len(key) == 1}
    result: list[Routed] = []
    for key, items in sorted(groups.items(), key=lambda kv: -len(kv[0])):
        rules = items[0].rules
        hunk_tokens = sum(costs.hunk(i.hunk) for i in items)
        together = costs.overhead + sum(costs.rule(r) for r in rules) + hunk_tokens
        apart = sum(hunk_tokens + (0 if r.id in singles else costs.overhead + costs.rule(r)) for r in rules)
        if len(rules) > 1 and apart < together:
            result += [Routed(i.hunk, (r,)) for i in items for r in rules]
            singles |= set(key)
        else:
            result += items
    return result
