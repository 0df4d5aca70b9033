"""The LLM pass: route hunks to judgment rules; without an endpoint, say which would have been asked; with one, hand
the routing to ``model_pass``. Never raises."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from codex.config import LlmConfig
from codex.model import Rule, Stage
from codex.problems import Problem
from reviewer.finding import Finding
from reviewer.llm.helpers import helpers_of
from reviewer.llm.hunks import route, routed_rules
from reviewer.llm.settings import resolve, secrets
from reviewer.redact import redact
from reviewer.targets import Target


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
        return [
            f.model_copy(update={"stage": Stage.warn}) if i < len(before) and id(before[i]) in uncertain and f.stage is Stage.block else f
            for i, f in enumerate(after)
        ]


def run_llm_pass(
    rules: list[Rule],
    targets: list[Target],
    root: Path,
    config: LlmConfig,
    *,
    enabled: bool = True,
    budget: int | None = None,
    env: Mapping[str, str] | None = None,
    use_cache: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    trust_config_url: bool = False,
) -> LlmOutcome:
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
        helpers = partial(helpers_of, root=root)
        settings, reason = resolve(config, env, trust_config_url) if enabled else (None, "--no-llm")
        if settings is None:  # which rules would have been asked is all there is to say: no full routing for it
            wanted = routed_rules(rules, targets, config.context_lines, helpers)
            return LlmOutcome(stats={"status": "skipped", "reason": reason, "rules": ids, "unreviewed": wanted}, unreviewed=wanted)
        routing = route(rules, targets, config.context_lines, helpers)
        wanted = sorted({r.id for item in routing.routed for r in item.rules})
        cache_dir = root / config.cache_dir if use_cache else None
        from reviewer.llm.model_pass import ModelPass  # here: a run without an endpoint never loads the model's side

        return ModelPass(settings, cache_dir, config.budget if budget is None else budget, sleep).run(rules, routing)
    except Exception as exc:  # the last guard of an optional pass: fail open, say so
        reason = redact(f"{type(exc).__name__}: {exc}", secrets(config, env))
        problem = Problem(
            message=f"LLM pass failed: {reason}",
            kind="llm",
            hint="a bug in codex, please report it; the run went on without the LLM pass and static findings are complete",
        )
        return LlmOutcome(problems=[problem], unreviewed=wanted, stats={"status": "failed", "reason": reason, "rules": ids, "unreviewed": wanted})
