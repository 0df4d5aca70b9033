"""The codex as readers see it: one page per rule in ruff's shape, one per RFC; shared by ``codex explain`` and ``codex docs``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codex.annotations import ANNOTATION_LINE
from codex.config import CodexConfig
from codex.model import Example, RfcMeta, Rule, Ruleset, Stage
from codex.rfc import read_rfc

if TYPE_CHECKING:
    from codex.ruleset_source import LoadedRuleset

STAGE_MEANING = {
    Stage.shadow: "recorded only: findings are neither shown nor blocking",
    Stage.warn: "findings are shown and do not block a merge",
    Stage.block: "findings fail the check and block a merge",
}


@dataclass(frozen=True)
class Snippet:
    """Example code as a reader sees it: annotation comments removed, flagged lines renumbered to match."""

    language: str
    code: str
    flagged: tuple[int, ...]
    origin: str


@dataclass(frozen=True)
class RfcPage:
    meta: RfcMeta
    intro: str
    source: str | None
    rules: tuple[Rule, ...]
    link: str
    shipped: bool = False  # an RFC of the codex shipped with codex: its file is in codex's installation, not the repository

    @property
    def reference(self) -> str:
        """Where a reader finds the RFC: its address or its path in the repository; for a shipped RFC hosted nowhere,
        how to print it (never a path of codex's installation)."""
        return f"shipped with codex: `codex explain {self.meta.id}`" if self.shipped and self.link == self.meta.path else self.link


@dataclass(frozen=True)
class RulePage:
    rule: Rule
    rfc: RfcPage | None
    what: str
    why: str
    example: Snippet | None
    fix: Snippet | None  # the example's code with the rule's fix applied, when the RFC states it (a ``fixed`` block)
    instead: Snippet | None
    stage: list[str]


@dataclass(frozen=True)
class Catalog:
    ruleset: Ruleset
    origin: str
    rfcs: dict[str, RfcPage]

    def rule_page(self, rule: Rule) -> RulePage:
        rfc = self.rfcs.get(rule.rfc.id)
        why = rule.description
        if rfc and rfc.intro:
            why = f"{why}\n\nFrom {rfc.meta.id}, *{rfc.meta.title}*:\n\n{rfc.intro}".strip()
        bads = [e for e in rule.examples if e.verdict == "bad"]
        bad = (
            next((e for e in bads if e.fixed is not None), None)
            or next(iter(bads), None)
            or next((e for e in rule.examples if e.verdict == "file" and e.expected), None)
        )
        good = next((e for e in rule.examples if e.verdict == "good"), None)
        fixed = bad.model_copy(update={"code": bad.fixed, "expected": ()}) if bad and bad.fixed is not None else None
        return RulePage(
            rule=rule,
            rfc=rfc,
            what=f"**{rule.title}.** {rule.message}",
            why=why,
            example=snippet(bad, rule) if bad else None,
            fix=snippet(fixed, rule) if fixed else None,
            instead=snippet(good, rule) if good else None,
            stage=stage_lines(rule, rfc.meta if rfc else None),
        )

    def find(self, key: str) -> Rule | RfcPage | None:
        """A rule by id, or an RFC by id (``RFC-0001``, ``rfc-1`` and ``0001`` all work)."""
        rule = self.ruleset.rule(key.upper())
        if rule:
            return rule
        number = re.fullmatch(r"(?:rfc-?)?(\d+)", key.strip(), re.I)
        return self.rfcs.get(f"RFC-{int(number[1]):04d}") if number else None


def load_catalog(root: Path, config: CodexConfig, loaded: LoadedRuleset | None = None) -> Catalog:
    """The active ruleset (``loaded``, else loaded here, failing on a stale one) with its RFC sources (when they
    can be found) for the motivation and source links."""
    from codex.ruleset_source import load_active, shipped_dir

    loaded = loaded or load_active(root, config.model_copy(update={"docs_url": None}))  # the catalog is what docs_url points at
    ruleset = loaded.ruleset
    pages = {}
    for meta in ruleset.rfcs:
        base = shipped_dir() if meta.id in loaded.shipped_rfcs else root
        source, intro = _read_source(base / meta.path, meta.path)
        rules = tuple(r for r in ruleset.rules if r.rfc.id == meta.id)
        link = rules[0].rfc.web_url.split("#")[0] if rules and rules[0].rfc.web_url else meta.path
        pages[meta.id] = RfcPage(meta=meta, intro=intro, source=source, rules=rules, link=link, shipped=meta.id in loaded.shipped_rfcs)
    return Catalog(ruleset=ruleset, origin=loaded.origin, rfcs=pages)


def _read_source(path: Path, rel: str) -> tuple[str | None, str]:
    """The RFC's markdown and its motivation: the prose between the title and the first rule."""
    if not path.is_file():
        return None, ""
    doc, _ = read_rfc(path, rel)
    text = path.read_text(encoding="utf-8-sig")
    if doc is None:
        return text, ""
    lines = text.splitlines()
    end = doc.rules[0].line - 1 if doc.rules else len(lines)
    intro = [line for line in lines[doc.body_line - 1 : end] if not line.startswith("# ")]
    return text, "\n".join(intro).strip()


def snippet(example: Example, rule: Rule) -> Snippet:
    kept: list[str] = []
    flagged: list[int] = []
    for number, line in enumerate(example.code.splitlines(), 1):
        if ANNOTATION_LINE.match(line):
            continue
        kept.append(line)
        if number in example.expected:
            flagged.append(len(kept))
    origin = example.source or f"{rule.rfc.path}:{example.source_line}"
    return Snippet(language=example.language, code="\n".join(kept) + "\n", flagged=tuple(flagged), origin=origin)


def stage_lines(rule: Rule, meta: RfcMeta | None) -> list[str]:
    lines = [f"Stage: {rule.stage.value} — {STAGE_MEANING[rule.stage]}.", f"Severity: {rule.severity.value}."]
    for cohort in rule.rollout:
        where = f"on {', '.join(cohort.paths)}" if cohort.paths else "everywhere"
        lines.append(f"Rollout: {cohort.stage.value} {where}" + (f" from {cohort.since}." if cohort.since else "."))
    if meta is not None:
        lines.append(f"RFC status: {meta.status.value}" + (" (draft RFCs run their rules in shadow)." if meta.status.value == "draft" else "."))
    if rule.paths.include:
        lines.append(f"Applies to: {', '.join(rule.paths.include)}.")
    if rule.paths.exclude:
        lines.append(f"Except: {', '.join(rule.paths.exclude)}.")
    lines.append(f"Languages: {', '.join(rule.languages)}; matcher: {rule.matcher.kind}.")
    return lines
