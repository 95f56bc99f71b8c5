"""The index of tests/fixtures/golden_project, byte for byte (update with UPDATE_GOLDEN=1)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson

from acme_scan import dump_index, scan_project
from tests.conftest import FIXTURES

GOLDEN = FIXTURES / "golden_index.json"


def normalized_index(root: Path) -> bytes:
    index = scan_project(root, write=False).index
    data = orjson.loads(dump_index(index))
    data["root"] = "<root>"
    for record in data["files"].values():
        record["mtime_ns"] = 0
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def test_golden_index(tmp_path: Path) -> None:
    root = tmp_path / "golden_project"
    shutil.copytree(FIXTURES / "golden_project", root, symlinks=True)
    actual = normalized_index(root)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_bytes(actual)
    assert actual == GOLDEN.read_bytes()
