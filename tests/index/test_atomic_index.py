"""The index file is replaced whole, never written in place: a reader holding the old file
keeps reading all of it, and the path always holds one complete index (the old or the new).

Both ways an index is written are covered: inside the root (the default `.acme_scan/`,
written through the confined folder) and at a path of the user's choice (`index_path`).
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from acme_scan import scan_project
from tests.conftest import WriteFiles

FLOW = "from prefect import flow\n\n@flow\ndef {name}(): ...\n"


@pytest.mark.parametrize("where", ["inside", "outside"])
def test_the_index_is_replaced_whole(write_files: WriteFiles, tmp_path: Path, where: str) -> None:
    root = write_files({"a.py": FLOW.format(name="first")})
    index_path = None if where == "inside" else tmp_path / "elsewhere" / "index.json"
    first = scan_project(root, index_path=index_path)
    assert first.written
    assert first.index_path is not None
    path = first.index_path
    old = path.read_bytes()
    with open(path, "rb") as reader:  # a reader that opened the index before the write
        before = os.fstat(reader.fileno())
        (root / "a.py").write_text(FLOW.format(name="second_flow_with_a_longer_name"))
        second = scan_project(root, index_path=index_path)
        assert second.written
        after = os.stat(path)
        assert reader.read() == old  # the old file, all of it: nothing was written into it
        assert os.fstat(reader.fileno()).st_size == before.st_size
    assert (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino)  # a new file
    new = orjson.loads(path.read_bytes())
    assert [flow["name"] for flow in new["flows"]] == ["second-flow-with-a-longer-name"]
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
