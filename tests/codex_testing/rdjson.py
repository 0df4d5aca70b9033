"""reviewdog rdjson validation: reviewdog's own DiagnosticResult schema, kept under tests/schemas."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "reviewdog-rdjson-DiagnosticResult.json"


@functools.cache
def _validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def validate_rdjson(document: dict) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``document`` is a valid reviewdog DiagnosticResult."""
    _validator().validate(document)
