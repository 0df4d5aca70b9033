"""Reports for the CI format tests, built from the shipped rules without running an engine."""

from __future__ import annotations

import datetime as dt

from codex.model import Ruleset, Stage
from codex.problems import Problem
from reviewer.finding import Finding, Report, sort_and_fingerprint
from reviewer.stats import GovernanceStats, LlmNotRun, RulesetStats, RunStats

AWKWARD_PATH = "src/odd, name:50%.py"
FIXED_LINE = "subprocess.run(shlex.split(cmd))"
SOURCE = {
    "src/client.py": "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n",
    AWKWARD_PATH: "import subprocess\nsubprocess.run(cmd, shell=True)\n",
    "legacy/old.py": "assert x\n",
    "legacy/new.py": "assert y\n",
}


def run_stats(
    *,
    mode: str = "diff",
    files_checked: int = 0,
    findings: int = 0,
    blocking: int = 0,
    version: str = "?",
    base: str | None = None,
    preexisting: int = 0,
    seconds: float = 0.0,
) -> RunStats:
    """The stats of a run without the LLM pass: what a formatter test sets, the rest zero."""
    return RunStats(
        mode=mode,
        ruleset=RulesetStats(version=version, origin="test", rules=0),
        files_changed=files_checked,
        files_checked=files_checked,
        findings=findings,
        blocking=blocking,
        outside_diff=0,
        preexisting=preexisting,
        base=base,
        governance=GovernanceStats(date=dt.date(2026, 1, 1), held=[], rules={}),
        llm=LlmNotRun(status="skipped", reason="--no-llm", rules=[], unreviewed=[]),
        cache=None,
        seconds={"total": seconds},
    )


def sample_report(ruleset: Ruleset) -> Report:
    """Blocking findings (one in a path with separators in it), a warning, a shadow finding, a problem."""
    rule = ruleset.rule
    findings = [
        Finding.of(rule("CX0003"), "src/client.py", 5, 5, 12, "requests.get() without timeout=", "libcst"),
        Finding.of(rule("CX0005"), AWKWARD_PATH, 2, 2, 1, "shell=True\nwith 100% risk", "semgrep", fix=FIXED_LINE),
        Finding.of(rule("CX0007"), "legacy/old.py", 1, 1, 1, None, "semgrep").model_copy(update={"stage": Stage.shadow}),
        Finding.of(rule("CX0007"), "legacy/new.py", 1, 1, 1, None, "semgrep"),
    ]
    findings = sort_and_fingerprint(findings, {p: text.splitlines() for p, text in SOURCE.items()})
    problems = [Problem(path="legacy/py2.py", line=3, message="not valid Python 3", hint="port it", kind="parse")]
    blocking = sum(f.blocking for f in findings)
    return Report(
        findings=findings, errors=problems, stats=run_stats(files_checked=3, findings=len(findings), blocking=blocking, version=ruleset.version, seconds=0.1)
    )


def fixable_ruleset(ruleset: Ruleset) -> Ruleset:
    """The shipped libcst rules (CX0006 fixes ``yaml.load(x, Loader=yaml.Loader)`` as ``yaml.safe_load(x)``) plus CX0005 as a
    semgrep rule with a ``fix:`` (``subprocess.run(c, shell=True)`` → ``subprocess.run(shlex.split(c))``)."""
    from codex.semgrep_config import SemgrepMatcher

    shell_rule = ruleset.rule("CX0005").model_copy(
        update={"matcher": SemgrepMatcher(body={"pattern": "subprocess.run($C, shell=True)", "fix": "subprocess.run(shlex.split($C))"})}
    )
    rules = [r for r in ruleset.rules if r.matcher.kind == "libcst"] + [shell_rule]
    return Ruleset.build([m for m in ruleset.rfcs if any(r.rfc.id == m.id for r in rules)], rules)


# CX0006 on line 6 and on lines 7-8 (libcst fixes), CX0005 on line 9 (a semgrep fix)
FIXABLE = (
    "import subprocess\nimport yaml\n\n\ndef read(text, more):\n    data = yaml.load(text, Loader=yaml.Loader)\n"
    "    extra = yaml.load(\n        more, Loader=yaml.Loader)\n    subprocess.run(text, shell=True)\n    return data, extra\n"
)


JUDGED = 'def limit(settings):\n    region = settings.get("region")\n    return region["limit"]\n'
MODEL_REASON = "region comes from settings.get and may be None."  # the scripted model's reason for JUDGED's line 3


def judgment_ruleset(ruleset: Ruleset) -> Ruleset:
    """The shipped judgment rule CX0002 alone: the LLM pass runs, no static engine does."""
    rule = ruleset.rule("CX0002")
    return Ruleset.build([m for m in ruleset.rfcs if m.id == rule.rfc.id], [rule])
