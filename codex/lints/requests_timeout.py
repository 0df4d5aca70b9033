"""Outbound HTTP calls through ``requests`` that pass no ``timeout=``.

Names are resolved through imports, so ``import requests as r; r.get(url)`` and
``from requests import get; get(url)`` are found too. A call that forwards ``**kwargs`` may carry a
timeout and is not flagged.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import QualifiedNameProvider

from codex.lint import LintRule

_METHODS = ("request", "get", "options", "head", "post", "put", "patch", "delete")
REQUESTS_CALLS = frozenset(f"requests.{m}" for m in _METHODS) | frozenset(f"requests.api.{m}" for m in _METHODS)


class RequestsWithoutTimeout(LintRule):
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def visit_Call(self, node: cst.Call) -> None:
        if any(arg.star == "**" or (arg.keyword is not None and arg.keyword.value == "timeout") for arg in node.args):
            return
        names = self.get_metadata(QualifiedNameProvider, node.func, set())
        called = next((q.name for q in names if q.name in REQUESTS_CALLS), None)
        if called:
            self.report(node, f"{called}() without timeout=")
