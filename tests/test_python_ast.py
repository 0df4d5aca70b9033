"""reviewer/python_ast.py: one CPython tree at a time, a stale recursion counter retried (CPython gh-106905)."""

from __future__ import annotations

import ast
import threading
import time

import pytest

from reviewer import python_ast


def test_a_tree_or_the_parsers_own_error():
    assert [type(n).__name__ for n in python_ast.parse("import os\nx = '\\d'\n").body] == ["Import", "Assign"]
    with pytest.raises(SyntaxError):
        python_ast.parse(b"def (:\n")


def test_a_mismatch_left_by_an_earlier_failure_is_retried_once(monkeypatch):
    calls: list[str] = []

    def flaky(source):
        calls.append(source)
        if len(calls) == 1:
            raise SystemError("AST constructor recursion depth mismatch (before=33, after=52)")
        return ast.Module(body=[], type_ignores=[])

    monkeypatch.setattr(python_ast, "_compile", flaky)
    assert isinstance(python_ast.parse("x = 1\n"), ast.Module)
    assert calls == ["x = 1\n", "x = 1\n"]


def test_a_mismatch_that_persists_is_raised(monkeypatch):
    def broken(source):
        raise SystemError("AST constructor recursion depth mismatch")

    monkeypatch.setattr(python_ast, "_compile", broken)
    with pytest.raises(SystemError):
        python_ast.parse("x = 1\n")


def test_threads_build_trees_one_at_a_time(monkeypatch):
    inside = 0
    most = 0
    guard = threading.Lock()

    def slow(source):
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        time.sleep(0.02)
        with guard:
            inside -= 1
        return ast.Module(body=[], type_ignores=[])

    monkeypatch.setattr(python_ast, "_compile", slow)
    threads = [threading.Thread(target=python_ast.parse, args=("x = 1\n",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1


def test_a_persisting_mismatch_skips_the_libcst_rules_of_that_file_loudly(monkeypatch, libcst_ruleset, tmp_path):
    from reviewer.engines.libcst import check_file
    from reviewer.targets import Target

    source = tmp_path / "app.py"
    source.write_text("import requests\nrequests.get(url)\n")
    monkeypatch.setattr(python_ast, "_compile", lambda _source: (_ for _ in ()).throw(SystemError("AST constructor recursion depth mismatch")))
    matches, problems = check_file(Target("app.py", source, "python", None, "app.py"), list(libcst_ruleset.rules))
    assert matches == []
    assert [(p.path, p.line, p.kind, p.message) for p in problems] == [
        ("app.py", 1, "engine", "CPython's parser failed (AST constructor recursion depth mismatch); libcst rules skipped")
    ]
