"""The index file of tests/fixtures/golden_project, byte for byte (update with UPDATE_GOLDEN=1)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from acme_scan import dump_index, scan_project
from tests.conftest import FIXTURES

GOLDEN = FIXTURES / "golden_index.json"


def normalized_index(root: Path) -> bytes:
    """The index file's bytes: portable, so compared as they are (no root, no mtimes)."""
    return dump_index(scan_project(root, write=False).index)


def test_golden_index(tmp_path: Path) -> None:
    root = tmp_path / "golden_project"
    shutil.copytree(FIXTURES / "golden_project", root, symlinks=True)
    actual = normalized_index(root)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_bytes(actual)
    assert actual == GOLDEN.read_bytes()
