"""The LLM pass with an endpoint: answer from the cache, ask the rest within budget, verify, keep what holds."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from codex.model import Rule, Severity
from codex.problems import Problem
from reviewer.finding import Finding
from reviewer.llm import prompt, verify
from reviewer.llm.cache import AnswerCache, CachedFinding, cache_key
from reviewer.llm.client import Endpoint, EndpointFailure, Reply
from reviewer.llm.cost import money, priced, shares
from reviewer.llm.hunks import Hunk, Routed, Routing
from reviewer.llm.placement import FindingsReply, Kept, Placement
from reviewer.llm.plan import Costs, OverBudget, Request, plan
from reviewer.llm.run import LlmOutcome
from reviewer.llm.schema import FINDINGS, VERDICT, Confidence, Verdict
from reviewer.llm.settings import LlmSettings
from reviewer.llm.tokens import TokenCounter, counter_for
from reviewer.llm.verify import Candidate

_T = TypeVar("_T")
_HINT_FAILED = "the endpoint failed and the run went on without it (fail open); static findings are complete"
_HINT_UNVERIFIED = "judge the finding yourself; it warns and does not block (fail stale), the next run verifies it again"


class ModelPass:
    """Asks the model about the routed hunks, within budget, with the answer cache; collects one ``LlmOutcome``."""

    def __init__(self, settings: LlmSettings, cache_dir: Path | None, budget: int | None, sleep: Callable[[float], None]):
        self.settings = settings
        self.cache_dir = cache_dir  # None: no answer cache
        self.budget = budget
        self.sleep = sleep
        self.counter: TokenCounter | None = None  # loading an encoding takes ~0.5 s: only when something is sent
        self.costs: Costs | None = None  # token estimates of what each rule saw (with the counter)
        self.outcome = LlmOutcome()
        if settings.key_withheld:
            self.outcome.problems.append(
                Problem(
                    path=settings.config.file,
                    message=settings.key_withheld,
                    kind="llm",
                    hint="to send the key there, set CODEX_LLM_BASE_URL to that URL in the environment",
                )
            )
        self.placement = Placement()
        self.confidence: dict[str, int] = {"high": 0, "medium": 0}
        self.per_rule: dict[str, dict[str, int]] = {}
        self.unreviewed: set[str] = set()
        self.over_budget = 0
        self.helpers_left_out = 0  # helper definitions not shown with a hunk sent: they did not fit the budget
        self.endpoint: Endpoint | None = None  # made for the first request: the openai client takes time to load
        self.answered_by: dict[str, int] = {}  # requests answered per model
        self.verification = dict.fromkeys(("requests", "upheld", "refuted", "failed"), 0)
        self._lock = threading.Lock()

    def run(self, rules: list[Rule], routing: Routing) -> LlmOutcome:
        routed, skipped = routing.routed, routing.prefilter_skipped
        for key in sorted(set(self.settings.config.models) - {r.id for r in rules} - {s.value for s in Severity}):
            config = self.settings.config
            self.outcome.problems.append(
                Problem(
                    path=config.file,
                    message=f"{config.key('models')} names {key}, which is not a judgment rule of this ruleset: that model is not used",
                    kind="llm",
                    hint=f"fix the rule id, or remove it from {config.setting('models')}",
                )
            )
        for path, reason in routing.files_skipped:
            self.outcome.problems.append(
                Problem(
                    path=path, message=f"not reviewed by the LLM pass: {reason}", kind="llm", hint="review it yourself if the merge request changed it by hand"
                )
            )
        self.per_rule = {
            r.id: dict.fromkeys(("tokens_in", "tokens_cached", "tokens_out", "requests", "cache_hits", "findings", "not_reviewed"), 0)
            | {"prefilter_skipped": skipped.get(r.id, 0)}
            for r in rules
        }
        cache = self._open_cache(self.cache_dir) if self.cache_dir else None
        pending = self._from_cache(cache, routed)
        requests: list[Request] = []
        if pending:
            self.counter = counter_for(self.settings.model)
            self.costs = Costs(self.counter)
            requests, over = plan(pending, self.costs, self.budget, self.settings.model_of)
            offered = {item.hunk: len(item.context) for item in pending}
            self.helpers_left_out = sum(offered[item.hunk] - len(item.context) for r in requests for item in r.items)
            for left_out in sorted(over, key=lambda o: (o.routed.hunk.path, o.routed.hunk.start)):
                self._over_budget(left_out)
            self.over_budget = len(over)
        answers = self._ask_all(requests)
        tokens, kept = self._take(requests, answers)
        to_cache = self._settle(kept, tokens)
        if cache is not None:
            self._store(cache, to_cache)
            cache.close()
        self.outcome.unreviewed = sorted(self.unreviewed)
        per_rule = {rule_id: {**counts, "cost": self._price(counts)} if priced(self.settings.config) else counts for rule_id, counts in self.per_rule.items()}
        failed = [r for r, (_, answer) in zip(requests, answers, strict=True) if isinstance(answer, EndpointFailure)]
        self.outcome.stats = {
            "status": "ran",
            "model": self.settings.model,
            "endpoint": self.settings.shown_url,
            "key_withheld": bool(self.settings.key_withheld),
            "tokenizer": self.counter.name if self.counter else None,
            "budget": self.budget,
            "requests": len(requests),
            "failed_requests": len(failed),
            **tokens,
            "cost": self._price(tokens) if priced(self.settings.config) else None,
            "cache_hits": sum(r["cache_hits"] for r in self.per_rule.values()),
            "prefilter_skipped": sum(skipped.values()),
            "files_skipped": [{"path": path, "reason": reason} for path, reason in routing.files_skipped],  # (rule, hunk) pairs a rule's prefilter turned away
            "hunks": {
                "routed": len(routed),
                "sent": sum(len(r.items) for r in requests),
                "over_budget": self.over_budget,
                "failed": sum(len(r.items) for r in failed),
                "helpers": sum(len(i.context) for r in requests for i in r.items),
                "helpers_left_out": self.helpers_left_out,
            },
            "dropped": self.placement.dropped,
            "moved": self.placement.moved,
            "confidence": self.confidence,
            "verification": self.verification if any(self.settings.verifier_of(r) for r in rules) else None,
            "models": dict(sorted(self.answered_by.items())),
            "fallbacks": [vars(f) for f in self.endpoint.fallbacks] if self.endpoint else [],
            "rules": [r.id for r in rules],
            "per_rule": per_rule,
            "unreviewed": self.outcome.unreviewed,
        }
        return self.outcome

    def _take(self, requests: list[Request], answers: list[tuple[list[dict[str, str]], FindingsReply | EndpointFailure]]) -> tuple[dict[str, int], list[Kept]]:
        """Tokens of the answered requests (as the endpoint reported them, else as counted) and the findings kept."""
        tokens = {"tokens_in": 0, "tokens_cached": 0, "tokens_out": 0}
        kept: list[Kept] = []
        for request, (sent, answer) in zip(requests, answers, strict=True):
            if isinstance(answer, EndpointFailure):
                self._failed(request, str(answer))
                continue
            self._charge(request, self._used(tokens, sent, answer))
            kept += self.placement.keep(request, answer)
        return tokens, kept

    def _used(self, tokens: dict[str, int], sent: list[dict[str, str]], answer: Reply[Any]) -> dict[str, int]:
        """An answered request's tokens (as the endpoint reported them, else as counted), added to ``tokens``."""
        counter = self.counter or counter_for(self.settings.model)
        used = {
            "tokens_in": answer.tokens_in if answer.tokens_in is not None else sum(counter.count(m["content"]) + 4 for m in sent),
            "tokens_cached": answer.tokens_cached,
            "tokens_out": answer.tokens_out if answer.tokens_out is not None else counter.count(answer.content),
        }
        for kind, count in used.items():
            tokens[kind] += count
        self.answered_by[answer.model] = self.answered_by.get(answer.model, 0) + 1
        return used

    def _settle(self, kept: list[Kept], tokens: dict[str, int]) -> dict[str, list[CachedFinding]]:
        """The kept findings reported, those that may block verified first where asked (refuted: dropped; the
        verification failed: a warning that needs human review); what to cache, per (rule, hunk): not the entries
        of a failed verification, which the next run asks again."""
        asked = [(found, verifier) for entry in kept for found in entry.found if found.may_block and (verifier := self.settings.verifier_of(found.rule))]
        verdicts = dict(zip((id(found) for found, _ in asked), self._ask_many([partial(self._verify, *each, tokens) for each in asked]), strict=True))
        to_cache: dict[str, list[CachedFinding]] = {}
        for entry in kept:
            cached: list[CachedFinding] = []
            for found in entry.found:
                verdict = verdicts.get(id(found))
                if isinstance(verdict, EndpointFailure):
                    self._unverified(found, str(verdict))
                    continue
                if verdict is not None:
                    self.verification[verdict.verdict] += 1
                    if verdict.verdict == "refuted":
                        continue
                cached.append((found.line - found.hunk.start, found.reason, found.confidence))
                self._add(found.rule, found.hunk, found.line, found.reason, found.confidence)
            if not any(isinstance(verdicts.get(id(found)), EndpointFailure) for found in entry.found):
                to_cache[cache_key(self._cache_model(entry.rule, entry.model), entry.rule, entry.hunk, entry.context)] = cached
        return to_cache

    def _verify(self, found: Candidate, verifier: str, tokens: dict[str, int]) -> Verdict | EndpointFailure:
        """The verdict of ``verifier`` (then the fallbacks) on one finding; its tokens added to ``tokens`` and the rule's."""
        sent = verify.messages(found, prompt.new_boundary())
        try:
            reply = self._endpoint().ask(sent, self.settings.chain(verifier), VERDICT)
        except EndpointFailure as exc:
            return exc
        with self._lock:
            used = self._used(tokens, sent, reply)
            self.verification["requests"] += 1
            for kind, count in used.items():
                self.per_rule[found.rule.id][kind] += count
            self.per_rule[found.rule.id]["requests"] += 1
        return reply.answer

    def _unverified(self, found: Candidate, reason: str) -> None:
        """A finding whose verification failed: a warning that needs human review, and its rule not fully reviewed
        (``--require-llm`` fails)."""
        self.verification["failed"] += 1
        self.unreviewed.add(found.rule.id)
        self.outcome.problems.append(
            Problem(
                path=found.hunk.path,
                line=found.line,
                kind="llm",
                hint=_HINT_UNVERIFIED,
                message=f"{found.rule.id} finding not verified ({reason}): kept as a warning, needs human review",
            )
        )
        self._add(found.rule, found.hunk, found.line, f"needs human review (not verified: {reason}). {found.reason}", found.confidence, warn=True)

    def _cache_model(self, rule: Rule, model: str) -> str:
        """What a cached answer of ``rule`` depends on besides the prompt: the model, and the verifier when there is one."""
        verifier = self.settings.verifier_of(rule)
        return f"{model}, verified by {verifier}" if verifier else model

    def _price(self, tokens: dict[str, int]) -> float:
        return round(money(self.settings.config, tokens["tokens_in"], tokens["tokens_cached"], tokens["tokens_out"]), 6)

    def _open_cache(self, directory: Path) -> AnswerCache | None:
        try:
            return AnswerCache(directory, self.settings.config.cache_max_age_days)
        except (OSError, sqlite3.Error) as exc:
            setting = f"{self.settings.config.key('cache_dir')} in {self.settings.config.file}"
            self.outcome.problems.append(
                Problem(
                    path=str(directory),
                    message=f"LLM cache unusable ({exc}); every hunk is sent",
                    hint=f"make the directory writable or set {setting}",
                    kind="llm",
                )
            )
            return None

    def _from_cache(self, cache: AnswerCache | None, routed: list[Routed]) -> list[Routed]:
        """Findings of (rule, hunk) pairs answered before (by the rule's model or one of its fallbacks); what is left
        to ask."""
        pending: list[Routed] = []
        for item in routed:
            missing: list[Rule] = []
            for rule in item.rules:
                keys = (
                    cache_key(self._cache_model(rule, model), rule, item.hunk, context)
                    for context in dict.fromkeys((item.context, ()))
                    for model in self.settings.chain(self.settings.model_of(rule))
                )
                hit = next((found for key in keys if (found := self._lookup(cache, key)) is not None), None) if cache else None
                if hit is None:
                    missing.append(rule)
                    continue
                self.per_rule[rule.id]["cache_hits"] += 1
                for offset, reason, confidence in hit:
                    self._add(rule, item.hunk, item.hunk.start + offset, reason, confidence)
            if missing:
                pending.append(Routed(item.hunk, tuple(missing), item.context))
        return pending

    def _lookup(self, cache: AnswerCache, key: str) -> list[CachedFinding] | None:
        try:
            return cache.get(key)
        except (sqlite3.Error, ValueError, TypeError):  # a damaged entry is a miss
            return None

    def _store(self, cache: AnswerCache, entries: dict[str, list[CachedFinding]]) -> None:
        try:
            cache.put(entries)
        except sqlite3.Error as exc:
            self.outcome.problems.append(Problem(message=f"LLM answers not cached ({exc})", kind="llm", hint="the next run sends these hunks again"))

    def _endpoint(self) -> Endpoint:
        with self._lock:
            if self.endpoint is None:
                self.endpoint = Endpoint(self.settings, self.sleep)
            return self.endpoint

    def _ask_many(self, asks: list[Callable[[], _T]]) -> list[_T]:
        """Each of ``asks`` called, up to ``max_concurrency`` at a time; their results in order."""
        if not asks:
            return []
        with ThreadPoolExecutor(max_workers=min(self.settings.config.max_concurrency, len(asks))) as pool:
            return list(pool.map(lambda ask: ask(), asks))

    def _ask_all(self, requests: list[Request]) -> list[tuple[list[dict[str, str]], FindingsReply | EndpointFailure]]:
        return self._ask_many([partial(self._ask, request) for request in requests])

    def _ask(self, request: Request) -> tuple[list[dict[str, str]], FindingsReply | EndpointFailure]:
        sent = prompt.messages(request.items, prompt.new_boundary())
        try:
            return sent, self._endpoint().ask(sent, self.settings.chain(request.model), FINDINGS)
        except EndpointFailure as exc:
            return sent, exc

    def _add(self, rule: Rule, hunk: Hunk, line: int, reason: str, confidence: Confidence, warn: bool = False) -> None:
        """A finding of the model; one of medium confidence (or ``warn``) warns rather than blocks."""
        finding = Finding.of(rule, hunk.path, line, line, 1, None, "llm")
        finding.reason = reason
        if confidence == "medium" or warn:
            self.outcome.uncertain.append(finding)
        self.outcome.findings.append(finding)
        self.per_rule[rule.id]["findings"] += 1
        self.confidence[confidence] += 1

    def _charge(self, request: Request, used: dict[str, int]) -> None:
        """A shared request's tokens go to its rules in proportion to what each saw: its own text and the hunks it
        was asked about."""
        costs = self.costs
        if costs is None:  # requests exist only once planned, and planning sets the costs
            raise RuntimeError("LLM requests charged before they were planned")
        seen = [costs.rule(rule) + sum(costs.item(item) for item in request.items if rule in item.rules) for rule in request.rules]
        for kind, count in used.items():
            for rule, share in zip(request.rules, shares(count, seen), strict=True):
                self.per_rule[rule.id][kind] += share
        for rule in request.rules:
            self.per_rule[rule.id]["requests"] += 1

    def _failed(self, request: Request, reason: str) -> None:
        for item in sorted(request.items, key=lambda i: (i.hunk.path, i.hunk.start)):
            ids, hunk = ", ".join(r.id for r in item.rules), item.hunk
            self._not_reviewed(item.rules, hunk, f"not reviewed by the LLM pass ({ids}), lines {hunk.start}-{hunk.end}: {reason}", _HINT_FAILED)

    def _over_budget(self, left_out: OverBudget) -> None:
        hunk, ids = left_out.routed.hunk, ", ".join(r.id for r in left_out.routed.rules)
        self._not_reviewed(
            left_out.routed.rules,
            hunk,
            f"not reviewed by the LLM pass ({ids}), lines {hunk.start}-{hunk.end}: over the token budget "
            f"of {self.budget} (needs {left_out.needed}, {max(0, left_out.left)} left)",
            f"raise --llm-budget or {self.settings.config.key('budget')} in {self.settings.config.file}; static findings are complete",
        )

    def _not_reviewed(self, rules: tuple[Rule, ...], hunk: Hunk, message: str, hint: str) -> None:
        self.outcome.problems.append(Problem(path=hunk.path, line=min(hunk.added), message=message, hint=hint, kind="llm"))
        for rule in rules:
            self.per_rule[rule.id]["not_reviewed"] += 1
            self.unreviewed.add(rule.id)
