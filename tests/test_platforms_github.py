"""``codex review`` on GitHub Actions, against a local stand-in for GitHub's REST API driven through PyGithub."""

from __future__ import annotations

import json
import time

import pytest

from codex.compiler import compile_rfcs
from codex.model import Ruleset
from codex_testing.fake_github import FakeGitHub
from codex_testing.github_pr import TOKEN, PullRequest
from codex_testing.governance_rfcs import libcst_rule, rfc
from reviewer.platforms import github as github_platform
from reviewer.platforms.review import SUMMARY_MARKER, parse_marker

CLIENT_V1 = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n\n\ndef post(url, data):\n    return requests.post(url, data=data)\n"


@pytest.fixture
def github(git_repo, tmp_path, libcst_ruleset, monkeypatch, unthrottled):
    with FakeGitHub(TOKEN) as fake:
        pull = PullRequest(git_repo, tmp_path, libcst_ruleset, fake)
        pull.env(monkeypatch)
        yield pull


def _markers(fake: FakeGitHub) -> list[tuple[str, bool]]:
    return [parse_marker(c["body"]) for c in fake.review_comments]


def test_reruns_with_shifted_lines_never_duplicate_and_fixed_findings_are_marked(github, run_codex):
    fake = github.fake
    fake.issue_comments += [
        {"id": n, "body": f"human comment {n}", "url": f"{fake.url}/repos/acme/app/issues/comments/{n}", "user": {"login": "dev"}} for n in range(1, 4)
    ]
    github.push({"app/client.py": CLIENT_V1})
    first = run_codex(["review", "--root", github.repo.path])
    assert first.code == 1, first.err
    assert len(fake.review_comments) == 2 and len(fake.reviews) == 1
    fingerprints = {m[0] for m in _markers(fake)}
    for shift in (1, 2, 3):
        github.push({"app/client.py": "# a comment\n" * shift + CLIENT_V1})
        again = run_codex(["review", "--root", github.repo.path])
        assert again.code == 1, again.err
        assert len(fake.review_comments) == 2, f"re-run {shift} duplicated a comment"
        assert {m[0] for m in _markers(fake)} == fingerprints
    github.push({"app/client.py": CLIENT_V1.replace("requests.get(url)", "requests.get(url, timeout=5)")})
    fixed = run_codex(["review", "--root", github.repo.path])
    assert fixed.code == 1
    assert sorted(m[1] for m in _markers(fake)) == [False, True]
    assert "Fixed in" in next(c["body"] for c in fake.review_comments if parse_marker(c["body"])[1])
    summaries = [c for c in fake.issue_comments if SUMMARY_MARKER in c["body"]]
    assert len(summaries) == 1 and len(fake.issue_comments) == 4, "the summary is edited, never re-posted"
    assert "1 thread(s) closed as fixed" in summaries[0]["body"]
    assert len(fake.reviews) == 1, "re-runs without new findings post no review"
    github.push({"app/client.py": CLIENT_V1})
    assert run_codex(["review", "--root", github.repo.path]).code == 1
    assert [m[1] for m in _markers(fake)] == [False, False], "a finding that comes back reopens its comment"
    assert len(fake.review_comments) == 2


def test_a_checkout_that_is_not_the_head_commit_is_refused_with_a_hint(github, run_codex):
    github.push({"app/client.py": CLIENT_V1})
    github.repo.checkout(github.base)
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 2 and "not at the merge request head" in result.err and "actions/checkout" in result.err


def test_a_comment_github_refuses_goes_into_the_summary(github, run_codex):
    github.push({"app/client.py": CLIENT_V1, "app/vendored.py": "import requests\nrequests.get(u)\n"})
    github.fake.commentable.pop("app/vendored.py")  # GitHub does not show this file's diff (too large, generated...)
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 1, result.err
    assert github.fake.refused >= 2, "the review was refused whole, then the bad comment alone"
    assert {c["path"] for c in github.fake.review_comments} == {"app/client.py"}
    [summary] = [c["body"] for c in github.fake.issue_comments if SUMMARY_MARKER in c["body"]]
    assert "`app/vendored.py:2`" in summary and "refused by GitHub (422): Validation Failed; Line could not be resolved" in summary


