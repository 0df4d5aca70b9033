"""Fleet history in a real PostgreSQL server: runs from several repositories in one record, aggregated by
`codex rollout status|plan`; versioned migrations; a database down, slow, silent or refusing the credentials never
changes a check; credentials never printed; fifty concurrent `codex check` processes lose nothing."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from psycopg import sql

from codex.history_location import parse_location
from codex_testing import PROJECT_ROOT
from codex_testing.governance_rfcs import libcst_rule, rfc
from codex_testing.postgres import PASSWORD
from reviewer.history import HistoryUnavailable, open_history
from reviewer.history.migrations import MIGRATIONS

RFC = rfc(
    "RFC-0100",
    [libcst_rule("PY0001"), libcst_rule("PY0002", rule_class="codex.lints.swallowed_errors:SwallowedErrors")],
    rollout={"PY0001": [{"stage": "warn"}]},
)
ALLOW = "# codex" + ": allow PY0002 -- "  # split: no override of this file
NO_TIMEOUT = "import requests\nrequests.get(url)\n"
# svc: PY0001 fires on 2 of its 3 Python files (held by the health guard), PY0002 twice, both overridden
SVC = {
    "app/client.py": NO_TIMEOUT,
    "app/other.py": NO_TIMEOUT,
    "app/jobs.py": f"try:\n    run()\nexcept:  {ALLOW}retried\n    pass\ntry:\n    run()\nexcept:  {ALLOW}best effort\n    pass\n",
    "pyproject.toml": "[tool.codex]\nshipped = false\n\n[tool.codex.governance]\nhealth_max_share = 0.5\nhealth_min_files = 1\n",
}
# api: one bare except, not overridden (blocking)
API = {
    "app/client.py": "import requests\nrequests.get(url, timeout=5)\n",
    "app/jobs.py": "try:\n    run()\nexcept:\n    pass\n",
    "pyproject.toml": "[tool.codex]\nshipped = false\n",
}
WEB = {"app/client.py": "import requests\nrequests.get(url, timeout=5)\n", "pyproject.toml": "[tool.codex]\nshipped = false\n"}


def _repo(git_repo, name, files, remote=None):
    repo = git_repo(name)
    repo.commit("code", {"rfcs/0100-test.md": RFC, **files})
    if remote:
        repo.git("remote", "add", "origin", remote)
    return repo


def _rows(url, query):
    with psycopg.connect(url) as connection:
        return connection.execute(query).fetchall()


@pytest.fixture
def fleet(git_repo, run_codex, postgres_database, monkeypatch):
    """Four runs recorded into one database from three repositories: svc twice (its remote, with a token in it), api
    once (an SSH remote), web once (GitHub Actions says which repository and run)."""
    monkeypatch.setenv("CODEX_HISTORY_URL", postgres_database)
    svc = _repo(git_repo, "svc", SVC, "https://deploy:tok3n-in-remote@example.com/acme/svc.git")
    api = _repo(git_repo, "api", API, "git@example.com:acme/api.git")
    web = _repo(git_repo, "web", WEB)
    results = [
        run_codex(["check", "--all", "--root", svc.path]),
        run_codex(["check", "--all", "--root", svc.path]),
        run_codex(["check", "--all", "--root", api.path]),
    ]
    with monkeypatch.context() as ci:
        ci.setenv("GITHUB_REPOSITORY", "acme/web")
        ci.setenv("GITHUB_RUN_ID", "777")
        results.append(run_codex(["check", "--all", "--root", web.path]))
    assert [(r.code, r.err.count("run not recorded")) for r in results] == [(0, 0), (0, 0), (1, 0), (0, 0)]
    return postgres_database, svc


def test_each_run_records_its_repository_and_pipeline_without_credentials(fleet):
    url, _ = fleet
    assert _rows(url, "SELECT repository, pipeline, command, files_checked, blocking FROM runs ORDER BY id") == [
        ("example.com/acme/svc", None, "check", 3, 0),
        ("example.com/acme/svc", None, "check", 3, 0),
        ("example.com/acme/api", None, "check", 2, 1),
        ("github.com/acme/web", "777", "check", 1, 0),
    ]
    assert _rows(url, "SELECT rule_id, COUNT(*) FILTER (WHERE held), COUNT(*) FROM rule_runs GROUP BY rule_id ORDER BY rule_id") == [
        ("PY0001", 2, 4),
        ("PY0002", 0, 4),
    ]
    assert _rows(url, "SELECT version FROM schema_version ORDER BY version") == [(n,) for n in range(1, len(MIGRATIONS) + 1)]


def test_rollout_status_aggregates_across_repositories(fleet, run_codex):
    url, svc = fleet
    result = run_codex(["rollout", "status", "--history", url, "--format", "json", "--root", svc.path])
    assert result.code == 0, result.err
    assert [
        {k: r[k] for k in ("rule_id", "runs", "repositories", "held_runs", "clean_runs", "hits", "overridden", "override_rate")} for r in result.json()["rules"]
    ] == [
        {"rule_id": "PY0001", "runs": 4, "repositories": 3, "held_runs": 2, "clean_runs": 2, "hits": 4, "overridden": 0, "override_rate": 0.0},
        {"rule_id": "PY0002", "runs": 4, "repositories": 3, "held_runs": 0, "clean_runs": 2, "hits": 5, "overridden": 4, "override_rate": 0.8},
    ]
    text = run_codex(["rollout", "status", "--history", url, "--root", svc.path])
    assert text.code == 0 and PASSWORD not in text.out + text.err


@pytest.mark.parametrize(
    "repo, expected",
    [
        ("example.com/acme/svc", [("PY0001", 2, 1, 2, 0, 4, 0), ("PY0002", 2, 1, 0, 0, 4, 4)]),
        ("https://someone:pw@example.com/acme/api.git", [("PY0001", 1, 1, 0, 1, 0, 0), ("PY0002", 1, 1, 0, 1, 1, 0)]),
        ("example.com/acme/nothing", []),
    ],
)
def test_rollout_status_narrows_to_one_repository(fleet, run_codex, repo, expected):
    url, svc = fleet
    result = run_codex(["rollout", "status", "--history", url, "--repo", repo, "--format", "json", "--root", svc.path])
    assert result.code == 0, result.err
    assert [
        (r["rule_id"], r["runs"], r["repositories"], r["held_runs"], r["clean_runs"], r["hits"], r["overridden"]) for r in result.json()["rules"]
    ] == expected


@pytest.mark.parametrize("min_repositories, promoted", [(3, True), (4, False)])
def test_rollout_plan_proposes_from_the_fleets_evidence(fleet, run_codex, min_repositories, promoted):
    url, svc = fleet
    svc.write(
        "pyproject.toml", f"[tool.codex]\nshipped = false\n\n[tool.codex.governance]\npromote_min_runs = 2\npromote_min_repositories = {min_repositories}\n"
    )
    result = run_codex(["rollout", "plan", "--history", url, "--today", "2026-02-01", "--root", svc.path])
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        *(
            ["promote PY0001 (rfcs/0100-test.md): warn → block everywhere — 2 clean run(s); 0 of 4 finding(s) overridden (0%) in 4 run(s) of 3 repositories"]
            if promoted
            else []
        ),
        "demote PY0002 (rfcs/0100-test.md): block → warn everywhere — 4 of 5 finding(s) overridden (80%) in 4 run(s) of 3 repositories",
    ]


def _reader(postgres, url: str) -> str:
    """A role that may read every table of the database at ``url`` and write nothing (nor create anything); its URL."""
    database, name = url.rsplit("/", 1)[1], f"reader_{uuid.uuid4().hex[:12]}"
    with postgres.admin() as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(PASSWORD)))
    with postgres.admin(database) as admin:
        admin.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    return url.replace("postgresql://codex:", f"postgresql://{name}:")


def test_rollout_status_reads_with_a_read_only_role(fleet, run_codex, postgres):
    url, svc = fleet
    as_owner, as_reader = (run_codex(["rollout", "status", "--history", u, "--format", "json", "--root", svc.path]) for u in (url, _reader(postgres, url)))
    assert (as_reader.code, as_reader.err) == (0, "")
    assert as_reader.json()["rules"] == as_owner.json()["rules"] and [r["rule_id"] for r in as_reader.json()["rules"]] == ["PY0001", "PY0002"]


def test_rollout_status_on_an_older_schema_says_to_migrate_and_writes_nothing(git_repo, run_codex, postgres, postgres_database):
    from reviewer.history.backends import PostgresBackend

    with psycopg.connect(postgres_database, autocommit=True) as owner:  # as a codex knowing only the first migration left it
        for statement in ("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)", *MIGRATIONS[0]):
            owner.execute(statement.format(**PostgresBackend.types))
        owner.execute("INSERT INTO schema_version VALUES (1, now())")
    web = _repo(git_repo, "web", WEB).path
    for url in (postgres_database, _reader(postgres, postgres_database)):
        result = run_codex(["rollout", "status", "--history", url, "--root", web])
        assert (result.code, result.out) == (2, "")
        assert result.err.startswith(
            f"postgresql://***@127.0.0.1:{postgres.port}/{postgres_database.rsplit('/', 1)[1]}: cannot read "
            "the run history: schema version 1, this codex needs 2: run a check to migrate"
        )
    assert _rows(postgres_database, "SELECT version FROM schema_version") == [(1,)]
    assert _rows(postgres_database, "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'runs' AND column_name = 'repository'") == [(0,)]


def test_migrations_run_once_under_a_lock_and_an_old_sqlite_history_is_brought_up_to_date(tmp_path, git_repo, run_codex):
    import sqlite3

    old = tmp_path / "old.sqlite"  # as codex wrote it before schema versions were kept
    with sqlite3.connect(old) as db:
        db.executescript("""
            CREATE TABLE runs (id INTEGER PRIMARY KEY, at TEXT NOT NULL, command TEXT NOT NULL, ruleset TEXT, mode TEXT,
                files_checked INTEGER NOT NULL, blocking INTEGER NOT NULL);
            CREATE TABLE rule_runs (run_id INTEGER NOT NULL REFERENCES runs(id), rule_id TEXT NOT NULL, files_seen INTEGER NOT NULL,
                files_hit INTEGER NOT NULL, held INTEGER NOT NULL, PRIMARY KEY (run_id, rule_id));
            CREATE TABLE findings (run_id INTEGER NOT NULL REFERENCES runs(id), rule_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
                path TEXT NOT NULL, line INTEGER NOT NULL, stage TEXT NOT NULL, overridden INTEGER NOT NULL, reason TEXT);
            INSERT INTO runs VALUES (1, '2026-01-01T12:00:00+00:00', 'check', 'v', 'all', 1, 1);
            INSERT INTO rule_runs VALUES (1, 'PY0001', 1, 1, 0);
            INSERT INTO findings VALUES (1, 'PY0001', 'f', 'app/a.py', 2, 'block', 0, NULL);""")
    db.close()
    repo = _repo(
        git_repo,
        "svc",
        {**SVC, "pyproject.toml": f'[tool.codex]\nshipped = false\n\n[tool.codex.governance]\nhistory = "sqlite:///{old}"\n'},
        "git@example.com:acme/svc.git",
    )
    assert run_codex(["check", "--all", "--root", repo.path]).code == 0
    with sqlite3.connect(old) as db:
        assert db.execute("SELECT version FROM schema_version ORDER BY version").fetchall() == [(1,), (2,)]
        assert db.execute("SELECT id, repository FROM runs ORDER BY id").fetchall() == [(1, None), (2, "example.com/acme/svc")]
    db.close()
    result = run_codex(["rollout", "status", "--format", "json", "--root", repo.path])
    assert [(r["rule_id"], r["runs"], r["repositories"], r["hits"]) for r in result.json()["rules"]] == [("PY0001", 2, 2, 3), ("PY0002", 1, 1, 2)]


# -- failing open, within a bounded time, without credentials ------------------------------------------------------


def _check_with_history(git_repo, run_codex, monkeypatch, url, timeout=2, in_config=False):
    """``codex check --all`` of the api repository recording into ``url`` (CODEX_HISTORY_URL, or with ``in_config``
    [tool.codex.governance] history), and the same check recording nothing."""
    history = f'history = "{url}"\n' if in_config else ""
    files = {**API, "pyproject.toml": f"[tool.codex]\nshipped = false\n\n[tool.codex.governance]\n{history}history_timeout = {timeout}\n"}
    repo = _repo(git_repo, "api", files)
    unrecorded = run_codex(["check", "--all", "--no-history", "--root", repo.path])
    if not in_config:
        monkeypatch.setenv("CODEX_HISTORY_URL", url)
    started = time.monotonic()
    result = run_codex(["check", "--all", "--root", repo.path])
    return result, unrecorded, time.monotonic() - started, repo


def _same_check(result, unrecorded):
    """The same exit code and report, but for the time the check took."""
    timeless = [(r.code, re.sub(r"; [0-9.]+ s\n$", "\n", r.out)) for r in (result, unrecorded)]
    return timeless[0] == timeless[1] and timeless[0][0] == 1 and "PY0002 (blocking)" in timeless[0][1]


@pytest.fixture
def silent_server():
    """A loopback port that accepts TCP connections (the kernel completes them) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_server_that_never_answers_costs_the_connect_timeout_and_changes_nothing(git_repo, run_codex, monkeypatch, silent_server):
    url = f"postgresql://codex:{PASSWORD}@127.0.0.1:{silent_server}/fleet"
    result, unrecorded, elapsed, _ = _check_with_history(git_repo, run_codex, monkeypatch, url)
    assert _same_check(result, unrecorded)
    assert result.err.splitlines()[0].startswith(f"codex: run not recorded in postgresql://***@127.0.0.1:{silent_server}/fleet: connection ")
    assert "timeout expired" in result.err and PASSWORD not in result.out + result.err
    assert elapsed < 10  # history_timeout = 2: about 2 s, not forever


