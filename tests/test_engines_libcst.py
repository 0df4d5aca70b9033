"""The libcst engine over worker processes finds exactly what it finds in one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex.matchers.libcst import LibcstMatcher
from codex.model import Ruleset
from codex.problems import Problem
from reviewer.engines import libcst as libcst_engine, libcst_positions
from reviewer.targets import Target

PROJECT = Path(__file__).resolve().parent.parent
PROJECT_PY = sorted((PROJECT / "codex").rglob("*.py"))[:16]  # real code, enough for several workers' chunks
EXTRA = {
    "bad_calls.py": "import requests as r\n\ndef f(u):\n    try:\n        r.get(u)\n    except Exception:\n        pass\n",
    "py2.py": 'print "hello"\n',
    "latin.py": b"# -*- coding: latin-1 -*-\nname = '\xe9'\ntry:\n    pass\nexcept:\n    pass\n",
    # libcst's native parser overflows its stack on these (the process dies); CPython's parser refuses them first
    "brackets.py": "import requests\nx = " + "(" * 3000 + "1" + ")" * 3000 + "\n",
    "chain.py": "x = (\n" + "+\n".join(["1"] * 20000) + ")\n",
}
NESTED_HINT = "generated or minified code is best left out through the rule's paths; the other rules still ran"


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory, shipped_ruleset: Ruleset):
    root = tmp_path_factory.mktemp("corpus")
    for name, content in EXTRA.items():
        (root / name).write_bytes(content.encode() if isinstance(content, str) else content)
    rules = [r for r in shipped_ruleset.rules if isinstance(r.matcher, LibcstMatcher)]
    crashing = rules[0].model_copy(update={"id": "CX9002", "prefilter": None, "matcher": LibcstMatcher(rule_class="codex_testing.lints:CrashesOnCalls")})
    targets = [Target(name, root / name, "python", None, name) for name in EXTRA]
    targets += [Target(p.relative_to(PROJECT).as_posix(), p, "python", None, p.name) for p in PROJECT_PY]
    return [(t, [*rules, crashing]) for t in targets]


def test_worker_processes_find_the_same_as_one_process(jobs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(libcst_engine, "PARALLEL_MIN_BYTES", 10**12)
    sequential = libcst_engine.check_files(jobs)
    used: list[int] = []
    original = libcst_engine._in_workers

    def spy(jobs_, workers):
        used.append(workers)
        return original(jobs_, workers)

    monkeypatch.setattr(libcst_engine, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(libcst_engine.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(libcst_engine, "_in_workers", spy)
    parallel = libcst_engine.check_files(jobs)
    assert used == [2]
    assert parallel == sequential
    assert any(m.rule_id == "CX0003" for m in parallel["bad_calls.py"][0])
    assert [p.kind for p in parallel["py2.py"][1]] == ["parse"]
    assert {p.kind for p in parallel["bad_calls.py"][1]} == {"rule"}  # the crashing matcher, isolated in its worker
    assert any(m.rule_id == "CX0004" for m in parallel["latin.py"][0])
    assert parallel["brackets.py"] == (
        [],
        [Problem(path="brackets.py", line=2, kind="parse", hint=NESTED_HINT, message="not valid Python 3 (too many nested parentheses); libcst rules skipped")],
    )
    assert [(p.line, p.message) for p in parallel["chain.py"][1]] == [(1, "not valid Python 3 (nested too deeply for CPython's parser); libcst rules skipped")]


def test_little_work_stays_in_this_process(jobs, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(jobs_, workers):
        raise AssertionError("started workers for a few small files")

    monkeypatch.setattr(libcst_engine, "_in_workers", refuse)
    small = [job for job in jobs if job[0].path in EXTRA and job[0].path != "chain.py"]
    assert set(libcst_engine.check_files(small)) == set(EXTRA) - {"chain.py"}


def test_only_the_metadata_the_batched_rules_declare_is_computed(jobs, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    from libcst.metadata import MetadataWrapper, ScopeProvider

    requested: set[type] = set()
    original = MetadataWrapper.resolve_many

    def recording(self, providers):
        requested.update(providers)
        return original(self, providers)

    monkeypatch.setattr(MetadataWrapper, "resolve_many", recording)
    target = next(t for t, _ in jobs if t.path == "bad_calls.py")
    swallowed, requests_timeout = shipped_ruleset.rule("CX0004"), shipped_ruleset.rule("CX0003")
    matches, _ = libcst_engine.check_file(target, [swallowed])  # positions only: no scope analysis
    assert [m.rule_id for m in matches] == ["CX0004"] and ScopeProvider not in requested
    matches, _ = libcst_engine.check_file(target, [swallowed, requests_timeout])
    assert sorted(m.rule_id for m in matches) == ["CX0003", "CX0004"] and ScopeProvider in requested


def test_findings_that_cannot_be_placed_are_reported(jobs, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*args):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(libcst_positions, "positions", fails)
    [(target, rules)] = [job for job in jobs if job[0].path == "bad_calls.py"]
    matches, problems = libcst_engine.check_file(target, [r for r in rules if r.id == "CX0003"])
    assert matches == [] and [(p.kind, p.message) for p in problems] == [
        ("rule", "findings of CX0003 could not be placed (RecursionError: maximum recursion depth exceeded)")
    ]


def test_a_cpu_is_left_to_semgrep(jobs, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    monkeypatch.setattr(libcst_engine, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(libcst_engine, "_in_workers", lambda jobs_, workers: started.append(workers) or {})
    for cpus in (2, 4):
        monkeypatch.setattr(libcst_engine.os, "cpu_count", lambda cpus=cpus: cpus)
        libcst_engine.check_files(jobs[:3], busy_cpus=1)
    assert started == [3]  # 2 CPUs: one for semgrep, libcst here in this process; 4 CPUs: 3 workers


def test_what_cpython_s_ast_decided_survives_libcst_failing_on_the_file(libcst_ruleset: Ruleset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CX0003 is settled by ``ast`` here; CX0004 still needs libcst (a string in the handler's body), whose parse fails:
    the CX0003 finding is kept."""
    import libcst

    source = tmp_path / "app.py"
    source.write_text("import requests\n\n\ndef fetch(url):\n    try:\n        return requests.get(url)\n    except Exception:\n        'ignored'\n")

    def broken(_source):
        raise TypeError("libcst fell over")

    monkeypatch.setattr(libcst, "parse_module", broken)
    matches, problems = libcst_engine.check_file(Target("app.py", source, "python", None, "app.py"), list(libcst_ruleset.rules))
    assert [(m.rule_id, m.line) for m in matches] == [("CX0003", 6)]
    assert [(p.path, p.kind) for p in problems] == [("app.py", "parse")]
