"""What a ``codex review`` comment says about a finding's RFC: a link a reader can open, else the reasoning inline."""

from __future__ import annotations

from codex.model import RfcRef
from codex_testing.reports import sample_report
from reviewer.platforms.review import explain_unlinked, finding_body, link_rfcs

FILES = "https://github.example/acme/app/blob"


def test_without_a_link_the_comment_carries_the_rule_s_reasoning_and_remedy_in_a_collapsed_why(shipped_ruleset):
    report = explain_unlinked(sample_report(shipped_ruleset), shipped_ruleset)
    cx3 = next(f for f in report.findings if f.rule_id == "CX0003")
    reasoning = shipped_ruleset.rule("CX0003").description
    assert finding_body(cx3) == (
        "**CX0003** (blocking): requests.get() without timeout=\n\n"
        "If you need an HTTP call to another service with `requests`, use an explicit `timeout=` (seconds, or a "
        "`(connect, read)` tuple) on every call.\n\n"
        "<details><summary>Why: RFC-0003 Outbound calls and errors fail visibly and on time</summary>\n\n"
        f"{reasoning}\n\n"
        "**Instead:** use an explicit `timeout=` (seconds, or a `(connect, read)` tuple) on every call.\n\n"
        "`codex explain CX0003` prints the rule in full, with examples.\n\n</details>\n\n"
        f"<!-- codex:finding {cx3.fingerprint} -->"
    )
    assert reasoning.startswith("`requests` waits for ever by default")
    cx5 = next(f for f in report.findings if f.rule_id == "CX0005")
    assert (
        "**Instead:** use `subprocess` with an argument list and the default `shell=False`. The suggestion above applies "
        "the rule's fix.\n\n`codex explain CX0005`" in finding_body(cx5, "suggestion")
    )


def test_with_a_link_the_comment_links_the_rfc_and_nothing_more(shipped_ruleset):
    [first, *_] = sample_report(shipped_ruleset).findings
    linked = first.model_copy(
        update={"rfc": first.rfc.model_copy(update={"url": "https://docs.example.com/rules/CX0007.html"}), "explanation": "never shown: the link says it"}
    )
    assert finding_body(linked) == (
        "**CX0007** (warn): No assert in non-test code\n\n"
        "If you need to validate input or state in production code, use an explicit `if` with a raised exception that names "
        "what is wrong (`ValueError`, `TypeError`, a domain error).\n\n"
        "Why: [RFC-0005 Assertions are not validation](https://docs.example.com/rules/CX0007.html)\n\n"
        f"<!-- codex:finding {first.fingerprint} -->"
    )


def test_the_review_links_own_rfcs_at_the_base_commit_and_never_the_shipped_ones(shipped_ruleset):
    report = sample_report(shipped_ruleset)
    own = report.findings[0].model_copy(update={"rfc": RfcRef(id="RFC-0100", title="Own", path="docs/rfcs/0100-own.md", anchor="cx0100")})
    override = report.findings[0].model_copy(update={"engine": "codex", "rfc": RfcRef(id="codex", title="Overrides", path="README.md", anchor="overrides")})
    mixed = report.model_copy(update={"findings": [report.findings[1], own, override]})
    linked = link_rfcs(mixed, FILES, "abc123", shipped=frozenset({"RFC-0001", "RFC-0003", "RFC-0005"}))
    assert [f.rfc.url for f in linked.findings] == [None, f"{FILES}/abc123/docs/rfcs/0100-own.md#cx0100", None]


def test_the_summary_table_links_an_rfc_only_at_an_address(shipped_ruleset):
    from pathlib import Path

    from reviewer.changes import ChangeSet
    from reviewer.platforms.merge_request import MergeDiff
    from reviewer.platforms.review import Outcome, ReviewInput, summary_body

    report = sample_report(shipped_ruleset)
    cx3, cx5 = (next(f for f in report.findings if f.rule_id == rule) for rule in ("CX0003", "CX0005"))
    cx5 = cx5.model_copy(update={"rfc": cx5.rfc.model_copy(update={"url": "https://docs.example.com/rules/CX0005.html"})})
    diff = MergeDiff(base="0" * 40, head="1" * 40, changes=ChangeSet(Path("."), []), anchors={}, old_paths={})
    body = summary_body(ReviewInput(report, diff, "shipped codex"), Outcome(unposted=[(cx3, "not a line of the diff"), (cx5, "refused")]))
    assert [line for line in body.splitlines() if line.startswith("| CX")] == [
        "| CX0003 | `src/client.py:5` | requests.get() without timeout= — use an explicit `timeout=` (seconds, or a `(connect, read)` "
        "tuple) on every call (RFC-0003, `codex explain CX0003`) | not a line of the diff |",
        "| CX0005 | `src/odd, name:50%.py:2` | shell=True with 100% risk — use `subprocess` with an argument list and the default "
        "`shell=False` ([RFC-0004](https://docs.example.com/rules/CX0005.html)) | refused |",
    ]
