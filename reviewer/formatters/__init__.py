"""Output formats for a report: a base and one module per format."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing FORMATS (for --format choices) stays cheap
    from codex.model import Ruleset
    from reviewer.formatters.base import Formatter

FORMATS = {
    "text": "reviewer.formatters.text:TextFormatter",
    "json": "reviewer.formatters.json:JsonFormatter",
    "sarif": "reviewer.formatters.sarif:SarifFormatter",
    "gitlab": "reviewer.formatters.gitlab:CodeQualityFormatter",
    "rdjson": "reviewer.formatters.rdjson:RdjsonFormatter",
    "github": "reviewer.formatters.github:WorkflowCommandFormatter",
}


def get_formatter(name: str, ruleset: Ruleset | None = None, *, path_prefix: str = "", docs_url: str | None = None) -> Formatter:
    """The formatter called ``name`` (see ``Formatter`` for the arguments)."""
    module, _, cls = FORMATS[name].partition(":")
    return getattr(importlib.import_module(module), cls)(ruleset, path_prefix=path_prefix, docs_url=docs_url)