def test_findings_over_the_comment_cap_go_into_the_summary(github, run_codex):
    github.push({"app/client.py": CLIENT_V1})
    result = run_codex(["review", "--root", github.repo.path, "--max-comments", "1"])
    assert result.code == 1, result.err
    assert len(github.fake.review_comments) == 1
    [summary] = [c["body"] for c in github.fake.issue_comments if SUMMARY_MARKER in c["body"]]
    assert "over the cap of 1 new comments per run" in summary and "`app/client.py:9`" in summary
    rfc_at_base = f"https://github.example/acme/app/blob/{github.base}/rfcs/0003-resilient-python-calls.md#cx0003-"
    assert rfc_at_base in github.fake.review_comments[0]["body"] and rfc_at_base in summary


@pytest.mark.parametrize("secondary", [False, True], ids=["403-reset", "429-retry-after"])
def test_a_rate_limit_is_waited_out_then_the_review_goes_on(github, run_codex, secondary):
    github.push({"app/client.py": CLIENT_V1})
    github.fake.rate_limit_pending, github.fake.secondary_limit = 1, secondary
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 1, result.err
    assert github.fake.rate_limited == 1 and len(github.fake.review_comments) == 2
    assert "API error" not in result.err


def test_a_lasting_rate_limit_is_reported_and_the_check_result_stands(github, run_codex):
    github.push({"app/client.py": CLIENT_V1})
    github.fake.rate_limit_pending = 100
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 1, "a platform failure neither blocks nor passes the merge by itself"
    assert github.fake.rate_limited >= 2, "retried before giving up"
    assert "github API error" in result.err and "Traceback" not in result.err + result.out
    assert "CX0003" in result.out, "the findings are still printed"


def test_the_token_is_never_printed_not_even_in_debug_logs(github, run_codex, monkeypatch, caplog):
    github.push({"app/client.py": CLIENT_V1})
    monkeypatch.setenv("CODEX_DEBUG", "1")
    with caplog.at_level("DEBUG"):
        accepted = run_codex(["review", "--root", github.repo.path])
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN + "-revoked")
        refused = run_codex(["review", "--root", github.repo.path])
    assert accepted.code == refused.code == 1
    assert "401" in refused.err and "Bad credentials" in refused.err
    for text in (accepted.out, accepted.err, refused.out, refused.err, caplog.text):
        assert TOKEN not in text
    assert any(headers.get("Authorization") == f"token {TOKEN}" for _, _, headers in github.fake.requests)


def test_without_a_token_nothing_is_posted_and_the_variable_is_named(github, run_codex, monkeypatch):
    github.push({"app/client.py": CLIENT_V1})
    github.env(monkeypatch, token=None)
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 1 and "set GITHUB_TOKEN" in result.err
    assert github.fake.requests == []


def test_the_target_branch_rules_judge_and_rule_changes_are_listed(github, run_codex, libcst_ruleset):
    weakened = Ruleset.build(list(libcst_ruleset.rfcs), [r for r in libcst_ruleset.rules if r.id != "CX0003"])
    github.push({"app/client.py": CLIENT_V1, "rules/ruleset.json": weakened.to_json()})
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 1 and "CX0003" in result.out, "the merge request cannot switch off the rule that reviews it"
    [summary] = [c["body"] for c in github.fake.issue_comments if SUMMARY_MARKER in c["body"]]
    assert "Rule changes in this merge request" in summary and "removed **CX0003**" in summary


@pytest.mark.parametrize("name", ["codex.toml", ".codex.toml"])
def test_the_target_branch_s_codex_toml_is_read_and_the_merge_request_s_is_not(git_repo, tmp_path, monkeypatch, unthrottled, run_codex, libcst_ruleset, name):
    with FakeGitHub(TOKEN) as fake:
        pull = PullRequest(git_repo, tmp_path, libcst_ruleset, fake, {name: 'shipped = false\ndisable = ["CX0003"]\n'})
        pull.env(monkeypatch)
        pull.push({"app/client.py": CLIENT_V1, name: "shipped = false\n"})
        result = run_codex(["review", "--root", pull.repo.path])
        assert result.code == 0, result.err
        assert fake.review_comments == [], "the target branch's codex.toml disables CX0003 (two findings otherwise), over pyproject.toml"


