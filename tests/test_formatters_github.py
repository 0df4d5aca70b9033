"""``--format github``: workflow commands, escaped as the Actions runner parses them."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

from ci_support import AWKWARD_PATH, sample_report
from reviewer.formatters import get_formatter

_COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _parse(line: str) -> tuple[str, dict[str, str], str]:
    """Read a workflow command back the way the runner does (split, then percent-decode)."""
    level, props, message = _COMMAND.match(line).groups()
    properties = dict(p.split("=", 1) for p in props.split(","))
    return level, {k: unquote(v) for k, v in properties.items()}, unquote(message)


def test_one_annotation_per_visible_finding_and_problem(shipped_ruleset):
    report = sample_report(shipped_ruleset)
    out = io.StringIO()
    get_formatter("github").write(report, out)
    lines = out.getvalue().splitlines()
    commands = [_parse(line) for line in lines if line.startswith("::")]
    assert [(lvl, p.get("title", "")[:6]) for lvl, p, _ in commands] == [
        ("warning", "CX0007"), ("error", "CX0003"), ("error", "CX0005"), ("warning", "codex:")]
    assert all("\n" not in line for line in lines)
    level, props, message = commands[2]
    assert props["file"] == AWKWARD_PATH and props["line"] == "2"
    assert message.startswith("shell=True\nwith 100% risk")
    assert lines[-1].startswith("codex: blocked") and "[" not in lines[-1]
