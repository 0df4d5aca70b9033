"""Matcher classes named in RFCs (``rule_class: package.module:ClassName``), imported without any engine's library.

Importing a module runs its code, so a class is imported only from the shipped lints (``codex.lints``) or a
package ``[tool.codex] lint_packages`` allows, and only a subclass of its engine's base class is accepted.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from codex.config_file import FromFile

SHIPPED_LINTS = "codex.lints"


@dataclass(frozen=True)
class LintPackages:
    """The packages matcher classes may be imported from besides the shipped lints, and the setting that lists them
    as the configuration file read spells it (``lint_packages in codex.toml``), for messages."""

    packages: tuple[str, ...] = ()
    setting: str = FromFile().setting("lint_packages")

    def hint(self, base: str) -> str:
        """How to name a usable class: a subclass of ``base`` ('package.module:ClassName') where it may come from."""
        return f"name a {base.replace(':', '.')} subclass in {SHIPPED_LINTS} or in a package listed by {self.setting}, as 'package.module:ClassName'"


NO_LINT_PACKAGES = LintPackages()  # the shipped lints alone


class RuleClassError(Exception):
    """A ``rule_class`` that cannot be used; the message says why, for a person."""


def allowed_module(module_name: str, packages: Sequence[str]) -> bool:
    """Is ``module_name`` the shipped lints, one of ``packages``, or inside one of them?"""
    return any(module_name == p or module_name.startswith(p + ".") for p in (SHIPPED_LINTS, *packages))


def check_form(path: str) -> tuple[str, str]:
    """``path`` split into module and class name; RuleClassError when it is not ``package.module:ClassName``."""
    module_name, sep, class_name = path.partition(":")
    if not sep or not module_name or not class_name:
        raise RuleClassError(f"{path!r} is not 'package.module:ClassName'")
    return module_name, class_name


def load_rule_class(path: str, base: str, packages: Sequence[str] = ()) -> type:
    """The subclass of ``base`` (codex's own 'package.module:ClassName') at ``path``, imported only from the
    shipped lints or ``packages``."""
    module_name, class_name = check_form(path)
    if not allowed_module(module_name, packages):
        allowed = ", ".join((SHIPPED_LINTS, *packages))
        raise RuleClassError(f"{module_name} is not a package matcher classes may come from ({allowed})")
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:  # importing runs the module: any failure is the class's, reported
        raise RuleClassError(f"importing {module_name} failed: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, class_name, None)
    base_module, base_name = check_form(base)
    if not (isinstance(cls, type) and issubclass(cls, getattr(importlib.import_module(base_module), base_name))):
        raise RuleClassError(f"{path} is not a {base_module}.{base_name} subclass")
    return cls


def loaded_rule_class(path: str, base: str) -> type:
    """A class ``load_rule_class`` already imported when the ruleset was loaded (or a shipped one): an engine, in
    this process or a forked worker, never imports a module the configuration did not allow."""
    module_name, _ = check_form(path)
    if module_name not in sys.modules and not allowed_module(module_name, ()):
        raise RuleClassError(f"{module_name} was not loaded with the ruleset")
    return load_rule_class(path, base, (module_name,))


def module_file(module: str) -> str | None:
    """The source file of ``module``, found without importing it or its packages (importing runs their code)."""
    top, *parts = module.split(".")
    spec = importlib.util.find_spec(top)  # a top-level name is looked up, not imported
    for part in parts:
        if spec is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(f"{spec.name}.{part}", spec.submodule_search_locations)
    return spec.origin if spec else None
