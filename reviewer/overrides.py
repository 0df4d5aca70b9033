"""``codex: allow RULE -- reason`` comments: findings let through for human review, and overrides that are wrong.

An inline override sits on the finding's line or the line above; ``codex: allow-file`` in the first
``FILE_LEVEL_LINES`` lines of a file covers the whole file. Any comment syntax works: the marker
follows a comment opener (``#``, ``//``, ``--``, ``/*``, ``<!--``, ``;``, ``%``, ``{-``, ``(*``,
``REM``). An override without a reason lets nothing through, and an override that lets nothing
through is reported; both as findings of ``CODEX-OVERRIDE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codex.languages import language_of
from codex.model import RULE_ID, LlmMatcher, Prefilter, RfcRef, Ruleset, Severity, Stage
from reviewer.finding import Finding
from reviewer.targets import Target, applies

OVERRIDE_RULE_ID = "CODEX-OVERRIDE"
FILE_LEVEL_LINES = 10
OVERRIDE_PROBE = Prefilter(keywords=("codex:",))  # a file without it holds no override (tested without reading it when indexed)
_MARKER = re.compile(r"(?:#|//|--|/\*|<!--|;|%|\{-|\(\*|\bREM\b)\s*(?P<marker>codex:\s*allow(?P<file>-file)?\b)(?P<rest>.*)")
_RULE_IDS = re.compile(rf"^\s*(?P<ids>{RULE_ID}(?:\s*,\s*{RULE_ID})*)")
_COMMENT_CLOSERS = re.compile(r"\s*(\*/|-->|\]\]|#\}|%\}|\*\))\s*$")
_OVERRIDE_REF = RfcRef(id="codex", title="Overrides need a reason and must let a finding through", path="README.md", anchor="overrides")


_LINE_COMMENT = {
    "bash": "#",
    "python": "#",
    "ruby": "#",
    "terraform": "#",
    "yaml": "#",
    "lua": "--",
    **{lang: "//" for lang in ("c", "cpp", "csharp", "go", "java", "javascript", "kotlin", "php", "rust", "scala", "swift", "typescript")},
}


def override_comment(path: str, rule_id: str) -> str | None:
    """The comment that lets a finding of ``rule_id`` through, in the comment syntax of ``path``'s language (None: the
    language has no comments, as JSON)."""
    opener = _LINE_COMMENT.get(language_of(path) or "")
    return f"{opener} codex: allow {rule_id} -- <why it is safe here>" if opener else None


@dataclass
class Override:
    line: int
    column: int
    rule_ids: tuple[str, ...]
    reason: str | None
    file_level: bool
    used: set[str] = field(default_factory=set)

    def covers(self, finding: Finding) -> bool:
        return finding.rule_id in self.rule_ids and (self.file_level or finding.line in (self.line, self.line + 1))


def parse_overrides(text: str) -> tuple[list[Override], list[tuple[int, int, str]]]:
    """The overrides in a file, and its malformed ones as (line, column, what is wrong)."""
    overrides: list[Override] = []
    malformed: list[tuple[int, int, str]] = []
    for number, line in enumerate(text.split("\n"), 1):  # numbered as git numbers lines: a form feed is not a line end
        marker = _MARKER.search(line)
        if marker is None:
            continue
        column = marker.start("marker") + 1
        ids = _RULE_IDS.match(marker["rest"])
        if ids is None:
            malformed.append((number, column, "override names no rule"))
            continue
        file_level = bool(marker["file"])
        if file_level and number > FILE_LEVEL_LINES:
            malformed.append((number, column, f"file-level override below line {FILE_LEVEL_LINES}"))
            continue
        _, dashes, reason = marker["rest"][ids.end() :].partition("--")
        reason = _COMMENT_CLOSERS.sub("", reason).strip() if dashes else ""
        rule_ids = tuple(x.strip() for x in ids["ids"].split(","))
        overrides.append(Override(number, column, rule_ids, reason or None, file_level))
    return overrides, malformed


def override_reasons(ruleset: Ruleset, targets: list[Target], found: list[Finding]) -> tuple[list[str | None], list[Finding]]:
    """Per finding of ``found``, the reason of the override that lets it through (None: none does); and the findings
    about overrides themselves."""
    about: list[Finding] = []
    reasons: list[str | None] = [None] * len(found)
    by_path: dict[str, list[int]] = {}
    for index, finding in enumerate(found):
        by_path.setdefault(finding.path, []).append(index)
    for target in targets:
        if not target.passes(OVERRIDE_PROBE):
            continue
        overrides, malformed = parse_overrides(target.text)
        about += [_finding(target.path, line, column, what, "write `codex: allow RULE -- why it is safe here`") for line, column, what in malformed]
        for index in by_path.get(target.path, []):
            finding = found[index]
            override = next((o for o in overrides if o.reason and o.covers(finding)), None)
            if override is not None:
                reasons[index] = override.reason
                override.used.add(finding.rule_id)
        for override in overrides:
            about += _problems_of(override, ruleset, target)
    return reasons, about


def _problems_of(override: Override, ruleset: Ruleset, target: Target) -> list[Finding]:
    ids = ", ".join(override.rule_ids)
    if override.reason is None:
        return [
            _finding(
                target.path,
                override.line,
                override.column,
                f"override of {ids} without a reason, so it lets nothing through",
                f"write `codex: allow {ids} -- <why it is safe here>`",
            )
        ]
    problems = []
    for rule_id in override.rule_ids:
        rule = ruleset.rule(rule_id)
        if rule is None:
            problems.append(
                _finding(
                    target.path,
                    override.line,
                    override.column,
                    f"unused override: {rule_id} is not a rule of the active ruleset",
                    "remove it, or correct the rule id",
                )
            )
        elif rule_id not in override.used and not isinstance(rule.matcher, LlmMatcher):
            where = "in this file" if override.file_level else "on this line or the next"
            reason = "does not apply to this file" if not applies(rule, target) else f"finds nothing {where}"
            problems.append(_finding(target.path, override.line, override.column, f"unused override: {rule_id} {reason}", "remove the override"))
    return problems


def _finding(path: str, line: int, column: int, message: str, use: str) -> Finding:
    return Finding(
        rule_id=OVERRIDE_RULE_ID,
        path=path,
        line=line,
        end_line=line,
        column=column,
        severity=Severity.warning,
        stage=Stage.warn,
        message=message,
        need="to let a finding through",
        use=use,
        rfc=_OVERRIDE_REF,
        engine="codex",
    )