def test_an_unknown_key_in_the_target_branch_s_codex_toml_is_named_with_its_file(git_repo, tmp_path, monkeypatch, unthrottled, run_codex, libcst_ruleset):
    with FakeGitHub(TOKEN) as fake:
        pull = PullRequest(git_repo, tmp_path, libcst_ruleset, fake, {"codex.toml": "shipped = false\n[llm]\ntimout = 5\n"})
        pull.env(monkeypatch)
        pull.push({"app/client.py": CLIENT_V1, "codex.toml": "shipped = false\n"})
        result = run_codex(["review", "--root", pull.repo.path])
    assert result.code == 0 and "Traceback" not in result.err, "fails open, as any unusable target-branch ruleset"
    assert f"codex.toml: llm.timout at the target branch ({pull.base[:12]}): Extra inputs are not permitted" in result.err


def test_the_target_branch_s_gitattributes_mark_generated_files_and_the_merge_request_s_do_not(
    git_repo, tmp_path, monkeypatch, unthrottled, run_codex, libcst_ruleset
):
    with FakeGitHub(TOKEN) as fake:
        pull = PullRequest(git_repo, tmp_path, libcst_ruleset, fake, {".gitattributes": "app/gen/** linguist-generated\n"})
        pull.env(monkeypatch)
        pull.push({"app/a.py": CLIENT_V1, "app/client.py": CLIENT_V1, "app/gen/x.py": CLIENT_V1, ".gitattributes": "app/** linguist-generated\n"})
        result = run_codex(["review", "--root", pull.repo.path])
        assert result.code == 1, result.err
        assert sorted(c["path"] for c in fake.review_comments) == ["app/a.py", "app/a.py", "app/client.py", "app/client.py"]


def test_a_shallow_clone_gets_a_fetch_depth_hint_not_a_traceback(github, run_codex, tmp_path, monkeypatch):
    github.push({"app/client.py": CLIENT_V1})
    shallow = tmp_path / "shallow"
    github.repo.git("clone", "--quiet", "--depth", "1", "--no-local", f"file://{github.repo.path}", str(shallow))
    result = run_codex(["review", "--root", shallow])
    assert result.code == 2
    assert "fetch-depth: 0" in result.err and "not in this clone" in result.err and "Traceback" not in result.err
    assert github.fake.requests == []


def test_outside_a_merge_request_review_says_so(run_codex, monkeypatch, tmp_path):
    for key in ("GITHUB_ACTIONS", "GITLAB_CI"):
        monkeypatch.delenv(key, raising=False)
    result = run_codex(["review", "--root", tmp_path])
    assert result.code == 2 and "no merge request to review" in result.err


def test_detect_reads_the_pull_request_event(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12, "base": {"sha": "a" * 40}, "head": {"sha": "b" * 40}}}))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_TOKEN": TOKEN,
    }
    mr = github_platform.detect(env)
    assert (mr.number, mr.base_sha, mr.head_sha, mr.project, mr.api_url) == (12, "a" * 40, "b" * 40, "acme/app", "https://api.github.com")
    assert TOKEN not in repr(mr) and TOKEN not in str(mr.model_dump())
    assert github_platform.detect({**env, "GITHUB_EVENT_NAME": "push"}) is None


def test_an_unreadable_target_branch_ruleset_fails_open_unless_strict(git_repo, tmp_path, monkeypatch, unthrottled, run_codex):
    with FakeGitHub(TOKEN) as fake:
        pull = PullRequest(git_repo, tmp_path, Ruleset.build([], []), fake)
        pull.repo.checkout("main")
        pull.repo.commit("break the rules", {"rules/ruleset.json": "{not json"})
        pull.base = pull.repo.head()
        pull.repo.checkout("feature")
        pull.repo.git("merge", "--quiet", "main")
        pull.push({"app/client.py": CLIENT_V1})
        pull.env(monkeypatch)
        lenient = run_codex(["review", "--root", pull.repo.path])
        strict = run_codex(["review", "--root", pull.repo.path, "--strict"])
    assert (lenient.code, strict.code) == (0, 2)
    assert "rules/ruleset.json: unreadable ruleset at the target branch" in lenient.err and "Traceback" not in lenient.err
    assert fake.requests == []


