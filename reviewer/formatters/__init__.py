"""Output formats for a report: a base and one module per format."""

from __future__ import annotations

import importlib

from reviewer.formatters.base import Formatter

FORMATS = {"text": "reviewer.formatters.text:TextFormatter", "json": "reviewer.formatters.json:JsonFormatter"}


def get_formatter(name: str) -> Formatter:
    module, _, cls = FORMATS[name].partition(":")
    return getattr(importlib.import_module(module), cls)()
