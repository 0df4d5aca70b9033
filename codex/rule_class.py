"""Matcher classes named in RFCs (``rule_class: package.module:ClassName``), imported without any engine's library."""

from __future__ import annotations

import importlib


def load_rule_class(path: str) -> type:
    """Import ``package.module:ClassName`` from installed packages only."""
    module_name, sep, class_name = path.partition(":")
    if not sep or not module_name or not class_name:
        raise ValueError("expected 'package.module:ClassName'")
    return getattr(importlib.import_module(module_name), class_name)