def test_a_target_branch_ruleset_reusing_a_shipped_id_fails_stale_to_the_shipped_codex(git_repo, tmp_path, monkeypatch, unthrottled, run_codex):
    """As `codex check` treats the same tree: the own rules are dropped, the shipped codex alone judges, and the
    collision is said on stderr and in the summary; never an exit 0 having checked nothing."""
    own = tmp_path / "own"
    (own / "rfcs").mkdir(parents=True)
    (own / "rfcs" / "0100-timeouts.md").write_text(rfc("RFC-0100", [libcst_rule("CX0003")]), encoding="utf-8")
    compiled = compile_rfcs(own / "rfcs", own)  # as a codex without CX0003 compiled it, before an upgrade shipped that id
    with FakeGitHub(TOKEN) as fake:
        pull = PullRequest(git_repo, tmp_path, compiled.ruleset, fake, {"pyproject.toml": "[tool.codex]\n"})
        pull.push({"app/client.py": CLIENT_V1})
        pull.env(monkeypatch)
        result = run_codex(["review", "--root", pull.repo.path, "--no-llm"])
    assert result.code == 1
    assert [line.split()[:2] for line in result.out.splitlines() if "(blocking)" in line] == [
        ["app/client.py:5:12", "CX0003"],
        ["app/client.py:9:12", "CX0003"],
    ]  # the shipped CX0003
    assert result.err.splitlines()[0] == (
        f"codex review: rules/ruleset.json at {pull.base[:12]}: reuses shipped ids; checked with the shipped codex alone "
        "— pick ids no shipped rule uses in the target branch's RFCs and run `codex compile`, or set [tool.codex] shipped = false in pyproject.toml"
    )
    [summary] = [c["body"] for c in fake.issue_comments if SUMMARY_MARKER in c["body"]]
    assert "Judged by the target branch's rules: shipped codex." in summary
    assert "- rfcs/0100-timeouts.md: rule id CX0003 is a shipped rule (Outbound requests calls have a timeout)" in summary


def test_dry_run_prints_the_summary_and_posts_nothing(github, run_codex):
    github.push({"app/client.py": CLIENT_V1})
    result = run_codex(["review", "--root", github.repo.path, "--dry-run"])
    assert result.code == 1
    assert SUMMARY_MARKER in result.out and "codex: blocked — 2 finding(s)" in result.out
    assert github.fake.requests == []


def test_a_known_fix_is_offered_as_a_suggestion_on_the_flagged_lines(git_repo, tmp_path, monkeypatch, unthrottled, run_codex, shipped_ruleset):
    from codex_testing.reports import FIXABLE, fixable_ruleset

    with FakeGitHub(TOKEN) as fake:
        pull = PullRequest(git_repo, tmp_path, fixable_ruleset(shipped_ruleset), fake)
        pull.push({"app/config.py": FIXABLE})
        pull.env(monkeypatch)
        result = run_codex(["review", "--root", pull.repo.path])
    assert result.code == 1, result.err
    by_line = {c["line"]: c for c in fake.review_comments}
    assert set(by_line) == {6, 8, 9} and fake.refused == 0
    assert "```suggestion\n    data = yaml.safe_load(text)\n```" in by_line[6]["body"] and by_line[6]["start_line"] is None  # libcst
    assert by_line[8]["start_line"] == 7, "a two-line finding is commented on both lines, which its suggestion replaces"
    assert "```suggestion\n    extra = yaml.safe_load(\n        more)\n```" in by_line[8]["body"]
    assert "```suggestion\n    subprocess.run(shlex.split(text))\n```" in by_line[9]["body"]  # semgrep


