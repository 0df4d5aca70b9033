"""Run history in a SQLite file, `codex rollout status|plan` and `codex rules`, on real checks in a real repository."""

from __future__ import annotations

import datetime as dt

import pytest

from codex.compiler import compile_rfcs
from codex.history_location import HistoryLocation, parse_location
from codex.model import Stage
from codex_testing.governance_rfcs import libcst_rule, rfc
from reviewer.check import CheckOptions, run_check
from reviewer.git_changes import whole_tree
from reviewer.history import RunOrigin, open_history, repository_identity, run_origin
from reviewer.rollout import stage_in_force

RFC = rfc(
    "RFC-0100",
    [libcst_rule("PY0001"), libcst_rule("PY0002", rule_class="codex.lints.swallowed_errors:SwallowedErrors")],
    rollout={"PY0001": [{"stage": "warn"}, {"paths": ["services/**"], "stage": "block"}]},
)
CODE = {
    "app/client.py": "import requests\nrequests.get(url, timeout=5)\n",
    "app/jobs.py": "try:\n    run()\nexcept:  # "
    "codex: "
    "allow PY0002 -- the job runner retries and logs\n    pass\n"
    "try:\n    run()\nexcept:  # "
    "codex: "
    "allow PY0002 -- best effort cleanup\n    pass\n",
    "pyproject.toml": '[tool.codex]\nshipped = false\n\n[tool.codex.governance]\nhistory = "ci/history.sqlite"\npromote_min_runs = 3\ndemote_min_hits = 4\n',
}
TODAY = dt.date(2026, 2, 1)


@pytest.fixture(scope="module")
def repo(git_repo_factory):
    repo = git_repo_factory("history")
    repo.commit("rules and code", {"rfcs/0100-test.md": RFC, **CODE})
    ruleset = compile_rfcs(repo.path / "rfcs", repo.path).ruleset
    history = _sqlite(repo.path / "ci" / "history.sqlite")
    for day in (1, 2, 3):
        report = run_check(ruleset, whole_tree(repo.path), CheckOptions(use_llm=False, today=TODAY))
        history.record(report, RunOrigin("example.com/acme/svc", "1"), "check", now=dt.datetime(2026, 1, day, 12, tzinfo=dt.UTC))
    return repo


def _sqlite(path):
    return open_history(HistoryLocation("sqlite", str(path)), path.parent, timeout=5)


def rule_statuses(path):
    return _sqlite(path).rule_statuses()


def test_history_records_runs_findings_and_per_rule_counts(repo):
    statuses = {s.rule_id: s for s in rule_statuses(repo.path / "ci" / "history.sqlite")}
    assert (statuses["PY0001"].runs, statuses["PY0001"].clean_runs, statuses["PY0001"].hits) == (3, 3, 0)
    assert (statuses["PY0002"].runs, statuses["PY0002"].hits, statuses["PY0002"].overridden) == (3, 6, 6)
    assert statuses["PY0002"].override_rate == 1.0 and statuses["PY0002"].clean_runs == 0
    assert statuses["PY0002"].last_run == "2026-01-03T12:00:00+00:00"


def test_rollout_status_shows_runs_hits_and_override_rate(repo, run_codex):
    result = run_codex(["rollout", "status", "--format", "json", "--today", TODAY.isoformat(), "--root", repo.path])
    assert result.code == 0, result.err
    rows = {r["rule_id"]: r for r in result.json()["rules"]}
    assert (rows["PY0002"]["runs"], rows["PY0002"]["hits"], rows["PY0002"]["override_rate"]) == (3, 6, 1.0)
    assert rows["PY0001"]["stages"] == ["block on services/**", "warn elsewhere"]


def test_rollout_plan_is_a_patch_that_promotes_and_demotes(repo, run_codex, tmp_path):
    result = run_codex(["rollout", "plan", "--today", TODAY.isoformat(), "--root", repo.path])
    assert result.code == 0, result.err
    assert "promote PY0001 (rfcs/0100-test.md): warn → block everywhere — 3 clean run(s)" in result.err
    assert "demote PY0002 (rfcs/0100-test.md): block → warn everywhere — 6 of 6 finding(s) overridden (100%)" in result.err
    assert result.out.startswith("--- a/rfcs/0100-test.md\n+++ b/rfcs/0100-test.md\n")
    patch = tmp_path / "plan.patch"
    patch.write_text(result.out, encoding="utf-8")
    repo.git("apply", "--check", str(patch))
    repo.git("apply", str(patch))
    try:
        ruleset = compile_rfcs(repo.path / "rfcs", repo.path).ruleset
        assert ruleset is not None
        promoted, demoted = ruleset.rule("PY0001"), ruleset.rule("PY0002")
        assert [c.model_dump(exclude_defaults=True) for c in promoted.rollout] == [{"stage": Stage.block, "since": TODAY}]
        assert stage_in_force(demoted, "app/jobs.py", TODAY) is Stage.warn
        assert stage_in_force(promoted, "app/client.py", TODAY) is Stage.block
    finally:
        repo.git("checkout", "--", "rfcs/0100-test.md")


