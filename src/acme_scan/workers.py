"""Loading and scanning files, inline or across a process pool.

A job names a file and the hash its index record had; its outcome is a frozen, picklable
value: the new record and flows, or `record=None` when the bytes hash as before. OS errors
become AS003 diagnostics and scanner bugs AS000 diagnostics here, so one bad file never
aborts the run.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acme_scan import codes

logger = logging.getLogger(__name__)

#: Below this many bytes of source to scan, a pool costs more than it saves: forking a
#: worker and shipping results back costs about what parsing ~150 KB does.
POOL_MIN_BYTES = 400_000
#: Bytes of source a worker handles per round trip (chunks keep both cores busy to the end).
CHUNK_BYTES = 256_000
#: At most this many files per round trip.
CHUNK_FILES = 256


@dataclass(frozen=True, slots=True)
class Job:
    """A file to scan: its path, the hash its record had, and its size when listed."""

    rel: str
    old_hash: str | None
    size: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """A scanned file: its file record and flows as index JSON data (None: bytes unchanged)."""

    rel: str
    size: int
    mtime_ns: int
    record: dict[str, Any] | None
    flows: tuple[dict[str, Any], ...] = ()


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def file_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def load_and_scan(
    root: Path, job: Job, prefilter: bool, frameworks: Sequence[str] | None = None
) -> Outcome:
    full = os.path.join(root, job.rel)
    try:
        with open(full, "rb") as handle:
            stat = os.fstat(handle.fileno())
            data = handle.read()
    except OSError as exc:
        return Outcome(job.rel, 0, 0, unreadable(job.rel, exc))
    digest = file_digest(data)
    if job.old_hash == digest:
        return Outcome(job.rel, len(data), stat.st_mtime_ns, None)
    from acme_scan.scanner import scan_data  # the scanner is loaded only when needed

    try:
        result = scan_data(data, job.rel, prefilter=prefilter, frameworks=frameworks)
    except Exception as exc:  # a bug in the scanner must not cost the rest of the project
        logger.exception("internal error while scanning %s", job.rel)
        message = f"acme-scan failed on this file ({type(exc).__name__}: {exc}); please report it"
        record = _record(len(data), stat.st_mtime_ns, digest, "failed", [], [])
        record["diagnostics"] = [_diagnostic(job.rel, codes.INTERNAL, message)]
        return Outcome(job.rel, len(data), stat.st_mtime_ns, record)
    flows = tuple(result["flows"])
    record = _record(
        len(data),
        stat.st_mtime_ns,
        digest,
        result["status"],
        [flow["id"] for flow in flows],
        result["diagnostics"],
    )
    return Outcome(job.rel, len(data), stat.st_mtime_ns, record, flows)


def _record(
    size: int,
    mtime_ns: int,
    digest: str,
    status: str,
    flows: list[str],
    diagnostics: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "size": size,
        "mtime_ns": mtime_ns,
        "hash": digest,
        "status": status,
        "flows": flows,
        "diagnostics": diagnostics,
    }


def _diagnostic(rel: str, code: codes.Code, message: str) -> dict[str, Any]:
    return {
        "path": rel,
        "line": 0,
        "column": 0,
        "code": code.code,
        "severity": code.severity,
        "message": message,
    }


def unreadable(rel: str, exc: OSError) -> dict[str, Any]:
    """The file record of a file that cannot be read (AS003)."""
    message = f"cannot read the file: {exc.strerror or exc}; check its permissions"
    record = _record(0, 0, "", "failed", [], [])
    record["diagnostics"] = [_diagnostic(rel, codes.UNREADABLE, message)]
    return record


def _can_fork() -> bool:
    """Workers are forked: they inherit the loaded scanner and never re-run the caller's
    `__main__` (the extension's runner script, say), as spawned workers would. Forking a
    process that runs other threads is unsafe, so then the scan stays in this process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _scan_chunk(
    root: Path, jobs: Sequence[Job], prefilter: bool, frameworks: Sequence[str] | None
) -> list[Outcome]:
    return [load_and_scan(root, job, prefilter, frameworks) for job in jobs]


def _chunks(jobs: Sequence[Job]) -> list[Sequence[Job]]:
    chunks: list[Sequence[Job]] = []
    start = size = 0
    for index, job in enumerate(jobs):
        size += job.size
        if size >= CHUNK_BYTES or index + 1 - start >= CHUNK_FILES:
            chunks.append(jobs[start : index + 1])
            start, size = index + 1, 0
    if start < len(jobs):
        chunks.append(jobs[start:])
    return chunks


def run_jobs(
    root: Path,
    jobs: Sequence[Job],
    prefilter: bool,
    workers: int | None = None,
    frameworks: Sequence[str] | None = None,
) -> Iterator[Outcome]:
    """Outcomes of `jobs`, in order; in a process pool when the bytes to scan pay for it."""
    count = default_workers() if workers is None else max(1, workers)
    total = sum(job.size for job in jobs)
    if count == 1 or total < POOL_MIN_BYTES or not _can_fork():
        for job in jobs:
            yield load_and_scan(root, job, prefilter, frameworks)
        return
    chunks = _chunks(jobs)
    if len(chunks) < 2:
        for job in jobs:
            yield load_and_scan(root, job, prefilter, frameworks)
        return
    context = multiprocessing.get_context("fork")
    import acme_scan.scanner  # noqa: F401  (loaded once here, inherited by the workers)

    with ProcessPoolExecutor(max_workers=min(count, len(chunks)), mp_context=context) as pool:
        roots = [root] * len(chunks)
        prefilters = [prefilter] * len(chunks)
        selected = [frameworks] * len(chunks)
        for outcomes in pool.map(_scan_chunk, roots, chunks, prefilters, selected):
            yield from outcomes
