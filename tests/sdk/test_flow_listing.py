"""`PrefectFlowFinder`'s fast listing: the kept listing file, and trusting a live watcher.

Every answer must be what the base class's `FlowFinder.__call__` computes from
`list_flows()` (the reference here), whatever path produced it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from acme_portal_sdk import FlowFinder
from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder, listing_path
from acme_scan.watch.lock import lock_holder
from acme_scan.watch.watcher import Watcher

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "acme_prefect"
NEW_FLOW = "from prefect import flow\n\n\n@flow\ndef brand_new() -> None:\n    pass\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__"))
    return project


def reference(root: Path, **kwargs: Any) -> list[dict[str, Any]]:
    """The base class's answer (list_flows, select_flows, extension_json), nothing kept."""
    return FlowFinder.__call__(PrefectFlowFinder(root, write_index=False), **kwargs)


def test_kept_listing_is_the_reference_and_follows_changes(root: Path) -> None:
    finder = PrefectFlowFinder(root)
    first = finder()
    assert first == reference(root)
    kept = listing_path(root / ".acme_scan" / "index.json")
    assert kept.is_file()
    assert finder() == first  # read from the kept file

    (root / "flows" / "new.py").write_text(NEW_FLOW, encoding="utf-8")
    changed = finder()
    assert [f["name"] for f in changed if f["name"] not in {g["name"] for g in first}] == [
        "brand_new"
    ]
    assert changed == reference(root)

    # A listing file that does not match the index (truncated, foreign) is never used.
    kept.write_bytes(b'{"format": 0}\n[]')
    assert finder() == changed
    kept.write_bytes(b"garbage")
    assert finder() == changed
    # The right key, then a body nested past the stack (read with `json` when small, with
    # orjson when large): no listing, never a RecursionError.
    header = kept.read_bytes().partition(b"\n")[0]
    for depth in (100_000, 2 << 20):
        kept.write_bytes(header + b"\n" + b"[" * depth)
        assert finder() == changed
    # The right key and a valid listing, but in UTF-16: the kept file is UTF-8 or nothing.
    kept.write_bytes((header.decode() + "\n[]").encode("utf-16"))
    assert finder() == changed


def test_selective_refetch_on_the_fast_path(root: Path) -> None:
    finder = PrefectFlowFinder(root)
    everything = finder()
    one = everything[1]
    assert finder(flows_to_fetch=[{**one, "unknown": 1}]) == [one]
    assert finder(flows_to_fetch=[one]) == reference(root, flows_to_fetch=[one])
    group = one["grouping"][-1]
    assert finder(flow_groups=[group]) == reference(root, flow_groups=[group])
    assert finder(flows_to_fetch=[], flow_groups=None) == []


def test_a_subclass_overriding_list_flows_keeps_the_base_behaviour(root: Path) -> None:
    class Fewer(PrefectFlowFinder):
        def list_flows(self) -> list[Any]:
            return super().list_flows()[:1]

    assert len(Fewer(root)()) == 1


def test_no_index_written_no_listing_kept(root: Path) -> None:
    assert PrefectFlowFinder(root, write_index=False)() == reference(root)
    assert not (root / ".acme_scan").exists()


def test_a_running_watcher_is_trusted(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = root / ".acme_scan" / "index.json"
    assert lock_holder(index) is None
    finder = PrefectFlowFinder(root)
    with Watcher(root) as watcher:
        assert lock_holder(index) is not None
        expected = reference(root)
        import acme_scan.index.project

        def no_scan(*args: object, **kwargs: object) -> None:
            raise AssertionError("the tree was scanned although a watcher keeps the index")

        monkeypatch.setattr(acme_scan.index.project, "scan_project", no_scan)
        assert finder() == expected
        (root / "flows" / "new.py").write_text(NEW_FLOW, encoding="utf-8")
        deadline = time.monotonic() + 20
        while not any(f["name"] == "brand_new" for f in finder()):
            assert time.monotonic() < deadline, "the watcher's update never showed"
            watcher.wait(0.1)
        monkeypatch.undo()
        assert finder() == reference(root)
    assert lock_holder(index) is None


def test_the_listing_file_is_never_read_or_written_through_a_link(
    root: Path, tmp_path: Path
) -> None:
    finder = PrefectFlowFinder(root)
    expected = finder()
    kept = listing_path(root / ".acme_scan" / "index.json")
    header = kept.read_bytes().partition(b"\n")[0]
    outside = tmp_path / "outside.json"
    outside.write_bytes(header + b"\n[]")  # the right key, other content
    kept.unlink()
    kept.symlink_to(outside)
    assert finder() == expected  # not read through the link
    (root / "flows" / "new.py").write_text(NEW_FLOW, encoding="utf-8")
    assert finder() == reference(root) != expected
    assert outside.read_bytes() == header + b"\n[]"  # not written through it either
    assert kept.is_symlink()
