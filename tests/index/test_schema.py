"""The committed JSON Schema matches the models, and indexes validate against it."""

from __future__ import annotations

import os
from pathlib import Path

import jsonschema
import orjson

from acme_scan import dump_index, scan_project
from acme_scan.cli.schema import index_schema
from tests.conftest import FIXTURES

SCHEMA = Path(__file__).parents[2] / "schema" / "index.schema.json"


def test_committed_schema_matches_models() -> None:
    if os.environ.get("UPDATE_GOLDEN"):
        SCHEMA.write_bytes(index_schema())
    assert SCHEMA.read_bytes() == index_schema(), (
        "run `acme-scan schema > schema/index.schema.json`"
    )


def test_every_field_is_documented() -> None:
    schema = orjson.loads(index_schema())
    for name, definition in [("Index", schema), *schema["$defs"].items()]:
        for field, spec in definition.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"


def test_index_validates_against_committed_schema() -> None:
    index = scan_project(FIXTURES / "golden_project", write=False).index
    jsonschema.validate(orjson.loads(dump_index(index)), orjson.loads(SCHEMA.read_bytes()))
