"""The reuse rule on its own: a record stands when its file's size and mtime are those it was
read with, unless the file was modified in the clock tick the index was written ("racy")."""

from __future__ import annotations

import pytest

from acme_scan.index.reuse import trusted


@pytest.mark.parametrize(
    ("known", "now", "index_mtime", "expected"),
    [
        ((10, 500), (10, 500), 600, True),
        ((10, 500), (11, 500), 600, False),  # the size changed
        ((10, 500), (10, 501), 600, False),  # the mtime changed
        ((10, 500), (10, 500), 500, False),  # racy: modified as the index was written
        ((10, 700), (10, 700), 600, False),  # modified after the index was written
    ],
)
def test_trusted(
    known: tuple[int, int], now: tuple[int, int], index_mtime: int, expected: bool
) -> None:
    assert trusted(known, now, index_mtime) is expected