def test_a_record_has_one_deadline_however_many_silent_addresses_it_tries(git_repo, run_codex, monkeypatch):
    """Two addresses that accept TCP and never answer: psycopg tries each for its connect_timeout (2 s at least), the
    record gives up once, after history_timeout."""
    with socket.socket() as first, socket.socket() as second:
        for listener, address in ((first, "127.0.0.1"), (second, "127.0.0.2")):
            listener.bind((address, 0))
            listener.listen(64)
        hosts = f"127.0.0.1:{first.getsockname()[1]},127.0.0.2:{second.getsockname()[1]}"
        result, unrecorded, _, repo = _check_with_history(git_repo, run_codex, monkeypatch, f"postgresql://codex:{PASSWORD}@{hosts}/fleet", timeout=1)
        assert _same_check(result, unrecorded)
        assert result.err.splitlines()[0] == f"codex: run not recorded in postgresql://***@{hosts}/fleet: no answer within 1 s"
        assert PASSWORD not in result.out + result.err
        history = open_history(parse_location(f"postgresql://codex:{PASSWORD}@{hosts}/fleet"), repo.path, timeout=1)
        started = time.monotonic()
        with pytest.raises(HistoryUnavailable, match=r"^no answer within 1 s$"):
            history.rule_statuses()
        assert 1 <= time.monotonic() - started < 3  # one deadline (1 s and its grace), not 2 s per address