def test_nothing_proposed_under_the_thresholds(repo, run_codex):
    (repo.path / "pyproject.toml").write_text(
        '[tool.codex]\nshipped = false\n\n[tool.codex.governance]\nhistory = "ci/history.sqlite"\npromote_min_runs = 4\ndemote_min_hits = 7\n', encoding="utf-8"
    )
    try:
        result = run_codex(["rollout", "plan", "--today", TODAY.isoformat(), "--root", repo.path])
    finally:
        repo.git("checkout", "--", "pyproject.toml")
    assert result.code == 0 and result.out == "" and "no change proposed" in result.err


def test_codex_check_records_each_run_where_configured(git_repo, run_codex):
    repo = git_repo()
    repo.commit("code", {"rfcs/0100-test.md": RFC, **CODE})
    for _ in range(2):
        assert run_codex(["check", "--all", "--root", repo.path]).code == 0
    assert run_codex(["check", "--all", "--no-history", "--root", repo.path]).code == 0
    assert {s.rule_id: s.runs for s in rule_statuses(repo.path / "ci" / "history.sqlite")} == {"PY0001": 2, "PY0002": 2}


def test_codex_rules_lists_the_stages_in_force(repo, run_codex):
    result = run_codex(["rules", "--format", "json", "--today", TODAY.isoformat(), "--root", repo.path])
    assert result.code == 0, result.err
    stages = {r["rule_id"]: r["stages"] for r in result.json()["rules"]}
    assert stages == {"PY0001": ["block on services/**", "warn elsewhere"], "PY0002": ["block everywhere"]}
    text = run_codex(["rules", "--today", TODAY.isoformat(), "--root", repo.path])
    assert "warn elsewhere" in text.out and "RFC-0100" in text.out


def test_an_unreadable_history_is_a_clear_problem(tmp_path, run_codex, repo):
    broken = tmp_path / "history.sqlite"
    broken.write_text("not a database", encoding="utf-8")
    result = run_codex(["rollout", "status", "--history", broken, "--root", repo.path])
    assert result.code == 2 and f"{broken}: cannot read the run history" in result.err and "Traceback" not in result.err
    (repo.path / "ci" / "history.sqlite").rename(tmp_path / "kept.sqlite")
    (repo.path / "ci" / "history.sqlite").write_text("not a database", encoding="utf-8")
    try:
        unrecorded = run_codex(["check", "--all", "--root", repo.path])
    finally:
        (tmp_path / "kept.sqlite").replace(repo.path / "ci" / "history.sqlite")
    assert unrecorded.code == 0 and "run not recorded in" in unrecorded.err


def test_default_history_lives_in_dot_codex_and_stays_out_of_git(git_repo, run_codex):
    repo = git_repo()
    repo.commit("code", {"rfcs/0100-test.md": RFC, "app/client.py": CODE["app/client.py"], "pyproject.toml": "[tool.codex]\nshipped = false\n"})
    assert run_codex(["check", "--all", "--root", repo.path]).code == 0
    assert [s.rule_id for s in rule_statuses(repo.path / ".codex" / "history.sqlite")] == ["PY0001", "PY0002"]
    assert repo.git("status", "--porcelain") == ""