def test_a_judgment_finding_is_commented_with_the_models_reason_and_a_rerun_asks_the_model_nothing(
    git_repo, tmp_path, monkeypatch, unthrottled, run_codex, shipped_ruleset
):
    from codex_testing.llm_server import LlmServer, findings, in_order
    from codex_testing.reports import JUDGED, MODEL_REASON, judgment_ruleset

    with FakeGitHub(TOKEN) as fake, LlmServer(in_order(findings(("CX0002", "app/handler.py", 3, MODEL_REASON, 'return region["limit"]')))) as llm:
        pull = PullRequest(git_repo, tmp_path, judgment_ruleset(shipped_ruleset), fake)
        pull.push({"app/handler.py": JUDGED})
        pull.env(monkeypatch)
        monkeypatch.setenv("CODEX_LLM_MODEL", "test-model")
        monkeypatch.setenv("CODEX_LLM_BASE_URL", llm.base_url)
        results = [run_codex(["review", "--root", pull.repo.path]) for _ in range(2)]
    assert [r.code for r in results] == [1, 1], results[0].err
    [comment] = fake.review_comments
    assert comment["line"] == 3 and comment["body"].startswith("**CX0002** (blocking): ")
    assert f"\n\nModel's reason: {MODEL_REASON}\n\n" in comment["body"]
    assert len(llm.requests) == 1, "the re-run is answered from the cache"


def test_the_model_s_reason_renders_as_plain_text_in_a_comment() -> None:
    from reviewer.platforms.review import inert_markdown

    steered = "See [the fix](https://evil.example) ![x](https://evil.example/p.png) @admin <b>now</b> `code` *bold*"
    shown = inert_markdown(steered)
    assert "](" not in shown.replace("\\](", "") and "@admin" not in shown and "<b>" not in shown
    assert shown == (
        "See \\[the fix\\]\\(https://evil.example\\) \\!\\[x\\]\\(https://evil.example/p.png\\) @&#8203;admin \\<b\\>now\\</b\\> \\`code\\` \\*bold\\*"
    )


def test_the_merge_request_s_own_rfcs_never_import_a_matcher_class(github, run_codex, tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    site = tmp_path / "site" / "mr_lints"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).write_text('imported')\n")
    monkeypatch.syspath_prepend(str(site.parent))
    from codex_testing.governance_rfcs import libcst_rule, rfc

    github.push(
        {
            "app/client.py": CLIENT_V1,
            "pyproject.toml": '[tool.codex]\nlint_packages = ["mr_lints"]\n',
            "rfcs/0100-mine.md": rfc("RFC-0100", [libcst_rule("PY0100", rule_class="mr_lints.rules:Rule")]),
        }
    )
    result = run_codex(["review", "--root", github.repo.path, "--dry-run"])
    assert result.code == 1 and "CX0003" in result.out, result.err
    assert "added **PY0100**" in result.out
    assert not marker.exists()


def test_the_key_goes_to_the_target_branch_s_llm_endpoint_never_to_one_the_merge_request_names(
    git_repo, tmp_path, monkeypatch, unthrottled, run_codex, shipped_ruleset
):
    from codex_testing.llm_server import Answer, LlmServer, in_order
    from codex_testing.reports import JUDGED, judgment_ruleset

    with FakeGitHub(TOKEN) as fake, LlmServer(in_order(Answer())) as trusted, LlmServer(in_order(Answer())) as evil:
        table = '[tool.codex]\nshipped = false\n\n[tool.codex.llm]\nmodel = "test-model"\nbase_url = "{}"\n'
        pull = PullRequest(git_repo, tmp_path, judgment_ruleset(shipped_ruleset), fake, {"pyproject.toml": table.format(trusted.base_url)})
        pull.push({"app/handler.py": JUDGED, "pyproject.toml": table.format(evil.base_url)})
        pull.env(monkeypatch)
        for name in ("CODEX_LLM_BASE_URL", "CODEX_LLM_MODEL", "CODEX_LLM_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-user-key-1234")
        result = run_codex(["review", "--root", pull.repo.path, "--dry-run", "--no-history"])
    assert result.code == 0, result.err
    assert trusted.authorizations == ["Bearer sk-user-key-1234"]
    assert evil.requests == []


