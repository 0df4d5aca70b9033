"""SARIF 2.1.0 validation: the OASIS schema kept under tests/schemas, with the "uri" / "uri-reference" formats
checked as GitHub's upload-sarif does."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "sarif-schema-2.1.0.json"


@functools.cache
def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def validate_sarif(document: dict) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``document`` is valid SARIF 2.1.0."""
    _validator().validate(document)