@pytest.mark.parametrize(
    "value, expected",
    [
        (".codex/history.sqlite", HistoryLocation("sqlite", ".codex/history.sqlite")),
        ("/var/ci/history.sqlite", HistoryLocation("sqlite", "/var/ci/history.sqlite")),
        ("sqlite:///ci/history.sqlite", HistoryLocation("sqlite", "ci/history.sqlite")),
        ("sqlite:////var/ci/history.sqlite", HistoryLocation("sqlite", "/var/ci/history.sqlite")),
        (
            "postgresql://codex:pw@db.internal:5432/fleet?sslmode=require",
            HistoryLocation("postgresql", "postgresql://codex:pw@db.internal:5432/fleet?sslmode=require"),
        ),
        ("postgres://db.internal/fleet", HistoryLocation("postgresql", "postgres://db.internal/fleet")),
        ("postgresql://codex:pw@db1:5432,db2:5433/fleet", HistoryLocation("postgresql", "postgresql://codex:pw@db1:5432,db2:5433/fleet")),
    ],
)
def test_history_locations(value, expected):
    assert parse_location(value) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        (
            "mysql://codex:s3cret-pw@db/fleet",
            "unsupported scheme 'mysql:'; give a file path, sqlite:///relative/path, sqlite:////absolute/path or postgresql://user@host:5432/database",
        ),
        ("postgresql:/db.internal/fleet", "'postgresql:' must be followed by '//': postgresql://user@host:5432/database"),
        ("postgresql:s3cret-pw@db.internal", "'postgresql:' must be followed by '//': postgresql://user@host:5432/database"),
        (
            "postgresq://codex:s3cret-pw@db/fleet",
            "unsupported scheme 'postgresq:'; give a file path, sqlite:///relative/path, sqlite:////absolute/path or postgresql://user@host:5432/database",
        ),
        (
            "postgre sql://codex:s3cret-pw@db/fleet",
            "not a URL codex can record into: give a file path, sqlite:///relative/path, sqlite:////absolute/path or postgresql://user@host:5432/database",
        ),
        ("sqlite://history.sqlite", "a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path"),
        ("postgresql://codex:s3cret-pw@[::1/fleet", "not a valid URL (Invalid IPv6 URL): postgresql://user@host:5432/database"),
        (
            "postgresql://codex:s3cret-pw@db:5432x/fleet",
            "not a valid URL (Port could not be cast to integer value as '5432x'): postgresql://user@host:5432/database",
        ),
        (
            "postgresql://codex:s3cret-pw@db1:5432,db2:x/fleet",
            "not a valid URL (Port could not be cast to integer value as 'x'): postgresql://user@host:5432/database",
        ),
    ],
)
def test_an_unsupported_history_is_a_configuration_error_naming_the_file_and_key(git_repo, run_codex, monkeypatch, value, message):
    repo = git_repo()
    pyproject = f'[tool.codex]\nshipped = false\n\n[tool.codex.governance]\nhistory = "{value}"\n'
    repo.commit("code", {"rfcs/0100-test.md": RFC, **CODE, "pyproject.toml": pyproject})
    for command in (["check", "--all"], ["rollout", "status"]):
        result = run_codex([*command, "--root", repo.path])
        expected = f"pyproject.toml: [tool.codex] governance.history: {message} — see the configuration section of the README\n"
        assert (result.code, result.out, result.err) == (2, "", expected)
    assert sorted(p.name for p in repo.path.iterdir()) == [".git", "app", "pyproject.toml", "rfcs"]  # no folder named after a scheme
    repo.write("pyproject.toml", "[tool.codex]\nshipped = false\n")
    monkeypatch.setenv("CODEX_HISTORY_URL", value)
    from_env = run_codex(["check", "--all", "--root", repo.path])
    assert (from_env.code, from_env.out, from_env.err) == (2, "", f"codex: CODEX_HISTORY_URL: {message} — fix the variable or unset it\n")
    assert "s3cret-pw" not in from_env.err


def test_rollout_history_option_takes_a_path_or_a_url(repo, run_codex):
    result = run_codex(["rollout", "status", "--history", "mysql://codex:s3cret-pw@db/fleet", "--root", repo.path])
    assert result.code == 2 and "argument --history: unsupported scheme 'mysql:'" in result.err and "s3cret-pw" not in result.err
    by_url = run_codex(["rollout", "status", "--history", f"sqlite:///{repo.path}/ci/history.sqlite", "--format", "json", "--root", repo.path])
    assert [(r["rule_id"], r["runs"], r["repositories"]) for r in by_url.json()["rules"]] == [("PY0001", 3, 1), ("PY0002", 3, 1)]


