"""The libcst engine's forked workers and other threads' imports: a worker never waits on, nor sees, a module another
thread was importing when it was forked (reviewer/engines/fork_safety.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from codex.matchers.libcst import LibcstMatcher
from codex.model import Ruleset
from codex_testing import PROJECT_ROOT
from reviewer.engines import fork_safety, libcst as libcst_engine
from reviewer.targets import Target

# A matcher class that imports a module only when it visits a file, as libraries import lazily; and that module,
# whose import (by a thread of the test) lasts until the test ends it.
LINT = """
import libcst as cst
from codex.lint import LintRule


class ImportsWhenVisiting(LintRule):
    def visit_Module(self, node: cst.Module) -> None:
        import {helper}  # noqa: F401
"""
HELPER = """
import __main__

__main__.importing.set()
__main__.release.wait()
"""

# Forks the workers while a thread imports the module the matcher imports; the parent's wait for it is cut to
# nothing, so the workers inherit the unfinished import. Prints what the engine found.
SCRIPT = """
import os, sys, threading
from pathlib import Path
from codex.matchers.libcst import LibcstMatcher
from codex.model import Rule
from reviewer.engines import libcst as engine
from reviewer.targets import Target
import forklint

importing, release = threading.Event(), threading.Event()
os.register_at_fork(after_in_parent=release.set)  # the import ends once the workers are forked
if __name__ == "__main__":
    if (safety := sys.modules.get("reviewer.engines.fork_safety")) is not None:
        safety.IMPORT_WAIT_SECONDS = 0
    engine.PARALLEL_MIN_BYTES = 0
    engine.os.cpu_count = lambda: 2
    rule = Rule.model_validate_json(sys.stdin.read())
    root = Path(sys.argv[1])
    jobs = [(Target(name, root / name, "python", None, name), [rule]) for name in ("a.py", "b.py", "c.py", "d.py")]
    threading.Thread(target=__import__, args=("forkhelper",), daemon=True).start()
    importing.wait()
    print(sorted((path, matches, problems) for path, (matches, problems) in engine.check_files(jobs).items()))
"""


@pytest.fixture
def lazy_rule(shipped_ruleset: Ruleset):
    """A libcst rule whose matcher class imports ``forkhelper`` when it visits a file (it finds nothing)."""
    rule = next(r for r in shipped_ruleset.rules if isinstance(r.matcher, LibcstMatcher))
    return rule.model_copy(update={"id": "CX9101", "prefilter": None, "matcher": LibcstMatcher(rule_class="forklint:ImportsWhenVisiting")})


def _run(script: str, root: Path, stdin: str) -> tuple[int, str, str]:
    """``script`` in a process of its own (and its workers in its session, ended if it hangs)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(PROJECT_ROOT)])}
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(stdin, timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the forked workers hung on a lock another thread held at the fork")
    return process.returncode, out, err


def test_a_worker_forked_amid_another_thread_s_import_hands_its_files_back(tmp_path: Path, lazy_rule) -> None:
    (tmp_path / "forklint.py").write_text(LINT.format(helper="forkhelper"))
    (tmp_path / "forkhelper.py").write_text(HELPER)
    for name in ("a.py", "b.py", "c.py", "d.py"):
        (tmp_path / name).write_text(f"{name[0]} = 1\n")
    # before the fix the workers waited forever on the import no thread of theirs could finish
    assert _run(SCRIPT, tmp_path, lazy_rule.model_dump_json()) == (0, f"{[(name, [], []) for name in ('a.py', 'b.py', 'c.py', 'd.py')]}\n", "")


READING = """
import os, sys, threading
from pathlib import Path
from codex.model import Rule
from reviewer.engines import libcst as engine
from reviewer.targets import Target

if __name__ == "__main__":
    engine.PARALLEL_MIN_BYTES = 0
    engine.os.cpu_count = lambda: 2
    rules = [Rule.model_validate_json(line) for line in sys.stdin.read().splitlines()]
    root = Path(sys.argv[1])
    jobs = [(Target(name, root / name, "python", None, name), rules) for name in ("a.py", "b.py", "c.py")]
    for target, _ in jobs:
        target.read()
    reading, forked = threading.Event(), threading.Event()
    os.register_at_fork(after_in_parent=forked.set)
    lock = vars(Target)["_read"].lock  # Python 3.11: one lock for every target, held while one reads its file

    def read_slowly() -> None:
        with lock:
            reading.set()
            forked.wait()

    threading.Thread(target=read_slowly, daemon=True).start()
    reading.wait()
    print({path: [m.rule_id for m in matches] for path, (matches, _) in engine.check_files(jobs).items()})
"""


def test_a_worker_forked_while_another_thread_reads_a_target_checks_its_files(tmp_path: Path, shipped_ruleset: Ruleset) -> None:
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text("import requests\nrequests.get('u')\n")
    rules = "\n".join(r.model_dump_json() for r in shipped_ruleset.rules if isinstance(r.matcher, LibcstMatcher))
    # before the fix each worker waited forever for the lock of Target's cached property
    assert _run(READING, tmp_path, rules) == (0, "{'a.py': ['CX0003'], 'b.py': ['CX0003'], 'c.py': ['CX0003']}\n", "")


def test_the_parent_forks_once_another_thread_s_import_is_done(tmp_path: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "forkhelper_waited.py").write_text(HELPER.replace("__main__", "tests_fork_events"))
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text("import requests\nrequests.get('u')\n")
    events = SimpleNamespace(importing=threading.Event(), release=threading.Event())
    monkeypatch.setitem(sys.modules, "tests_fork_events", events)
    monkeypatch.syspath_prepend(tmp_path)
    monkeypatch.delitem(sys.modules, "forkhelper_waited", raising=False)
    monkeypatch.setattr(libcst_engine, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(libcst_engine.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(fork_safety, "time", SimpleNamespace(monotonic=time.monotonic, sleep=lambda seconds: events.release.set()))
    at_fork: list[bool] = []
    recording = [True]

    def imported() -> bool:
        spec = getattr(sys.modules.get("forkhelper_waited"), "__spec__", None)
        return spec is not None and not getattr(spec, "_initializing", False)

    os.register_at_fork(before=lambda: at_fork.append(imported()) if recording[0] else None)
    rules = [r for r in shipped_ruleset.rules if isinstance(r.matcher, LibcstMatcher)]
    jobs = [(Target(name, tmp_path / name, "python", None, name), rules) for name in ("a.py", "b.py", "c.py")]
    importer = threading.Thread(target=__import__, args=("forkhelper_waited",), daemon=True)
    importer.start()
    try:
        events.importing.wait()
        found = libcst_engine.check_files(jobs)
    finally:
        recording[0] = False
        events.release.set()
        importer.join()
    assert at_fork == [True, True]  # each worker forked after the import had finished
    assert {path: [m.rule_id for m in matches] for path, (matches, _) in found.items()} == {"a.py": ["CX0003"], "b.py": ["CX0003"], "c.py": ["CX0003"]}


def test_import_locks_this_python_does_not_show_make_no_wait_and_are_never_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork_safety, "_bootstrap", SimpleNamespace())  # a later Python without _module_locks
    assert fork_safety.imports_in_progress() is None
    started = time.monotonic()
    fork_safety.wait_for_imports()
    assert time.monotonic() - started < fork_safety.IMPORT_WAIT_SECONDS  # nothing to wait for that can be told
    monkeypatch.setattr(libcst_engine, "_hand_back", False)  # restored after the test
    libcst_engine._init_worker({})
    assert libcst_engine._hand_back is True  # a worker that cannot tell hands its files back to the parent