def test_wrong_credentials_are_reported_without_the_password(git_repo, run_codex, monkeypatch, postgres, postgres_database):
    wrong = "wr0ng-" + PASSWORD
    url = postgres_database.replace(PASSWORD, wrong) + f"?application_name=x&password={wrong}"
    result, unrecorded, _, _ = _check_with_history(git_repo, run_codex, monkeypatch, url)
    assert _same_check(result, unrecorded)
    [line] = [line for line in result.err.splitlines() if "run not recorded" in line]
    assert line == (
        f"codex: run not recorded in postgresql://***@127.0.0.1:{postgres.port}/{postgres_database.rsplit('/', 1)[1]}"
        '?application_name=***&password=***: connection failed: connection to server at "127.0.0.1", '
        f'port {postgres.port} failed: FATAL: password authentication failed for user "codex"'
    )
    assert wrong not in result.out + result.err


def test_a_database_down_is_reported_and_no_sqlite_file_appears(git_repo, run_codex, monkeypatch):
    """Until codex knew URLs, this setting made a SQLite file in a folder named `postgresql:` of the repository."""
    port = _closed_port()
    url = f"postgresql://codex:{PASSWORD}@127.0.0.1:{port}/fleet"
    result, unrecorded, _, repo = _check_with_history(git_repo, run_codex, monkeypatch, url, in_config=True)
    assert _same_check(result, unrecorded)
    assert "codex: run not recorded in postgresql://***@127.0.0.1:" in result.err and "Connection refused" in result.err
    assert PASSWORD not in result.err
    assert sorted(p.name for p in repo.path.iterdir()) == [".codex", ".git", "app", "pyproject.toml", "rfcs"]
    assert sorted(p.name for p in (repo.path / ".codex").iterdir()) == ["cache"]


