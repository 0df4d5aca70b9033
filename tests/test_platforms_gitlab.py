"""``codex review`` in GitLab CI, against a local stand-in for GitLab's REST API driven through python-gitlab."""

from __future__ import annotations

import time

import pytest

from codex.model import Ruleset
from codex.problems import ProblemError
from codex_testing.fake_gitlab import FakeGitLab
from reviewer.platforms import gitlab as gitlab_platform
from reviewer.platforms.review import SUMMARY_MARKER, parse_marker

TOKEN = "glpat-SECRETtoken0987654321"
# the `except Exception:` line stays, its body changes: a new finding reported on an unchanged line
WORKER_V0 = "def run(job):\n    try:\n        job()\n    except Exception:\n        raise\n"
WORKER_V1 = (
    "import requests\n\n\ndef run(job):\n    try:\n        job()\n    except Exception:\n        pass\n\n\ndef ping(url):\n    return requests.get(url)\n"
)


class MergeRequestPipeline:
    def __init__(self, git_repo, ruleset: Ruleset, fake: FakeGitLab):
        self.repo, self.fake = git_repo(), fake
        self.base = self.repo.commit(
            "base",
            {
                "pyproject.toml": "[tool.codex]\nshipped = false  # rules/ holds the rules under test alone\n",
                "rules/ruleset.json": ruleset.to_json(),
                "app/worker.py": WORKER_V0,
            },
        )
        self.repo.branch("feature")
        self.head = ""

    def push(self, files: dict[str, str]) -> None:
        self.head = self.repo.commit("change", files)
        self.fake.set_diff(self.base, self.base, self.head, self.repo.diff(f"{self.base}...{self.head}"))

    def env(self, monkeypatch) -> None:
        for key, value in {
            "GITLAB_CI": "true",
            "CI_SERVER_URL": self.fake.url,
            "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "7",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": self.base,
            "CI_COMMIT_SHA": self.head,
            "CODEX_GITLAB_TOKEN": TOKEN,
        }.items():
            monkeypatch.setenv(key, value)
        for key in ("GITHUB_ACTIONS", "GITLAB_TOKEN", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"):
            monkeypatch.delenv(key, raising=False)

    def review(self, run_codex, monkeypatch, *args: str):
        self.env(monkeypatch)
        return run_codex(["review", "--root", self.repo.path, *args])


@pytest.fixture
def gitlab(git_repo, libcst_ruleset):
    with FakeGitLab(TOKEN) as fake:
        yield MergeRequestPipeline(git_repo, libcst_ruleset, fake)


def _threads(fake: FakeGitLab) -> list[tuple[str, bool]]:
    return [(parse_marker(d["notes"][0]["body"])[0], d["notes"][0]["resolved"]) for d in fake.discussions if parse_marker(d["notes"][0]["body"])]


def test_one_discussion_per_finding_at_a_text_position(gitlab, run_codex, monkeypatch, tmp_path):
    gitlab.push({"app/worker.py": WORKER_V1})
    report = tmp_path / "gl-code-quality-report.json"
    result = gitlab.review(run_codex, monkeypatch, "--code-quality", report)
    assert result.code == 1, result.err
    assert gitlab.fake.refused == 0, "every position was accepted"
    positions = {d["notes"][0]["position"]["new_line"]: d["notes"][0]["position"] for d in gitlab.fake.discussions if "position" in d["notes"][0]}
    assert set(positions) == {7, 12}
    assert positions[7]["old_line"] == 4, "the unchanged `except:` line is anchored with both lines"
    assert "old_line" not in positions[12]
    assert positions[12]["base_sha"] == gitlab.base and positions[12]["head_sha"] == gitlab.head
    assert report.read_bytes().startswith(b"[")


def test_reruns_with_shifted_lines_never_duplicate_and_fixed_threads_are_resolved(gitlab, run_codex, monkeypatch):
    gitlab.fake.discussions += [
        {"id": f"human{n}", "individual_note": True, "notes": [{"id": n, "body": f"human note {n}", "resolvable": False, "resolved": False}]}
        for n in range(1, 4)
    ]
    gitlab.push({"app/worker.py": WORKER_V1})
    assert gitlab.review(run_codex, monkeypatch).code == 1
    first = _threads(gitlab.fake)
    assert len(first) == 2
    for shift in (1, 2, 3):
        gitlab.push({"app/worker.py": "# note\n" * shift + WORKER_V1})
        again = gitlab.review(run_codex, monkeypatch)
        assert again.code == 1, again.err
        assert _threads(gitlab.fake) == first, f"re-run {shift} duplicated or changed a discussion"
    gitlab.push({"app/worker.py": WORKER_V1.replace("requests.get(url)", "requests.get(url, timeout=5)")})
    assert gitlab.review(run_codex, monkeypatch).code == 1
    assert sorted(resolved for _, resolved in _threads(gitlab.fake)) == [False, True]
    summaries = [n for n in gitlab.fake.notes() if SUMMARY_MARKER in n["body"]]
    assert len(summaries) == 1 and "1 thread(s) closed as fixed" in summaries[0]["body"]


def test_a_fixed_finding_that_comes_back_reopens_its_thread(gitlab, run_codex, monkeypatch):
    gitlab.push({"app/worker.py": WORKER_V1})
    gitlab.review(run_codex, monkeypatch)
    gitlab.push({"app/worker.py": WORKER_V1.replace("requests.get(url)", "requests.get(url, timeout=5)")})
    gitlab.review(run_codex, monkeypatch)
    gitlab.push({"app/worker.py": WORKER_V1})
    gitlab.review(run_codex, monkeypatch)
    assert [resolved for _, resolved in _threads(gitlab.fake)] == [False, False]


def test_a_position_gitlab_refuses_goes_into_the_summary(gitlab, run_codex, monkeypatch):
    gitlab.push({"app/worker.py": WORKER_V1, "app/generated.py": "import requests\nrequests.get(u)\n"})
    gitlab.fake.lines.pop("app/generated.py")
    result = gitlab.review(run_codex, monkeypatch)
    assert result.code == 1, result.err
    assert gitlab.fake.refused == 1
    [summary] = [n["body"] for n in gitlab.fake.notes() if SUMMARY_MARKER in n["body"]]
    assert "`app/generated.py:2`" in summary and "refused by GitLab (400)" in summary and "line_code" in summary


def test_a_429_is_waited_out_and_the_token_never_printed(gitlab, run_codex, monkeypatch, caplog):
    gitlab.push({"app/worker.py": WORKER_V1})
    gitlab.fake.rate_limit_pending = 1
    monkeypatch.setenv("CODEX_DEBUG", "1")
    with caplog.at_level("DEBUG"):
        result = gitlab.review(run_codex, monkeypatch)
        gitlab.fake.token = "rotated"
        refused = gitlab.review(run_codex, monkeypatch)
    assert result.code == 1 and gitlab.fake.rate_limited == 1 and len(_threads(gitlab.fake)) == 2
    assert refused.code == 1 and "401" in refused.err
    for text in (result.out, result.err, refused.out, refused.err, caplog.text):
        assert TOKEN not in text


def test_detect_reads_merge_request_pipeline_variables():
    env = {
        "GITLAB_CI": "true",
        "CI_SERVER_URL": "https://gitlab.example.com",
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "9",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": "a" * 40,
        "CI_COMMIT_SHA": "b" * 40,
        "GITLAB_TOKEN": TOKEN,
    }
    mr = gitlab_platform.detect(env)
    assert (mr.number, mr.base_sha, mr.head_sha, mr.token_name) == (9, "a" * 40, "b" * 40, "GITLAB_TOKEN")
    assert gitlab_platform.detect({**env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "c" * 40}).head_sha == "c" * 40
    assert gitlab_platform.detect({k: v for k, v in env.items() if k != "CI_MERGE_REQUEST_IID"}) is None
    with pytest.raises(ProblemError, match="CI_MERGE_REQUEST_DIFF_BASE_SHA is not set"):
        gitlab_platform.detect({**env, "CI_MERGE_REQUEST_DIFF_BASE_SHA": ""})
    assert TOKEN not in repr(mr)


def test_a_known_fix_is_offered_as_a_gitlab_suggestion(git_repo, run_codex, monkeypatch, shipped_ruleset):
    from codex_testing.reports import FIXABLE, fixable_ruleset

    with FakeGitLab(TOKEN) as fake:
        pipeline = MergeRequestPipeline(git_repo, fixable_ruleset(shipped_ruleset), fake)
        pipeline.push({"app/config.py": FIXABLE})
        result = pipeline.review(run_codex, monkeypatch)
    assert result.code == 1, result.err
    bodies = {d["notes"][0]["position"]["new_line"]: d["notes"][0]["body"] for d in fake.discussions if "position" in d["notes"][0]}
    assert sorted(bodies) == [6, 7, 9]
    assert "```suggestion:-0+0\n    data = yaml.safe_load(text)\n```" in bodies[6]  # libcst
    assert "```suggestion:-0+1\n    extra = yaml.safe_load(\n        more)\n```" in bodies[7]
    assert "```suggestion:-0+0\n    subprocess.run(shlex.split(text))\n```" in bodies[9]  # semgrep


def test_a_judgment_finding_is_commented_with_the_models_reason(git_repo, run_codex, monkeypatch, shipped_ruleset):
    from codex_testing.llm_server import LlmServer, findings, in_order
    from codex_testing.reports import JUDGED, MODEL_REASON, judgment_ruleset

    with FakeGitLab(TOKEN) as fake, LlmServer(in_order(findings(("CX0002", "app/handler.py", 3, MODEL_REASON, 'return region["limit"]')))) as llm:
        pipeline = MergeRequestPipeline(git_repo, judgment_ruleset(shipped_ruleset), fake)
        pipeline.push({"app/handler.py": JUDGED})
        monkeypatch.setenv("CODEX_LLM_MODEL", "test-model")
        monkeypatch.setenv("CODEX_LLM_BASE_URL", llm.base_url)
        result = pipeline.review(run_codex, monkeypatch)
    assert result.code == 1, result.err
    [note] = [d["notes"][0] for d in fake.discussions if "position" in d["notes"][0]]
    assert note["position"]["new_line"] == 3 and f"Model's reason: {MODEL_REASON}" in note["body"]


@pytest.mark.parametrize("deadline, requests", [(120.0, 6), (0.0, 2)])
def test_an_api_answering_502_is_retried_within_bounds_and_the_check_result_stands(gitlab, run_codex, monkeypatch, deadline, requests):
    monkeypatch.setattr(gitlab_platform, "API_DEADLINE", deadline)
    gitlab.push({"app/worker.py": WORKER_V1})
    gitlab.fake.outage = 502
    result = gitlab.review(run_codex, monkeypatch)
    assert result.code == 1, result.err
    assert result.err.count("codex review: gitlab API error (the check result stands): ") == 2  # the comments, the summary
    assert len(gitlab.fake.requests) == requests


def _posts(fake: FakeGitLab) -> list[str]:
    return [path.rsplit("/", 1)[1] for method, path, _ in fake.requests if method == "POST"]


def test_a_create_whose_answer_is_lost_is_found_and_never_posted_twice(gitlab, run_codex, monkeypatch):
    gitlab.push({"app/worker.py": WORKER_V1})
    gitlab.fake.lose_answers = {"POST /": 3}  # both discussions and the summary: each applied, each answered 502
    result = gitlab.review(run_codex, monkeypatch)
    assert result.code == 1 and "API error" not in result.err, result.err
    assert len(_threads(gitlab.fake)) == 2
    assert len([n for n in gitlab.fake.notes() if SUMMARY_MARKER in n["body"]]) == 1 and len(gitlab.fake.discussions) == 3
    assert _posts(gitlab.fake) == ["discussions", "discussions", "notes"], "found, not sent again"


def test_a_create_refused_unprocessed_is_sent_again_once_it_is_not_found(gitlab, run_codex, monkeypatch):
    gitlab.push({"app/worker.py": WORKER_V1})
    gitlab.fake.refuse_next = {"POST /": [(503, {})]}
    result = gitlab.review(run_codex, monkeypatch)
    assert result.code == 1 and "API error" not in result.err, result.err
    assert len(_threads(gitlab.fake)) == 2 and len(gitlab.fake.discussions) == 3
    assert _posts(gitlab.fake) == ["discussions", "discussions", "discussions", "notes"]


def test_an_edit_is_retried_on_502_and_on_429_after_its_retry_after(gitlab, run_codex, monkeypatch):
    gitlab.push({"app/worker.py": WORKER_V1})
    assert gitlab.review(run_codex, monkeypatch).code == 1
    gitlab.push({"app/worker.py": WORKER_V1.replace("requests.get(url)", "requests.get(url, timeout=5)")})
    gitlab.fake.refuse_next = {"PUT /": [(502, {}), (429, {"Retry-After": "1"})]}
    started = time.monotonic()
    result = gitlab.review(run_codex, monkeypatch)
    assert time.monotonic() - started >= 1.0, "Retry-After was waited out"
    assert result.code == 1 and "API error" not in result.err, result.err
    assert sorted(resolved for _, resolved in _threads(gitlab.fake)) == [False, True], "the third try resolved the thread"
    puts = [path.split("/")[-2] for method, path, _ in gitlab.fake.requests if method == "PUT"]
    assert puts == ["discussions"] * 3 + ["notes"]


def test_a_retry_after_past_the_deadline_is_not_waited_for(gitlab, run_codex, monkeypatch):
    gitlab.push({"app/worker.py": WORKER_V1})
    gitlab.fake.refuse_next = {"POST /": [(429, {"Retry-After": "3600"})]}
    started = time.monotonic()
    result = gitlab.review(run_codex, monkeypatch)
    assert time.monotonic() - started < 60
    assert result.code == 1 and "codex review: gitlab API error (the check result stands): " in result.err and "429" in result.err


def test_only_the_token_s_own_notes_are_resolved_or_edited(gitlab, run_codex, monkeypatch):
    human = {"id": 5, "username": "dev"}
    gitlab.fake.discussions += [
        {
            "id": "human1",
            "individual_note": False,
            "notes": [{"id": 1, "body": "same as codex said <!-- codex:finding 0123abcd -->", "resolvable": True, "resolved": False, "author": human}],
        },
        {
            "id": "human2",
            "individual_note": True,
            "notes": [{"id": 2, "body": f"{SUMMARY_MARKER} my own notes", "resolvable": False, "resolved": False, "author": human}],
        },
    ]
    gitlab.push({"app/worker.py": WORKER_V1})
    result = gitlab.review(run_codex, monkeypatch)
    assert result.code == 1 and "API error" not in result.err, result.err
    humans = [d["notes"][0] for d in gitlab.fake.discussions[:2]]
    assert [(n["body"], n["resolved"]) for n in humans] == [
        ("same as codex said <!-- codex:finding 0123abcd -->", False),
        (f"{SUMMARY_MARKER} my own notes", False),
    ]
    assert [path for method, path, _ in gitlab.fake.requests if method == "PUT"] == [], "nothing of theirs changed"
    assert len(_threads(gitlab.fake)) == 3 and len([n for n in gitlab.fake.notes() if SUMMARY_MARKER in n["body"]]) == 2


def test_an_unknown_token_user_is_reported_and_markers_decide(gitlab, run_codex, monkeypatch):
    gitlab.push({"app/worker.py": WORKER_V1})
    assert gitlab.review(run_codex, monkeypatch).code == 1
    gitlab.fake.routes = [r for r in gitlab.fake.routes if r[2] != "current_user"]  # GET /user answers 404
    result = gitlab.review(run_codex, monkeypatch)
    assert result.code == 1
    assert result.err.splitlines() == [
        "codex review: gitlab API error (the check result stands): the token's user is unknown, notes are "
        "told apart by their codex marker alone: GitlabGetError: 404: Not Found"
    ]
    assert len(_threads(gitlab.fake)) == 2