def test_codex_history_url_wins_over_the_configured_file(git_repo, run_codex, monkeypatch, tmp_path):
    repo = git_repo()
    repo.commit("code", {"rfcs/0100-test.md": RFC, **CODE})
    monkeypatch.setenv("CODEX_HISTORY_URL", f"sqlite:///{tmp_path}/fleet.sqlite")
    assert run_codex(["check", "--all", "--root", repo.path]).code == 0
    assert not (repo.path / "ci" / "history.sqlite").exists()
    assert [s.runs for s in rule_statuses(tmp_path / "fleet.sqlite")] == [1, 1]


@pytest.mark.parametrize(
    "remote, identity",
    [
        ("https://deploy:t0ken@github.com/acme/svc.git", "github.com/acme/svc"),
        ("git@github.com:acme/svc.git", "github.com/acme/svc"),
        ("ssh://git@gitlab.example.com:2222/group/sub/svc.git", "gitlab.example.com/group/sub/svc"),
        ("https://oauth2:glpat-xyz@gitlab.example.com/group/svc", "gitlab.example.com/group/svc"),
        ("/srv/git/svc.git", "srv/git/svc"),
        ("github.com/acme/svc", "github.com/acme/svc"),
    ],
)
def test_a_repository_is_named_by_host_and_path_without_credentials(remote, identity):
    assert repository_identity(remote) == identity


@pytest.mark.parametrize(
    "environ, origin",
    [
        ({"GITHUB_REPOSITORY": "acme/svc", "GITHUB_RUN_ID": "42", "CI_PROJECT_PATH": "ignored"}, RunOrigin("github.com/acme/svc", "42")),
        ({"GITHUB_REPOSITORY": "acme/svc", "GITHUB_SERVER_URL": "https://ghe.acme.com"}, RunOrigin("ghe.acme.com/acme/svc", None)),
        ({"CI_PROJECT_PATH": "group/svc", "CI_SERVER_HOST": "gitlab.acme.com", "CI_PIPELINE_ID": "9"}, RunOrigin("gitlab.acme.com/group/svc", "9")),
        ({}, RunOrigin("example.com/acme/from-remote", None)),
    ],
)
def test_the_run_origin_comes_from_ci_else_the_remote(git_repo, environ, origin):
    repo = git_repo()
    repo.git("remote", "add", "upstream", "git@example.com:acme/other.git")
    repo.git("remote", "add", "origin", "https://u:p4ss@example.com/acme/from-remote.git")
    assert run_origin(repo.path, environ) == origin


def test_a_tree_without_a_remote_has_no_repository_name(git_repo, tmp_path):
    assert run_origin(git_repo().path, {}) == RunOrigin(None, None)
    assert run_origin(tmp_path, {"CI_PIPELINE_ID": "9"}) == RunOrigin(None, "9")


@pytest.mark.parametrize(
    "name, config, key",
    [
        ("codex.toml", 'shipped = false\n\n[governance]\nhistory = ""\n', "[governance] history"),
        ("pyproject.toml", '[tool.codex]\nshipped = false\n\n[tool.codex.governance]\nhistory = ""\n', "[tool.codex.governance] history"),
    ],
)
def test_rollout_without_a_history_configured_says_so(git_repo, run_codex, name, config, key):
    repo = git_repo()
    repo.commit("code", {"rfcs/0100-test.md": RFC, **CODE, name: config})
    assert run_codex(["check", "--all", "--root", repo.path]).code == 0
    assert sorted(p.name for p in repo.path.iterdir() if not p.name.endswith(".toml")) == [".codex", ".git", "app", "rfcs"]
    assert [p.name for p in (repo.path / ".codex").iterdir()] == ["cache"]  # recorded nothing
    result = run_codex(["rollout", "status", "--root", repo.path])
    assert (result.code, result.out, result.err) == (2, "", f"{name}: no run history is configured ({key} is empty) — pass --history PATH_OR_URL\n")


def test_a_history_from_a_newer_codex_is_left_alone(git_repo, run_codex):
    import sqlite3

    repo = git_repo()
    repo.commit("code", {"rfcs/0100-test.md": RFC, **CODE})
    assert run_codex(["check", "--all", "--root", repo.path]).code == 0
    with sqlite3.connect(repo.path / "ci" / "history.sqlite") as db:
        db.execute("INSERT INTO schema_version VALUES (99, '2027-01-01T00:00:00+00:00')")
    db.close()
    result = run_codex(["check", "--all", "--root", repo.path])
    assert result.code == 0
    assert (
        f"codex: run not recorded in {repo.path / 'ci' / 'history.sqlite'}: its schema is version 99, newer than this codex knows (2); upgrade codex"
    ) in result.err.splitlines()