def test_a_statement_that_waits_is_cancelled_by_the_statement_timeout(git_repo, run_codex, monkeypatch, postgres, postgres_database):
    database = postgres_database.rsplit("/", 1)[1]
    monkeypatch.setenv("CODEX_HISTORY_URL", postgres_database)
    assert run_codex(["check", "--all", "--root", _repo(git_repo, "web", WEB).path]).code == 0  # migrates, records one run
    with postgres.admin(database) as admin, admin.transaction():
        admin.execute("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE")  # held until the check has given up
        result, unrecorded, elapsed, _ = _check_with_history(git_repo, run_codex, monkeypatch, postgres_database, timeout=1)
    assert _same_check(result, unrecorded)
    assert "codex: run not recorded in postgresql://***@" in result.err and "canceling statement due to statement timeout" in result.err
    assert elapsed < 10
    assert _rows(postgres_database, "SELECT COUNT(*) FROM runs") == [(1,)]


def test_without_psycopg_the_run_is_not_recorded_and_says_how_to_install_it(git_repo, run_codex, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result, unrecorded, _, _ = _check_with_history(git_repo, run_codex, monkeypatch, f"postgresql://codex:{PASSWORD}@127.0.0.1:1/fleet")
    assert _same_check(result, unrecorded)
    assert (
        "codex: run not recorded in postgresql://***@127.0.0.1:1/fleet: psycopg is not installed; install codex with the postgres "
        "extra: pip install 'codex-rfc[postgres]'"
    ) in result.err.splitlines()


def test_rollout_status_on_a_database_down_is_a_problem_without_the_password(git_repo, run_codex):
    port = _closed_port()
    result = run_codex(["rollout", "status", "--history", f"postgresql://codex:{PASSWORD}@127.0.0.1:{port}/fleet", "--root", _repo(git_repo, "web", WEB).path])
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"postgresql://***@127.0.0.1:{port}/fleet: cannot read the run history: connection failed: ")
    assert PASSWORD not in result.err and "Traceback" not in result.err