@pytest.mark.parametrize("deadline, requests", [(120.0, 7), (0.0, 3)])  # GraphQL's POST once, each list thrice or once
def test_an_api_answering_502_is_retried_within_bounds_and_the_check_result_stands(github, run_codex, monkeypatch, deadline, requests):
    monkeypatch.setattr(github_platform, "API_DEADLINE", deadline)
    github.push({"app/client.py": CLIENT_V1})
    github.fake.outage = 502
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 1, result.err
    errors = [line for line in result.err.splitlines() if line.startswith("codex review: github API error (the check result stands): ")]
    assert len(errors) == 3 and "review threads not read through GraphQL" in errors[1]  # the comments, the threads, the summary
    assert len(github.fake.requests) == requests


def _posts(fake: FakeGitHub) -> list[str]:
    return [path for method, path, _ in fake.requests if method == "POST" and path != "/graphql"]


def test_a_create_whose_answer_is_lost_is_found_and_never_posted_twice(github, run_codex):
    github.push({"app/client.py": CLIENT_V1})
    github.fake.lose_answers = {"POST /repos/": 2}  # the review, then the summary: each applied, each answered 502
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 1, result.err
    assert len(github.fake.reviews) == 1 and len(github.fake.review_comments) == 2
    assert [c for c in github.fake.issue_comments if SUMMARY_MARKER in c["body"]] == github.fake.issue_comments
    assert len(github.fake.issue_comments) == 1
    assert _posts(github.fake) == ["/repos/acme/app/pulls/7/reviews", "/repos/acme/app/issues/7/comments"], "found, not sent again"
    assert "API error" not in result.err


def test_a_create_refused_unprocessed_is_sent_again_once_it_is_not_found(github, run_codex):
    github.push({"app/client.py": CLIENT_V1})
    github.fake.refuse_next = {"POST /repos/": [(502, {})]}
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 1 and "API error" not in result.err, result.err
    assert len(github.fake.reviews) == 1 and len(github.fake.review_comments) == 2
    assert _posts(github.fake) == ["/repos/acme/app/pulls/7/reviews"] * 2 + ["/repos/acme/app/issues/7/comments"]


def test_an_edit_is_retried_on_502_and_on_429_after_its_retry_after(github, run_codex):
    github.push({"app/client.py": CLIENT_V1})
    assert run_codex(["review", "--root", github.repo.path]).code == 1
    github.push({"app/client.py": CLIENT_V1.replace("requests.get(url)", "requests.get(url, timeout=5)")})
    github.fake.refuse_next = {"PATCH /": [(502, {}), (429, {"Retry-After": "1"})]}
    started = time.monotonic()
    result = run_codex(["review", "--root", github.repo.path])
    assert time.monotonic() - started >= 1.0, "Retry-After was waited out"
    assert result.code == 1 and "API error" not in result.err, result.err
    assert sorted(m[1] for m in _markers(github.fake)) == [False, True], "the third try marked the fixed finding"
    patches = [path for method, path, _ in github.fake.requests if method == "PATCH"]
    fixed = next(c for c in github.fake.review_comments if parse_marker(c["body"])[1])
    assert patches == [f"/repos/acme/app/pulls/comments/{fixed['id']}"] * 3 + [f"/repos/acme/app/issues/comments/{github.fake.issue_comments[0]['id']}"]


def test_a_retry_after_past_the_deadline_is_not_waited_for(github, run_codex):
    github.push({"app/client.py": CLIENT_V1})
    assert run_codex(["review", "--root", github.repo.path]).code == 1
    github.push({"app/client.py": CLIENT_V1.replace("requests.get(url)", "requests.get(url, timeout=5)")})
    github.fake.refuse_next = {"PATCH /": [(429, {"Retry-After": "3600"})]}
    started = time.monotonic()
    result = run_codex(["review", "--root", github.repo.path])
    assert time.monotonic() - started < 60
    assert result.code == 1
    assert "codex review: github API error (the check result stands): " in result.err and "429" in result.err


