"""The base of libcst matchers, in the style of Fixit's LintRule, and where their classes may come from.

A matcher is a ``BatchableCSTVisitor``: the engine parses a file once and visits it with every
matcher batched. Positions are computed after the visit and only for a file where a node was flagged:
most files have none, and positions cost about as much as the visit. The class docstring documents it; its rule id, message and examples come from
the RFC that names it.

An RFC names its class as ``package.module:ClassName``. Importing a module runs its code, so a class is
imported only from the shipped lints (``codex.lints``) or a package ``[tool.codex] lint_packages`` allows,
and only a ``LintRule`` subclass is accepted.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import ClassVar

import libcst as cst
from libcst.metadata import ProviderT

SHIPPED_LINTS = "codex.lints"


class LintRule(cst.BatchableCSTVisitor):
    """Declare in ``METADATA_DEPENDENCIES`` the metadata the rule reads (positions are not needed to report)."""

    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self.flagged: list[tuple[cst.CSTNode, str | None]] = []

    def report(self, node: cst.CSTNode, message: str | None = None) -> None:
        """Flag ``node``; the engine finds its position after the visit, only in files where something was flagged."""
        self.flagged.append((node, message))


class RuleClassError(Exception):
    """A ``rule_class`` that cannot be used; the message says why, for a person."""


def allowed_module(module_name: str, packages: Sequence[str]) -> bool:
    """Is ``module_name`` the shipped lints, one of ``packages``, or inside one of them?"""
    return any(module_name == p or module_name.startswith(p + ".") for p in (SHIPPED_LINTS, *packages))


def load_rule_class(path: str, packages: Sequence[str] = ()) -> type[LintRule]:
    """The ``LintRule`` subclass ``package.module:ClassName``, imported only from the shipped lints or ``packages``."""
    module_name, sep, class_name = path.partition(":")
    if not sep or not module_name or not class_name:
        raise RuleClassError(f"{path!r} is not 'package.module:ClassName'")
    if not allowed_module(module_name, packages):
        allowed = ", ".join((SHIPPED_LINTS, *packages))
        raise RuleClassError(f"{module_name} is not a package matcher classes may come from ({allowed})")
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:  # importing runs the module: any failure is the class's, reported
        raise RuleClassError(f"importing {module_name} failed: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, LintRule)):
        raise RuleClassError(f"{path} is not a codex.lint.LintRule subclass")
    return cls


def loaded_rule_class(path: str) -> type[LintRule]:
    """A class ``load_rule_class`` already imported when the ruleset was loaded (or a shipped one): the engine,
    in this process or a forked worker, never imports a module the configuration did not allow."""
    module_name = path.partition(":")[0]
    if module_name not in sys.modules and not allowed_module(module_name, ()):
        raise RuleClassError(f"{module_name} was not loaded with the ruleset")
    return load_rule_class(path, (module_name,))
