"""The shipped libcst matchers (CX0003, CX0004) on real libcst: what each flags, and what it must leave alone."""

from __future__ import annotations

import textwrap

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from codex.lint import LintRule
from codex.lints.requests_timeout import RequestsWithoutTimeout
from codex.lints.swallowed_errors import SwallowedErrors
from codex.model import Ruleset
from reviewer.targets import prefilter_passes


def flagged(rule: type[LintRule], source: str) -> list[tuple[int, str | None]]:
    """(line, message) of every node ``rule`` flags in ``source``, in line order."""
    wrapper = MetadataWrapper(cst.parse_module(textwrap.dedent(source)))
    visitor = rule()
    wrapper.visit_batched([visitor])
    positions = wrapper.resolve(PositionProvider)
    return sorted((positions[node].start.line, message) for node, message, _ in visitor.flagged)


def test_requests_calls_without_timeout_or_with_timeout_none() -> None:
    assert flagged(
        RequestsWithoutTimeout,
        """\
        import requests
        from requests import post

        def fetch(url, t, **kwargs):
            requests.get(url, timeout=None)
            requests.get(url, timeout=t)
            post(url)
            requests.post(url, **kwargs)
            requests.post(url, timeout=None, **kwargs)
            requests.api.put(url)
        """,
    ) == [(5, "requests.get() with timeout=None"), (7, "requests.post() without timeout="), (10, "requests.api.put() without timeout=")]


def test_session_methods_on_names_that_hold_a_new_session() -> None:
    assert flagged(
        RequestsWithoutTimeout,
        """\
        import requests
        import requests as r
        from requests import Session

        def fetch(url):
            def later():
                return plain.delete(url)  # the closure's name is assigned below, in the enclosing scope
            plain = requests.Session()
            plain.get(url, timeout=None)
            plain.get(url, timeout=5)
            with r.session() as s, open(url) as handle:
                s.post(url, data=handle)
                handle.read()
            typed: requests.Session = Session()
            typed.head(url)
            if (walrus := requests.sessions.Session()):
                walrus.options(url)
            requests.Session().request("GET", url)
            return later

        def module_level(url):
            return shared.patch(url)  # used before the module assigns it: still the same session

        shared = requests.session()
        """,
    ) == [
        (7, "requests.Session.delete() without timeout="),
        (9, "requests.Session.get() with timeout=None"),
        (12, "requests.Session.post() without timeout="),
        (15, "requests.Session.head() without timeout="),
        (17, "requests.Session.options() without timeout="),
        (18, "requests.Session.request() without timeout="),
        (22, "requests.Session.patch() without timeout="),
    ]


def test_names_not_known_to_hold_a_session_are_left_alone() -> None:
    assert (
        flagged(
            RequestsWithoutTimeout,
            """\
        import requests

        def fetch(url, s):
            s.get(url)  # a parameter
            cache = {}
            cache.get(url)
            wrapped = requests.Session()
            wrapped = retrying(wrapped)  # not every assignment is a session
            wrapped.get(url)
            first, second = requests.Session(), requests.Session()  # unpacking is not followed
            first.get(url)
            for each in sessions():
                each.get(url)
            with requests.Session() as own:
                own.get(url, **options())
                own.get(url, timeout=3)

        def elsewhere(url):
            own.get(url)  # a different scope from the with-block above
        """,
        )
        == []
    )


def test_sessions_handed_out_by_a_function_of_the_module() -> None:
    assert flagged(
        RequestsWithoutTimeout,
        """\
        import requests

        def make(jar=False):
            sess = requests.session()
            if jar:
                return sess, "cookies.txt"
            return sess

        def either(fresh):
            if fresh:
                return requests.Session()  # not a name: what the caller gets is not followed
            return cached

        def pair():
            return "cookies.txt", requests.session()

        def fetch(url):
            sess, jar = make(jar=True)
            sess.get(url)
            jar.get(url)
            plain = make()  # a return hands out a tuple: not every return gives a session
            plain.get(url)
            other = either(True)
            other.get(url)
            cookies, second = pair()
            second.get(url)
            unknown, rest = imported_factory()
            unknown.get(url)
            late, _ = later()
            late.post(url)

        def later():
            s = requests.Session()
            return s, None
        """,
    ) == [(19, "requests.Session.get() without timeout="), (30, "requests.Session.post() without timeout=")]


def test_session_attributes_of_self() -> None:
    assert flagged(
        RequestsWithoutTimeout,
        """\
        import requests

        class Client:
            def __init__(self, http):
                self.session = requests.Session()
                self.http = http
                self.swapped = requests.Session()

            def reset(self):
                self.swapped = None

            def fetch(self, url):
                self.http.get(url)
                self.swapped.get(url)
                return self.session.get(url)

        class Other:
            def fetch(self, url):
                return self.session.get(url)  # another class: its session is unknown
        """,
    ) == [(15, "requests.Session.get() without timeout=")]


def test_except_exception_in_a_tuple_that_does_nothing() -> None:
    assert flagged(
        SwallowedErrors,
        """\
        try:
            a()
        except (ValueError, Exception):
            pass
        try:
            a()
        except (KeyError, OSError):
            pass
        try:
            a()
        except (
            OSError,
            BaseException,
        ) as exc:
            ...
        try:
            a()
        except (Exception):
            pass
        try:
            a()
        except (ValueError, Exception):
            log(exc)
        """,
    ) == [
        (3, "except Exception: that discards the error"),
        (11, "except BaseException: that discards the error"),
        (18, "except Exception: that discards the error"),
    ]


def test_swallowed_errors_prefilter_sees_tuples(shipped_ruleset: Ruleset) -> None:
    prefilter = shipped_ruleset.rule("CX0004").prefilter
    assert [
        prefilter_passes(prefilter, text)
        for text in (
            "try:\n    a()\nexcept (ValueError, Exception):\n    pass\n",
            "try:\n    a()\nexcept (\n    OSError,\n    BaseException,\n) as exc:\n    pass\n",
            "try:\n    a()\nexcept   :\n    pass\n",
            "try:\n    a()\nexcept (ValueError, KeyError):\n    pass\n",
            "class MyException(Exception):\n    pass\n",
        )
    ] == [True, True, True, False, False]