def test_the_threads_of_fixed_findings_are_resolved_and_reopened_through_graphql_and_only_codex_s(github, run_codex):
    fake = github.fake
    github.push({"app/client.py": CLIENT_V1})
    assert run_codex(["review", "--root", github.repo.path]).code == 1
    [get, post] = fake.review_comments
    copied = fake.add_review_comment("Looks like codex's <!-- codex:finding 0123abcd -->", get["path"], get["line"], "dev")  # not codex's
    github.push({"app/client.py": CLIENT_V1.replace("requests.get(url)", "requests.get(url, timeout=5)")})
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 1 and "API error" not in result.err, result.err
    assert fake.resolved() == [(get["id"], True), (post["id"], False), (copied["id"], False)]
    assert get["thread"]["resolved_by"] == "github-actions[bot]"
    assert parse_marker(get["body"])[1] and copied["body"] == "Looks like codex's <!-- codex:finding 0123abcd -->"
    assert f"/repos/acme/app/pulls/comments/{copied['id']}" not in [path for _, path, _ in fake.requests], "never edited"
    github.push({"app/client.py": CLIENT_V1})
    assert run_codex(["review", "--root", github.repo.path]).code == 1
    assert fake.resolved() == [(get["id"], False), (post["id"], False), (copied["id"], False)], "a finding back reopens its thread"
    assert len(fake.review_comments) == 3, "and posts nothing new"


def test_a_graphql_failure_is_reported_and_the_review_goes_on(github, run_codex):
    fake = github.fake
    github.push({"app/client.py": CLIENT_V1})
    assert run_codex(["review", "--root", github.repo.path]).code == 1
    github.push({"app/client.py": CLIENT_V1.replace("requests.get(url)", "requests.get(url, timeout=5)")})
    fake.graphql_errors = [{"message": "Something went wrong while executing your query."}]
    result = run_codex(["review", "--root", github.repo.path])
    assert result.code == 1
    failure = 'GithubException: 400 {"errors": [{"message": "Something went wrong while executing your query."}]}'
    assert result.err.splitlines() == [
        f"codex review: github API error (the check result stands): review threads not read through GraphQL, so none is resolved: {failure}",
        "codex review: github API error (the check result stands): summary not updated: SummaryUnknown: cannot tell codex's summary "
        f"comment from a quote of it (GraphQL: {failure})",
    ]
    assert [r for _, r in fake.resolved()] == [False, False]
    assert sorted(m[1] for m in _markers(fake)) == [False, True], "the comment is still marked fixed"
    [summary] = [c["body"] for c in fake.issue_comments if SUMMARY_MARKER in c["body"]]
    assert "0 thread(s) closed as fixed" in summary, "not knowing whose it is, the first run's summary is left alone"
    fake.graphql_errors = []
    assert run_codex(["review", "--root", github.repo.path]).code == 1
    assert [r for _, r in fake.resolved()] == [True, False], "the next run resolves the thread of the comment marked fixed"
    assert sorted(m[1] for m in _markers(fake)) == [False, True] and len(fake.review_comments) == 2
    [summary] = [c["body"] for c in fake.issue_comments if SUMMARY_MARKER in c["body"]]
    assert "1 thread(s) closed as fixed" in summary and "GraphQL" not in summary


def test_the_summary_is_the_token_user_s_comment_never_one_quoting_its_marker(github, run_codex):
    fake = github.fake
    quote = f"the bot wrote this:\n> {SUMMARY_MARKER} codex: blocked"
    fake.issue_comments.append({"id": 1, "body": quote, "url": f"{fake.url}/repos/acme/app/issues/comments/1", "user": {"login": "dev"}})
    github.push({"app/client.py": CLIENT_V1})
    for _ in range(2):
        assert run_codex(["review", "--root", github.repo.path]).code == 1
        assert [(c["user"]["login"], SUMMARY_MARKER in c["body"]) for c in fake.issue_comments] == [("dev", True), (fake.viewer, True)]
    assert fake.issue_comments[0]["body"] == quote
    assert "/repos/acme/app/issues/comments/1" not in [path for _, path, _ in fake.requests], "never edited"
    assert [method for method, path, _ in fake.requests if path.startswith("/repos/acme/app/issues/")].count("PATCH") == 1
