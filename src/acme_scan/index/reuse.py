"""Reuse decisions: which records of the last index stand without reading their files.

A record is trusted when its file's size and mtime are those it was read with, unless the
file may have changed within the same clock tick as the index was written ("racy", as git
calls it): such a file is read and hashed again, and parsed only when its bytes changed
(`workers`). Both the full incremental scan and the scan decided from the state file alone
ask `trusted`.
"""

from __future__ import annotations

from collections.abc import Sequence
from stat import S_ISREG
from typing import Any

from acme_scan.index.workers import Job, index_key, stats_under


def trusted(known: tuple[int, int], now: tuple[int, int], index_mtime_ns: int) -> bool:
    """Whether a file read at `known` (size, mtime_ns) and now at `now` is unchanged, for an
    index written at `index_mtime_ns`."""
    return known == now and now[1] < index_mtime_ns


#: A regular file's (path, size, mtime_ns), as `regular_files` lists them.
Stat = tuple[str, int, int]


def regular_files(root: str, discovered: Sequence[str]) -> list[Stat] | None:
    """The regular files among `discovered` (relative to `root`), with their size and
    mtime. None when only a full scan can decide (a name that is not UTF-8). `OSError`
    when a file cannot be looked at."""
    found: list[Stat] = []
    append = found.append
    with stats_under(root) as stat_of:
        for rel in discovered:
            if not rel.isascii() and index_key(rel) != rel:
                return None  # a name that is not UTF-8: the full path reports it
            try:
                stat = stat_of(rel)
            except (FileNotFoundError, NotADirectoryError):
                continue
            if S_ISREG(stat.st_mode):
                append((rel, stat.st_size, stat.st_mtime_ns))
    return found


def newer_than(stats: Sequence[Stat], index_mtime_ns: int) -> bool:
    """Whether some file was modified since (or as) the index was written: `to_rescan`
    then has a job for it, whatever the state file says."""
    return any(mtime >= index_mtime_ns for _, _, mtime in stats)


def to_rescan(
    stats: Sequence[Stat], files: dict[str, list[Any]], index_mtime_ns: int
) -> tuple[list[str], list[Job]]:
    """The paths indexed now and the jobs for those whose records cannot be trusted, from
    the files' stats (`regular_files`) and a state file's `files`."""
    jobs: list[Job] = []
    for rel, size, mtime in stats:
        known = files.get(rel)
        if known is None or not trusted((known[0], known[1]), (size, mtime), index_mtime_ns):
            jobs.append(Job(rel, None, size))
    return [rel for rel, _, _ in stats], jobs
