"""The LLM pass: route hunks to judgment rules, answer from the cache, ask the rest within budget, keep what holds."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codex.config import LlmConfig
from codex.model import Rule, Stage
from codex.problems import Problem
from reviewer.finding import Finding
from reviewer.llm import prompt
from reviewer.llm.cache import AnswerCache, CachedFinding, cache_key
from reviewer.llm.client import Endpoint, EndpointFailure, Reply
from reviewer.llm.cost import money, priced, shares
from reviewer.llm.hunks import Hunk, Routed, Routing, route
from reviewer.llm.plan import Costs, OverBudget, Request, plan
from reviewer.llm.schema import Confidence, ModelFinding
from reviewer.llm.settings import LlmSettings, resolve, secrets
from reviewer.redact import redact
from reviewer.llm.tokens import TokenCounter, counter_for
from reviewer.targets import Target

_LABEL = re.compile(r"^\d+[+ ] ?")  # "12+ " copied from the diff's rendering
_HINT_FAILED = "the endpoint failed and the run went on without it (fail open); static findings are complete"


@dataclass
class LlmOutcome:
    """Findings to merge into the report, problems for ``errors``, ``stats["llm"]``, the rules left unreviewed, and
    the findings that may only warn."""

    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    unreviewed: list[str] = field(default_factory=list)
    uncertain: list[Finding] = field(default_factory=list)  # of medium confidence: they may warn, never block

    def cap_uncertain(self, before: list[Finding], after: list[Finding]) -> list[Finding]:
        """``after`` (governance's copies: ``after[i]`` is ``before[i]`` with the stage in force) with the blocking
        findings of medium confidence turned into warnings."""
        uncertain = {id(f) for f in self.uncertain}
        return [f.model_copy(update={"stage": Stage.warn}) if i < len(before) and id(before[i]) in uncertain and f.stage is Stage.block
                else f for i, f in enumerate(after)]


def run_llm_pass(rules: list[Rule], targets: list[Target], root: Path, config: LlmConfig, *, enabled: bool = True,
                 budget: int | None = None, env: Mapping[str, str] | None = None, use_cache: bool = True,
                 sleep: Callable[[float], None] = time.sleep, trust_config_url: bool = False) -> LlmOutcome:
    """Review the changed hunks with the judgment ``rules``. Never raises: whatever fails is reported, and skipped.

    ``use_cache=False`` neither reads nor writes the answer cache (``codex check --no-cache``). ``trust_config_url``:
    the table's ``base_url`` may receive the environment's key (see ``settings.resolve``).
    """
    env = os.environ if env is None else env
    ids = [r.id for r in rules]
    wanted = ids
    try:
        if not rules:
            return LlmOutcome(stats={"status": "skipped", "reason": "no judgment rules", "rules": [], "unreviewed": []})
        routing = route(rules, targets, config.context_lines)
        wanted = sorted({r.id for item in routing.routed for r in item.rules})
        settings, reason = resolve(config, env, trust_config_url) if enabled else (None, "--no-llm")
        if settings is None:
            return LlmOutcome(stats={"status": "skipped", "reason": reason, "rules": ids, "unreviewed": wanted}, unreviewed=wanted)
        cache_dir = root / config.cache_dir if use_cache else None
        return _Pass(settings, cache_dir, config.budget if budget is None else budget, sleep).run(rules, routing)
    except Exception as exc:  # the last guard of an optional pass: fail open, say so
        reason = redact(f"{type(exc).__name__}: {exc}", secrets(config, env))
        problem = Problem(message=f"LLM pass failed: {reason}", kind="llm",
                          hint="a bug in codex, please report it; the run went on without the LLM pass and static findings are complete")
        return LlmOutcome(problems=[problem], unreviewed=wanted,
                          stats={"status": "failed", "reason": reason, "rules": ids, "unreviewed": wanted})


class _Pass:
    def __init__(self, settings: LlmSettings, cache_dir: Path | None, budget: int | None, sleep: Callable[[float], None]):
        self.settings = settings
        self.cache_dir = cache_dir  # None: no answer cache
        self.budget = budget
        self.sleep = sleep
        self.counter: TokenCounter | None = None  # loading an encoding takes ~0.5 s: only when something is sent
        self.costs: Costs | None = None  # token estimates of what each rule saw (with the counter)
        self.outcome = LlmOutcome()
        if settings.key_withheld:
            self.outcome.problems.append(Problem(path=settings.config.file, message=settings.key_withheld, kind="llm",
                                                 hint="to send the key there, set CODEX_LLM_BASE_URL to that URL in the environment"))
        self.dropped = dict.fromkeys(("unknown_rule", "not_a_changed_line", "quote_mismatch", "low_confidence", "invalid"), 0)
        self.moved = 0  # findings whose quote is on another added line of their hunk than the one cited
        self.confidence: dict[str, int] = {"high": 0, "medium": 0}
        self.per_rule: dict[str, dict[str, int]] = {}
        self.unreviewed: set[str] = set()
        self.over_budget = 0

    def run(self, rules: list[Rule], routing: Routing) -> LlmOutcome:
        routed, skipped = routing.routed, routing.prefilter_skipped
        for path, reason in routing.files_skipped:
            self.outcome.problems.append(Problem(path=path, message=f"not reviewed by the LLM pass: {reason}", kind="llm",
                                                 hint="review it yourself if the merge request changed it by hand"))
        self.per_rule = {r.id: dict.fromkeys(("tokens_in", "tokens_cached", "tokens_out", "requests", "cache_hits", "findings",
                                              "not_reviewed"), 0) | {"prefilter_skipped": skipped.get(r.id, 0)} for r in rules}
        cache = self._open_cache(self.cache_dir) if self.cache_dir else None
        pending = self._from_cache(cache, routed)
        requests: list[Request] = []
        if pending:
            self.counter = counter_for(self.settings.model)
            self.costs = Costs(self.counter)
            requests, over = plan(pending, self.costs, self.budget)
            for left_out in sorted(over, key=lambda o: (o.routed.hunk.path, o.routed.hunk.start)):
                self._over_budget(left_out)
            self.over_budget = len(over)
        answers = self._ask_all(requests)
        tokens, to_cache = self._take(requests, answers)
        if cache is not None:
            self._store(cache, to_cache)
            cache.close()
        self.outcome.unreviewed = sorted(self.unreviewed)
        if priced(self.settings.config):
            for stats in self.per_rule.values():
                stats["cost"] = self._price(stats)
        failed = [r for r, (_, answer) in zip(requests, answers) if isinstance(answer, EndpointFailure)]
        self.outcome.stats = {
            "status": "ran", "model": self.settings.model, "endpoint": self.settings.shown_url,
            "key_withheld": bool(self.settings.key_withheld),
            "tokenizer": self.counter.name if self.counter else None, "budget": self.budget,
            "requests": len(requests), "failed_requests": len(failed), **tokens,
            "cost": self._price(tokens) if priced(self.settings.config) else None,
            "cache_hits": sum(r["cache_hits"] for r in self.per_rule.values()),
            "prefilter_skipped": sum(skipped.values()),
            "files_skipped": [{"path": path, "reason": reason} for path, reason in routing.files_skipped],  # (rule, hunk) pairs a rule's prefilter turned away
            "hunks": {"routed": len(routed), "sent": sum(len(r.items) for r in requests), "over_budget": self.over_budget,
                      "failed": sum(len(r.items) for r in failed)},
            "dropped": self.dropped, "moved": self.moved, "confidence": self.confidence, "rules": [r.id for r in rules], "per_rule": self.per_rule,
            "unreviewed": self.outcome.unreviewed,
        }
        return self.outcome

    def _take(self, requests: list[Request], answers: list[tuple[list[dict[str, str]], Reply | EndpointFailure]]
              ) -> tuple[dict[str, int], dict[str, list[CachedFinding]]]:
        """Tokens of the answered requests (as the endpoint reported them, else as counted) and what to cache."""
        tokens = {"tokens_in": 0, "tokens_cached": 0, "tokens_out": 0}
        to_cache: dict[str, list[CachedFinding]] = {}
        for request, (sent, answer) in zip(requests, answers):
            if isinstance(answer, EndpointFailure):
                self._failed(request, str(answer))
                continue
            counter = self.counter or counter_for(self.settings.model)
            used = {"tokens_in": answer.tokens_in if answer.tokens_in is not None else sum(counter.count(m["content"]) + 4 for m in sent),
                    "tokens_cached": answer.tokens_cached,
                    "tokens_out": answer.tokens_out if answer.tokens_out is not None else counter.count(answer.content)}
            for kind, count in used.items():
                tokens[kind] += count
            self._charge(request, used)
            to_cache |= self._keep(request, answer)
        return tokens, to_cache

    def _price(self, tokens: dict[str, int]) -> float:
        return round(money(self.settings.config, tokens["tokens_in"], tokens["tokens_cached"], tokens["tokens_out"]), 6)

    def _open_cache(self, directory: Path) -> AnswerCache | None:
        try:
            return AnswerCache(directory, self.settings.config.cache_max_age_days)
        except (OSError, sqlite3.Error) as exc:
            self.outcome.problems.append(Problem(path=str(directory), message=f"LLM cache unusable ({exc}); every hunk is sent",
                                                 hint=f"make the directory writable or set {self.settings.config.key('cache_dir')} in {self.settings.config.file}",
                                                 kind="llm"))
            return None

    def _from_cache(self, cache: AnswerCache | None, routed: list[Routed]) -> list[Routed]:
        """Findings of (rule, hunk) pairs answered before; what is left to ask."""
        pending: list[Routed] = []
        for item in routed:
            missing: list[Rule] = []
            for rule in item.rules:
                hit = self._lookup(cache, cache_key(self.settings.model, rule, item.hunk)) if cache else None
                if hit is None:
                    missing.append(rule)
                    continue
                self.per_rule[rule.id]["cache_hits"] += 1
                for offset, reason, confidence in hit:
                    self._add(rule, item.hunk, item.hunk.start + offset, reason, confidence)
            if missing:
                pending.append(Routed(item.hunk, tuple(missing)))
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
            self.outcome.problems.append(Problem(message=f"LLM answers not cached ({exc})", kind="llm",
                                                 hint="the next run sends these hunks again"))

    def _ask_all(self, requests: list[Request]) -> list[tuple[list[dict[str, str]], Reply | EndpointFailure]]:
        if not requests:
            return []
        endpoint = Endpoint(self.settings, self.sleep)
        with ThreadPoolExecutor(max_workers=min(self.settings.config.max_concurrency, len(requests))) as pool:
            return list(pool.map(lambda request: self._ask(endpoint, request), requests))

    def _ask(self, endpoint: Endpoint, request: Request) -> tuple[list[dict[str, str]], Reply | EndpointFailure]:
        sent = prompt.messages(request.items, prompt.new_boundary())
        try:
            return sent, endpoint.ask(sent)
        except EndpointFailure as exc:
            return sent, exc

    def _keep(self, request: Request, answer: Reply) -> dict[str, list[CachedFinding]]:
        """Findings placed on an added line of a hunk asked about their rule (``_place``), high or medium
        confidence; the rest dropped and counted. Returns what to cache, per (rule, hunk)."""
        kept: dict[tuple[str, Hunk], list[CachedFinding]] = {}
        for item in request.items:
            kept |= {(rule.id, item.hunk): [] for rule in item.rules}
        self.dropped["invalid"] += answer.invalid
        for found in answer.findings:
            placed = self._place(request, found)
            if placed is None:
                continue
            if found.confidence == "low":
                self.dropped["low_confidence"] += 1
                continue
            rule, hunk, line = placed
            reason = " ".join(found.reason.split())[:300]
            kept[(rule.id, hunk)].append((line - hunk.start, reason, found.confidence))
            self._add(rule, hunk, line, reason, found.confidence)
        asked = {r.id: r for r in request.rules}
        return {cache_key(self.settings.model, asked[rule_id], hunk): found for (rule_id, hunk), found in kept.items()}

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
        if found.line in item.hunk.added and _quotes(found.quote, code[found.line]):
            return rule, item.hunk, found.line
        others = [n for n in sorted(item.hunk.added) if n != found.line and _quotes(found.quote, code[n])]
        if len(others) == 1:
            self.moved += 1
            return rule, item.hunk, others[0]
        on_context = found.line not in item.hunk.added and not others and _quotes(found.quote, code[found.line])
        self.dropped["not_a_changed_line" if on_context else "quote_mismatch"] += 1
        return None

    def _add(self, rule: Rule, hunk: Hunk, line: int, reason: str, confidence: Confidence) -> None:
        """A finding of the model; one of medium confidence warns rather than blocks."""
        finding = Finding.of(rule, hunk.path, line, line, 1, None, "llm")
        finding.reason = reason
        if confidence == "medium":
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
            for rule, share in zip(request.rules, shares(count, seen)):
                self.per_rule[rule.id][kind] += share
        for rule in request.rules:
            self.per_rule[rule.id]["requests"] += 1

    def _failed(self, request: Request, reason: str) -> None:
        for item in sorted(request.items, key=lambda i: (i.hunk.path, i.hunk.start)):
            ids, hunk = ", ".join(r.id for r in item.rules), item.hunk
            self._not_reviewed(item.rules, hunk, f"not reviewed by the LLM pass ({ids}), lines {hunk.start}-{hunk.end}: {reason}",
                               _HINT_FAILED)

    def _over_budget(self, left_out: OverBudget) -> None:
        hunk, ids = left_out.routed.hunk, ", ".join(r.id for r in left_out.routed.rules)
        self._not_reviewed(left_out.routed.rules, hunk,
                           f"not reviewed by the LLM pass ({ids}), lines {hunk.start}-{hunk.end}: over the token budget "
                           f"of {self.budget} (needs {left_out.needed}, {max(0, left_out.left)} left)",
                           f"raise --llm-budget or {self.settings.config.key('budget')} in {self.settings.config.file}; "
                           "static findings are complete")

    def _not_reviewed(self, rules: tuple[Rule, ...], hunk: Hunk, message: str, hint: str) -> None:
        self.outcome.problems.append(Problem(path=hunk.path, line=min(hunk.added), message=message, hint=hint, kind="llm"))
        for rule in rules:
            self.per_rule[rule.id]["not_reviewed"] += 1
            self.unreviewed.add(rule.id)


def _quotes(quote: str, line: str) -> bool:
    """Is ``quote`` (a model's copy of a line, maybe with its number and mark) the code of ``line``: the whole of it,
    or at least half of it (spaces aside), not a word that several lines share?"""
    wanted = " ".join(_LABEL.sub("", quote.strip()).split())
    code = " ".join(line.split())
    return bool(re.search(r"\w", wanted)) and wanted in code and 2 * len(wanted.replace(" ", "")) >= len(code.replace(" ", ""))