# -- fifty processes at once ----------------------------------------------------------------------------------------


def test_fifty_concurrent_checks_record_every_run(git_repo, run_codex, postgres_database, tmp_path):
    """Fifty `codex check` processes start together against a database with no schema yet: the first runs race to
    migrate it and all fifty insert at once. None may fail, none may be lost. (Fifty processes on two cores take longer
    than the default history_timeout bounds a record to: the test gives them a minute.)"""
    patient = SVC["pyproject.toml"].replace("[tool.codex.governance]\n", "[tool.codex.governance]\nhistory_timeout = 60\n")
    repo = _repo(git_repo, "svc", {**SVC, "pyproject.toml": patient}, "git@example.com:acme/svc.git")
    assert run_codex(["compile", "--root", repo.path]).code == 0  # each process reads rules/, compiles nothing
    env = {**os.environ, "CODEX_HISTORY_URL": postgres_database, "PYTHONPATH": str(PROJECT_ROOT)}
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "codex_cli", "check", "--all", "--format", "json", "--root", str(repo.path)],
            env={**env, "CI_PIPELINE_ID": str(n)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(50)
    ]
    outcomes = [(*p.communicate(timeout=300), p.returncode) for p in processes]
    elapsed = time.monotonic() - started
    assert [(code, err) for _, err, code in outcomes] == [(0, "")] * 50
    assert _rows(postgres_database, "SELECT COUNT(*), COUNT(DISTINCT pipeline) FROM runs") == [(50, 50)]
    assert _rows(postgres_database, "SELECT rule_id, COUNT(*), SUM(files_hit) FROM rule_runs GROUP BY rule_id ORDER BY rule_id") == [
        ("PY0001", 50, 100),
        ("PY0002", 50, 50),
    ]
    assert _rows(postgres_database, "SELECT COUNT(*) FROM findings") == [(200,)]
    assert _rows(postgres_database, "SELECT version FROM schema_version ORDER BY version") == [(n,) for n in range(1, len(MIGRATIONS) + 1)]
    print(f"\n50 concurrent codex check processes: 50 runs, 100 rule_runs, 200 findings recorded in {elapsed:.1f} s")


def test_concurrent_first_runs_create_the_schema_once(git_repo, postgres_database):
    """Twenty recorders released together on an empty database: without the migrations' lock, concurrent
    CREATE TABLEs collide in PostgreSQL's catalog (a unique violation) and ALTER TABLEs apply twice."""
    from codex.compiler import compile_rfcs
    from codex.history_location import parse_location
    from reviewer.check import CheckOptions, run_check
    from reviewer.git_changes import whole_tree
    from reviewer.history import RunOrigin, open_history

    repo = _repo(git_repo, "svc", SVC)
    report = run_check(compile_rfcs(repo.path / "rfcs", repo.path).ruleset, whole_tree(repo.path), CheckOptions(use_llm=False))
    barrier = threading.Barrier(20)

    def record(n: int) -> int:
        history = open_history(parse_location(postgres_database), repo.path, timeout=30)
        barrier.wait()
        return history.record(report, RunOrigin("example.com/acme/svc", str(n)), "check")

    with ThreadPoolExecutor(20) as pool:
        ids = list(pool.map(record, range(20)))
    assert sorted(ids) == list(range(1, 21))
    assert _rows(postgres_database, "SELECT version FROM schema_version ORDER BY version") == [(n,) for n in range(1, len(MIGRATIONS) + 1)]
    assert _rows(postgres_database, "SELECT COUNT(*), COUNT(DISTINCT pipeline) FROM runs") == [(20, 20)]
