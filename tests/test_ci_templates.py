"""``action.yml`` and ``ci/gitlab/codex.yml``: well-formed, and the codex command lines they run are valid."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from codex.main import build_parser

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _codex_args(line: str, env: dict[str, str]) -> list[str]:
    """The arguments of a ``codex ...`` shell line, with its ``"$VARIABLE"`` references filled in."""
    words = shlex.split(re.sub(r"\$(\w+)", lambda m: env[m.group(1)], line))
    assert words[0] == "codex"
    return words[1:]


def test_the_action_is_a_composite_that_reviews_pull_requests():
    action = yaml.safe_load((PROJECT_ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0 and "pull_request.head.sha" in checkout["with"]["ref"]
    review = next(s for s in steps if "codex review" in s.get("run", ""))
    assert "pull_request" in review["if"] and review["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    env = {k: action["inputs"]["max-comments"]["default"] for k in review["env"]}
    args = build_parser().parse_args(_codex_args(review["run"], env))
    assert args.command == "review" and args.max_comments == 25
    for step in steps:  # inputs reach scripts through env, never spliced into the shell text
        assert "${{" not in step.get("run", ""), step


def test_the_gitlab_template_reviews_merge_requests_and_keeps_the_code_quality_report():
    template = yaml.safe_load((PROJECT_ROOT / "ci" / "gitlab" / "codex.yml").read_text(encoding="utf-8"))
    job = template["codex"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    [line] = [s for s in job["script"] if s.startswith("codex ")]
    args = build_parser().parse_args(_codex_args(line, job["variables"]))
    assert args.command == "review" and args.max_comments == 25
    assert str(args.code_quality) == job["artifacts"]["reports"]["codequality"]
    assert job["artifacts"]["when"] == "always"
