"""Validate a ``results.json`` against the schema the package ships (shared by the eval tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from temporal_ssl.eval.results_json import load_schema


def validate_results(document: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``document`` breaks the schema."""
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def read_valid_results(path: str | Path) -> dict[str, Any]:
    """``results.json`` at ``path``, parsed and checked against the schema."""
    document = json.loads(Path(path).read_text())
    validate_results(document)
    return document
