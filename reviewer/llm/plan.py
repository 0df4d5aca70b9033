"""Requests: ranked hunks packed with the rules asked about each, cut at the token budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from codex.model import Rule, Severity
from reviewer.llm import prompt
from reviewer.llm.hunks import Routed, relevance
from reviewer.llm.tokens import TokenCounter

REQUEST_HUNK_TOKENS = 6000  # hunk text in one request, at most: keeps answers focused and requests parallel
_SEVERITY_RANK = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}


@dataclass
class Request:
    """Hunks, each with the rules asked about it; every rule is stated once per request, all judged by ``model``."""

    model: str = ""
    items: list[Routed] = field(default_factory=list)
    tokens: int = 0  # estimated input tokens
    hunk_tokens: int = 0
    headers: set[str] = field(default_factory=set)  # file headers already in the request

    @property
    def rules(self) -> tuple[Rule, ...]:
        unique = {r.id: r for item in self.items for r in item.rules}
        return tuple(unique[k] for k in sorted(unique))


@dataclass(frozen=True)
class OverBudget:
    routed: Routed
    needed: int
    left: int


class Costs:
    """Token estimates of the parts of a request, each counted once."""

    def __init__(self, counter: TokenCounter):
        self.counter = counter
        self.overhead = sum(counter.count(m["content"]) + 4 for m in prompt.messages([], prompt.new_boundary()))
        self._memo: dict[object, int] = {}

    def rule(self, rule: Rule) -> int:
        """The rule's text with all its examples: an upper bound (a request shows those in its code's languages)."""
        if rule.id not in self._memo:
            self._memo[rule.id] = self.counter.count(prompt.render_rule(rule)) + 2
        return self._memo[rule.id]

    def item(self, item: Routed) -> int:
        """The hunk's lines, the helpers shown with it, and a separator from the one before it."""
        key = (item.hunk, item.context)
        if key not in self._memo:
            self._memo[key] = self.counter.count("\n".join([prompt.render_hunk(item), *map(prompt.render_context, item.context)])) + 2
        return self._memo[key]

    def header(self, header: str) -> int:
        if header not in self._memo:
            self._memo[header] = self.counter.count(header) + 2
        return self._memo[header]


def plan(routed: list[Routed], costs: Costs, budget: int | None, model_of: Callable[[Rule], str] = lambda rule: "") -> tuple[list[Request], list[OverBudget]]:
    """Requests within ``budget`` input tokens (``None``: no cap), and the hunks left out for it.

    A hunk goes in one request with all the rules that apply to it and share a model (``model_of``), so it is sent
    once per model however many rules judge it; rules are stated once per request, and a file's header once per set
    of rules. Hunks
    are taken in rank order — rules of higher severity first, then relevance per size (``relevance``: a
    bulk of unrelated lines does not push a violation out) — and one that does not fit what is left of
    the budget is left out (smaller ones after it may still fit).
    """
    by_model = [
        Routed(item.hunk, tuple(r for r in item.rules if model_of(r) == model), item.context)
        for item in routed
        for model in dict.fromkeys(map(model_of, item.rules))
    ]
    ranked = sorted(by_model, key=lambda r: (min(_SEVERITY_RANK[x.severity] for x in r.rules), -relevance(r), r.hunk.path, r.hunk.start))
    requests: list[Request] = []
    filling: dict[str, Request] = {}  # per model, the request being filled
    over: list[OverBudget] = []
    spent = 0
    for item in ranked:
        header = prompt.render_header(item)
        model = model_of(item.rules[0])
        for candidate in (item, Routed(item.hunk, item.rules)) if item.context else (item,):  # helpers only where they fit
            last = filling.get(model)
            current = last if last and last.hunk_tokens + costs.item(candidate) <= REQUEST_HUNK_TOKENS else None
            stated = {r.id for r in current.rules} if current else set()
            hunk_cost = costs.item(candidate) + (0 if current and header in current.headers else costs.header(header))
            cost = hunk_cost + sum(costs.rule(r) for r in item.rules if r.id not in stated) + (0 if current else costs.overhead)
            if budget is None or spent + cost <= budget:
                item = candidate
                break
        if budget is not None and spent + cost > budget:
            over.append(OverBudget(item, cost, budget - spent))
            continue
        if current is None:
            current = filling[model] = Request(model)
            requests.append(current)
        current.items.append(item)
        current.headers.add(header)
        current.hunk_tokens += hunk_cost
        current.tokens += cost
        spent += cost
    return requests, over
