"""The ast screen before libcst: a file it keeps from libcst is one the rule cannot flag, and a file CPython's
ast cannot parse still reaches libcst whole."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from libcst.metadata import MetadataWrapper

from codex.lint import Sighting
from codex.lints.requests_timeout import RequestsWithoutTimeout
from codex.lints.swallowed_errors import SwallowedErrors
from codex.model import Ruleset
from reviewer.engines import libcst as libcst_engine
from reviewer.targets import Target

# name: (source, does CX0003's screen let it through, does CX0003 flag it); the cases it screens out sit between
# cases it keeps, so a screen that stopped early or kept everything would show.
REQUESTS_CASES = {
    "plain": ("import requests\nrequests.get('u')\n", True, True),
    "dict_get_only": ("import requests\nd = {}\nd.get('k')\n", False, False),
    "timeout_none": ("import requests\nrequests.get('u', timeout=None)\n", True, True),
    "no_requests": ("import json\nd = {}\nd.get('k')\n", False, False),
    "import_as": ("import requests as r\nr.post('u')\n", True, True),
    "from_get_as": ("from requests import get as fetch\nfetch('u')\n", True, True),
    "no_call": ("import requests\nURL = requests.codes.ok\n", False, False),
    "from_session": ("from requests import Session\ns = Session()\ns.put('u')\n", True, True),
    "submodule": ("import requests.api\nrequests.api.request('GET', 'u')\n", True, True),
    "mentioned_only": ("# we do not import requests here\nsession.get('u')\n", False, False),
    "from_api_as": ("from requests.api import head as h\nh('u')\n", True, True),
    "dunder_import": ("r = __import__('requests')\nr.get('u')\n", False, False),  # not resolved by libcst either
    "import_in_function": ("def f():\n    import requests\n    return requests.delete('u')\n", True, True),
    "session_attribute": (
        "import requests\nclass A:\n    def __init__(self):\n        self.s = requests.session()\n    def f(self):\n        return self.s.options('u')\n",
        True,
        True,
    ),
    "with_timeout": ("import requests\nrequests.get('u', timeout=5)\n", False, False),
    "session_alias": ("from requests import Session as S\nd = {}\nd.get('k')\ns = S()\ns.get('u')\n", True, True),
    "forwards_kwargs": ("import requests\ndef f(**kw):\n    return requests.get('u', **kw)\n", False, False),
    "session_and_dict_get": ("import requests\nS = requests.Session()\nd = {}\nd.get('k', timeout=None)\n", True, False),
    "other_call_only": ("import requests\nprint(requests.__version__)\n", False, False),
}


def flags(rule_class: type, source: str) -> bool:
    import libcst as cst

    visitor = rule_class()
    MetadataWrapper(cst.parse_module(source)).visit_batched([visitor])
    return bool(visitor.flagged)


@pytest.mark.parametrize("name", REQUESTS_CASES)
def test_the_requests_screen_keeps_every_file_the_rule_flags(name: str) -> None:
    source, kept, flagged = REQUESTS_CASES[name]
    assert (RequestsWithoutTimeout.SCREEN.passes(Sighting.of(ast.parse(source))), flags(RequestsWithoutTimeout, source)) == (kept, flagged)


@pytest.mark.parametrize(
    "source, kept, flagged",
    [
        ("try:\n    f()\nexcept:\n    log()\n", True, True),
        ("x = 1\n", False, False),
        ("try:\n    f()\nexcept (ValueError, Exception):\n    'ignored'\n    ...\n    continue\n", True, True),
        ("try:\n    f()\nexcept Exception:\n    log()\n", False, False),
        ("try:\n    f()\nexcept ValueError:\n    pass\n", False, False),
        ("try:\n    f()\nexcept Exception as exc:  # noqa\n    pass\n", True, True),
        ("try:\n    f()\nexcept* Exception:\n    pass\n", True, False),  # libcst's ExceptStarHandler is not visited: kept, to be safe
        ("try:\n    f()\nfinally:\n    g()\n", False, False),
    ],
)
def test_the_except_screen_keeps_every_file_the_rule_flags(source: str, kept: bool, flagged: bool) -> None:
    assert (SwallowedErrors.SCREEN.passes(Sighting.of(ast.parse(source))), flags(SwallowedErrors, source)) == (kept, flagged)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("screen")
    for name, (source, _, _) in REQUESTS_CASES.items():
        (root / f"{name}.py").write_text(source, encoding="utf-8")
    # Python 3.12 syntax: CPython 3.11's ast refuses it, libcst parses it, so the file must still be checked
    (root / "newer_grammar.py").write_text("import requests\ntype Url = str\nrequests.get('u')\n", encoding="utf-8")
    (root / "python2.py").write_text("import requests\nprint 'x'\n", encoding="utf-8")
    return root


def test_screened_out_files_never_reach_libcst(corpus: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    import libcst as cst

    parsed: list[str] = []
    original = cst.parse_module

    def recording(source, *args, **kwargs):
        parsed.append(source.decode() if isinstance(source, bytes) else source)
        return original(source, *args, **kwargs)

    monkeypatch.setattr(cst, "parse_module", recording)
    rules = [shipped_ruleset.rule("CX0003"), shipped_ruleset.rule("CX0004")]
    results = {path.stem: libcst_engine.check_file(Target(path.name, path, "python", None, None), rules) for path in sorted(corpus.iterdir())}
    reached = {name for name, (source, _, _) in REQUESTS_CASES.items() if source in parsed}
    # kept by the screen, then settled without libcst (see DECIDED_CASES)
    settled_by_ast = {"plain", "timeout_none", "session_attribute", "session_and_dict_get"}
    assert reached == {name for name, (_, kept, _) in REQUESTS_CASES.items() if kept} - settled_by_ast
    assert {name: [m.line for m in matches] for name, (matches, _) in results.items() if matches} == {
        name: [len(source.splitlines())] if name != "session_attribute" else [6] for name, (source, _, flagged) in REQUESTS_CASES.items() if flagged
    } | {"newer_grammar": [3]}
    assert [(name, p.kind) for name, (_, problems) in results.items() for p in problems] == [("python2", "parse")]  # never silent


# Valid Python that libcst 1.9 cannot parse: ParserSyntaxError, CSTValidationError, and a TypeError from inside libcst.
# Each alone (every libcst rule screened out) and after a requests call (CX0003 kept) must be reported alike.
LIBCST_GAPS = {
    "parenthesized_annotation_target": ("(x): int = 1\n", 1, "parser error: error at {line}:5: expected one of"),
    "conditional_right_after_else": ("x = a if b else(c if d else e)\n", 1, "Must have at least one space after 'else' keyword."),
    "keyword_before_star_base": ("class A(metaclass=M, *bases):\n    pass\n", 1, "parser error: error at {next}:0: expected one of"),
    "lambda_right_after_else": ("f = a if b else(lambda: 1)\n", 1, "super(type, obj): obj must be an instance or subtype of type"),
    "lambda_right_after_not": ("f = not(lambda: 1)\n", 1, "super(type, obj): obj must be an instance or subtype of type"),
}
REQUESTS_CALL = "import requests\nrequests.get('u')\n"


@pytest.mark.parametrize("name", LIBCST_GAPS)
def test_what_libcst_cannot_parse_is_reported_whether_or_not_the_screen_keeps_a_rule(name: str, tmp_path: Path, shipped_ruleset: Ruleset) -> None:
    source, line, reason = LIBCST_GAPS[name]
    rules = [shipped_ruleset.rule("CX0003"), shipped_ruleset.rule("CX0004"), shipped_ruleset.rule("CX0006")]
    reported = []
    for prefix in ("", REQUESTS_CALL):
        path = tmp_path / f"{len(prefix)}.py"
        path.write_text(prefix + source, encoding="utf-8")
        at = line + prefix.count("\n")
        matches, problems = libcst_engine.check_file(Target(path.name, path, "python", None, None), rules)
        assert matches == []
        expected = reason.format(line=at, next=at + source.count("\n"))
        assert [(p.kind, p.line, p.message.split("(", 1)[0]) for p in problems] == [("parse", at, "libcst cannot parse it, though CPython can ")]
        assert expected in problems[0].message
        reported.append(re.sub(r"error at \d+:", "error at N:", problems[0].message))
    assert reported[0] == reported[1]


def test_an_ordinary_file_with_a_lambda_after_a_keyword_and_a_space_is_still_screened(
    tmp_path: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    import libcst as cst

    def refuse(*args, **kwargs):
        raise AssertionError("libcst parsed a file the screen should keep from it")

    monkeypatch.setattr(cst, "parse_module", refuse)
    path = tmp_path / "ordinary.py"
    path.write_text("f = a if b else (lambda: 1)\ng = not (lambda: 1)\nh = map(lambda x: x, y)\nclass A(B, metaclass=M):\n    x: int = 1\n", encoding="utf-8")
    assert libcst_engine.check_file(Target(path.name, path, "python", None, None), [shipped_ruleset.rule("CX0003")]) == ([], [])


# name: (source, settled by CPython's ast without libcst, CX0003's matches as (line, column, end line, end column, message));
# the cases libcst must look at (a name not only the module imported, a session, a file not in UTF-8) sit between those
# ast settles.
DECIDED_CASES = {
    "plain": ("import requests\nx = 1\nrequests.get('u')\n", True, [(3, 1, 3, 18, "requests.get() without timeout=")]),
    "parenthesized": ("import requests\nx = (requests.get('u'))\n", True, [(2, 6, 2, 23, "requests.get() without timeout=")]),
    "multiline_timeout_none": (
        "import requests\nr = requests.post(\n    'u',\n    timeout=None,\n)\n",
        True,
        [(2, 5, 5, 2, "requests.post() with timeout=None")],
    ),
    "argument": ("import requests\nprint(requests.get('u'))\n", True, [(2, 7, 2, 24, "requests.get() without timeout=")]),
    "non_ascii_columns": ("import requests\ns = 'é'; requests.api.get('ü')\n", True, [(2, 10, 2, 31, "requests.api.get() without timeout=")]),
    "comment_before": ("import requests\nf(\n    # c\n    requests.get('u'))\n", True, [(4, 5, 4, 22, "requests.get() without timeout=")]),
    "lone_carriage_returns": ("import requests\rx = 1\rrequests.get('u')\n", True, [(1, 23, 1, 40, "requests.get() without timeout=")]),
    "import_in_function": (
        "import requests\ndef f():\n    import requests\n    requests.get('u')\n",
        False,
        [(4, 5, 4, 22, "requests.get() without timeout=")],
    ),
    "latin1_cookie": (
        "# -*- coding: latin-1 -*-\nimport requests\ns = '\xe9'; requests.get('u')\n",
        False,
        [(3, 10, 3, 27, "requests.get() without timeout=")],
    ),
    "rebound": (
        "try:\n    import requests\nexcept ImportError:\n    requests = None\nrequests.get('u')\n",
        False,
        [(5, 1, 5, 18, "requests.get() without timeout=")],
    ),
    "continued_line": ("import requests\nx = 1 + \\\n    requests.get('u').status_code\n", True, [(3, 5, 3, 22, "requests.get() without timeout=")]),
    "session": (
        "import requests\ns = requests.Session()\ns.get('u')\nrequests.get('v')\n",
        True,
        [(4, 1, 4, 18, "requests.get() without timeout="), (3, 1, 3, 11, "requests.Session.get() without timeout=")],
    ),
    # sessions: in self.<attr> of a class, or in a name every binding of which gives it one, CPython's ast settles
    # them; any other name that may hold one goes to libcst
    "attributes": (
        "import requests\nclass Client:\n    def __init__(self):\n        self.session = requests.Session()\n    def fetch(self, d):\n"
        "        d.get('k')\n        self.session.get('u')\n        return self.session.post('v', timeout=5)\nrequests.get('w')\n",
        True,
        [(9, 1, 9, 18, "requests.get() without timeout="), (7, 9, 7, 30, "requests.Session.get() without timeout=")],
    ),
    "with_session": ("import requests\nwith requests.Session() as s:\n    s.get('u')\n", True, [(3, 5, 3, 15, "requests.Session.get() without timeout=")]),
    "attribute_rebound": (
        "import requests\nclass Client:\n    def __init__(self):\n        self.session = requests.Session()\n    def reset(self, other):\n"
        "        self.session = other\n    def fetch(self):\n        return self.session.get('u')\n",
        True,
        [],
    ),
    "alias": (
        "import requests as r\nclass Client:\n    def __init__(self):\n        self.session = r.Session()\n    def fetch(self):\n"
        "        return self.session.get('u')\n",
        False,
        [(6, 16, 6, 37, "requests.Session.get() without timeout=")],
    ),
    "attribute_of_a_base_class": (
        "import requests\nclass Base:\n    def __init__(self):\n        self.session = requests.session()\n    def fetch(self):\n"
        "        return self.session.get('u', timeout=None)\nclass Child(Base):\n    def fetch(self):\n        return self.session.get('v')\n",
        True,
        [(6, 16, 6, 51, "requests.Session.get() with timeout=None")],
    ),
    "local_named_requests": ("import requests\ndef fetch(client):\n    requests = client\n    return requests.get('u')\n", False, []),
    "session_passed_in": ("import requests\ndef fetch(session, url):\n    return session.get(url)\nfetch(requests.Session(), 'u')\n", True, []),
    "returned_session": (
        "import requests\ndef make():\n    s = requests.Session()\n    return s\nt = make()\nt.get('u')\n",
        False,
        [(6, 1, 6, 11, "requests.Session.get() without timeout=")],
    ),
    "session_on_the_spot": (
        "import requests\nrequests.Session().get('u')\nrequests.sessions.Session().put('v', timeout=None)\n",
        True,
        [(2, 1, 2, 28, "requests.Session.get() without timeout="), (3, 1, 3, 51, "requests.Session.put() with timeout=None")],
    ),
    "session_class_imported": (
        "import requests\nfrom requests import Session\nclass Client:\n    def __init__(self):\n        self.session = Session()\n"
        "    def fetch(self):\n        return self.session.get('u')\n",
        False,
        [(7, 16, 7, 37, "requests.Session.get() without timeout=")],
    ),
    "attributes_unpacked_and_with": (
        "import requests\nclass Client:\n    def __init__(self):\n        self.a, self.b = requests.Session(), requests.Session()\n"
        "        with requests.Session() as self.c:\n            self.a.get('u')\n            self.b.get('v')\n            self.c.get('w')\n",
        True,
        [(8, 13, 8, 28, "requests.Session.get() without timeout=")],
    ),
    "exceptions_imported": (
        "import requests\nfrom requests.exceptions import HTTPError\nclass Client:\n    def __init__(self):\n        self.session = requests.Session()\n"
        "    def fetch(self):\n        try:\n            return self.session.get('u')\n        except HTTPError:\n            raise HTTPError('x')\n",
        True,
        [(8, 20, 8, 41, "requests.Session.get() without timeout=")],
    ),
    "nested_class": (
        "import requests\nclass Outer:\n    def __init__(self):\n        self.session = requests.Session()\n    def make(self):\n"
        "        class Inner:\n            def fetch(self):\n                return self.session.get('u')\n        return Inner\n",
        True,
        [],
    ),
    "annotated_attribute": (
        "import requests\nclass Client:\n    session: requests.Session\n    def __init__(self):\n"
        "        self.session: requests.Session = requests.Session()\n    def fetch(self):\n        return self.session.get('u')\n",
        True,
        [(7, 16, 7, 37, "requests.Session.get() without timeout=")],
    ),
    "module_session_in_functions": (
        "import requests\nsession = requests.Session()\ndef fetch(url):\n    return session.get(url)\nclass Client:\n"
        "    def fetch(self, url):\n        return [session.post(u) for u in url]\n",
        True,
        [(4, 12, 4, 28, "requests.Session.get() without timeout="), (7, 17, 7, 32, "requests.Session.post() without timeout=")],
    ),
    "used_before_it_is_assigned": (
        "import requests\ndef fetch(url):\n    s.get(url)\n    s = requests.Session()\n    return s.get(url, timeout=None)\n",
        False,
        [(3, 5, 3, 15, "requests.Session.get() without timeout="), (5, 12, 5, 36, "requests.Session.get() with timeout=None")],
    ),
    "session_of_another_function": (
        "import requests\ndef make():\n    s = requests.Session()\n    s.headers['x'] = 'y'\n    return 1\ndef fetch(url):\n    return s.get(url)\n",
        True,
        [],
    ),
    "name_rebound": ("import requests\ns = requests.Session()\ns.get('u')\ns = None\n", False, [(3, 1, 3, 11, "requests.Session.get() without timeout=")]),
    "parameter_of_the_same_name": (
        "import requests\ndef fetch(session, url):\n    return session.get(url)\nwith requests.Session() as session:\n    fetch(session, 'u')\n",
        False,
        [],
    ),
    "class_body_session": (
        "import requests\nclass Client:\n    session = requests.Session()\n    session.get('u')\n    def fetch(self, url):\n        return session.get(url)\n",
        True,
        [(4, 5, 4, 21, "requests.Session.get() without timeout=")],
    ),
    "default_and_lambda": (
        "import requests\ns = requests.Session()\ndef fetch(response=s.get('u'), *, other=lambda: s.get('v')):\n    return response\n",
        True,
        [(3, 20, 3, 30, "requests.Session.get() without timeout="), (3, 49, 3, 59, "requests.Session.get() without timeout=")],
    ),
    "walrus": ("import requests\nif (s := requests.Session()):\n    s.get('u')\n", False, [(3, 5, 3, 15, "requests.Session.get() without timeout=")]),
    "submodule_imported_alone": (
        "from requests.auth import HTTPBasicAuth\nclass Client:\n    def __init__(self):\n        self.session = Session()\n"
        "    def fetch(self):\n        return self.session.get('u', auth=HTTPBasicAuth('a', 'b'))\n",
        True,
        [],
    ),
    "session_class_imported_alone": (
        "from requests.sessions import Session\nclass Client:\n    def __init__(self):\n        self.session = Session()\n"
        "    def fetch(self):\n        return self.session.get('u')\n",
        False,
        [(6, 16, 6, 37, "requests.Session.get() without timeout=")],
    ),
    "self_outside_a_class": (
        "import requests\ndef setup(self):\n    self.session = requests.Session()\ndef fetch(self):\n    return self.session.get('u')\n",
        True,
        [],
    ),
}


@pytest.mark.parametrize("name", DECIDED_CASES)
def test_what_the_ast_settles_is_found_as_libcst_finds_it(name: str, tmp_path: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    source, settled, expected = DECIDED_CASES[name]
    path = tmp_path / "calls.py"
    data = source.encode("latin-1" if source.startswith("# -*- coding: latin-1") else "utf-8")
    path.write_bytes(data)
    target, rules = Target(path.name, path, "python", None, None), [shipped_ruleset.rule("CX0003")]
    kept, _ = libcst_engine._decided(rules, Sighting.of(ast.parse(data)), libcst_engine._utf8_text(data))
    matches, problems = libcst_engine.check_file(target, rules)
    monkeypatch.setattr(RequestsWithoutTimeout, "decided", classmethod(lambda cls, seen: None))
    by_libcst, _ = libcst_engine.check_file(target, rules)
    assert (kept == [], [(m.line, m.column, m.end_line, m.end_column, m.message) for m in matches], problems) == (settled, expected, [])
    assert matches == by_libcst


# Fragments of modules using requests in the ways CX0003 resolves (imports, sessions in names and attributes, rebinding,
# parameters, scopes, classes and their subclasses); each is valid at the top of a module.
FRAGMENTS = [
    "import requests",
    "import requests as r",
    "from requests import Session",
    "from requests.exceptions import HTTPError",
    "s = requests.Session()",
    "s = None",
    "s.get('u')",
    "s.post('u', timeout=None)",
    "requests.get('u')",
    "r.get('u')",
    "with requests.Session() as s:\n    s.get('u')",
    "def f(s):\n    return s.get('u')",
    "def g():\n    s.get('u')\n    s = requests.session()\n    return s.get('v')",
    "def h():\n    return [s.get(u) for u in 'ab']",
    "class C:\n    def __init__(self):\n        self.s = requests.Session()\n    def m(self):\n        return self.s.get('u')",
    "class D(C):\n    def m(self):\n        return self.s.put('u')",
    "class E:\n    s = requests.Session()\n    s.get('u')\n    def m(self):\n        self.s = Session()\n        return s.get('u')",
    "def make():\n    t = requests.Session()\n    return t",
    "t = make()\nt.get('u')",
    "requests = None",
    "d = {}\nd.get('k', timeout=None)",
    "x = lambda: s.get('u')",
    "requests.Session().get('u')",
    "Session().get('u')",
    "if (s := requests.Session()):\n    s.get('w')",
    "del s",
    "g_s = requests.Session()\ndef k():\n    global g_s\n    return g_s.get('u')",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8))
def test_what_the_ast_settles_is_what_libcst_finds_in_any_mix(shipped_ruleset: Ruleset, tmp_path_factory: pytest.TempPathFactory, fragments: list[str]) -> None:
    path = tmp_path_factory.mktemp("mix") / "calls.py"
    path.write_text("\n".join(fragments) + "\n", encoding="utf-8")
    target, rules = Target(path.name, path, "python", None, None), [shipped_ruleset.rule("CX0003")]
    settled = libcst_engine.check_file(target, rules)
    original = RequestsWithoutTimeout.decided
    try:
        RequestsWithoutTimeout.decided = classmethod(lambda cls, seen: None)  # type: ignore[method-assign,assignment]
        by_libcst = libcst_engine.check_file(target, rules)
    finally:
        RequestsWithoutTimeout.decided = original  # type: ignore[method-assign]
    assert settled == by_libcst


BARE = "bare except: catches everything, including KeyboardInterrupt and SystemExit"
DISCARDS = "except Exception: that discards the error"
# name: (source, settled by CPython's ast without libcst, CX0004's matches as (line, column, end line, end column, message));
# the cases libcst must look at (a string in a broad handler's body: one literal or two joined) sit between those ast settles.
SWALLOWED_CASES = {
    "bare_with_a_block": ("try:\n    f()\nexcept:\n    if x:\n        g()\n", True, [(3, 1, 5, 12, BARE)]),
    "broad_in_a_tuple": (
        "try:\n    f()\nexcept (ValueError, BaseException):\n    pass; ...\n",
        True,
        [(3, 1, 4, 14, "except BaseException: that discards the error")],
    ),
    "docstring_body": ("try:\n    f()\nexcept Exception:\n    'ignored'\n", False, [(3, 1, 4, 14, DISCARDS)]),
    "starred_name": (  # alone, the screen keeps it from libcst; with a bare handler, libcst flags it by the starred name
        "try:\n    f()\nexcept (*Exception,):\n    continue\nexcept:\n    pass\n",
        True,
        [(3, 1, 4, 13, DISCARDS), (5, 1, 6, 9, BARE)],
    ),
    "joined_strings_body": ("try:\n    f()\nexcept Exception:\n    'a' 'b'\nexcept:\n    pass\n", False, [(5, 1, 6, 9, BARE)]),
    "except_star": ("try:\n    f()\nexcept* Exception:\n    pass\n", True, []),
    "number_body": ("try:\n    f()\nexcept Exception:\n    0\n", True, []),
    "after_non_ascii_and_a_lone_cr": ("s = 'é€'\rtry: f()\nexcept Exception: pass  # «»\n", True, [(2, 1, 2, 23, DISCARDS)]),
    "nested_in_source_order": (  # ast.walk meets the outer handler first, the visit the inner one
        "try:\n    try:\n        f()\n    except:\n        pass\nexcept Exception:\n    pass\n",
        True,
        [(4, 5, 5, 13, BARE), (6, 1, 7, 9, DISCARDS)],
    ),
    "logged": ("try:\n    f()\nexcept Exception:\n    log()\n", True, []),
}


@pytest.mark.parametrize("name", SWALLOWED_CASES)
def test_what_the_ast_settles_of_swallowed_errors_is_found_as_libcst_finds_it(
    name: str, tmp_path: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, settled, expected = SWALLOWED_CASES[name]
    path = tmp_path / "handlers.py"
    path.write_bytes(source.encode())
    target, rules = Target(path.name, path, "python", None, None), [shipped_ruleset.rule("CX0004")]
    kept, _ = libcst_engine._decided(rules, Sighting.of(ast.parse(source)), source)
    matches, problems = libcst_engine.check_file(target, rules)
    monkeypatch.setattr(SwallowedErrors, "decided", classmethod(lambda cls, seen: None))
    by_libcst, _ = libcst_engine.check_file(target, rules)
    assert (kept == [], [(m.line, m.column, m.end_line, m.end_column, m.message) for m in matches], problems) == (settled, expected, [])
    assert matches == by_libcst
