"""Scan a whole project: discover files, load them, scan them, and keep the index file.

This is the loader boundary: OS errors become diagnostics (per file) or `AcmeScanError`s
(for the root, the settings and the index); the pure core never sees a path on disk.

With an existing index, files whose size and mtime are unchanged are reused without being
read, and files whose bytes hash the same are reused without being parsed. The warm path
works on the index's JSON data directly: it neither validates the models nor imports the
parser unless a file must be parsed, and when nothing changed it writes nothing.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acme_scan._version import __version__
from acme_scan.discovery import discover
from acme_scan.errors import IndexFileError, RootError
from acme_scan.settings import Settings, load_settings
from acme_scan.store import SCHEMA_VERSION, dump_raw, load_raw, write_raw
from acme_scan.workers import Job, run_jobs, unreadable

if TYPE_CHECKING:
    from acme_scan.models import Index

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Json = dict[str, Any]


@dataclass
class ScanStats:
    """What a project scan did (for the human summary and benchmarks)."""

    files: int = 0
    parsed: int = 0
    skipped: int = 0
    failed: int = 0
    reused: int = 0
    seconds: float = 0.0
    index_problem: str | None = None


@dataclass
class ProjectScan:
    """The index of a project and how it was obtained.

    `data` is the index as JSON data (exactly what the file holds); `index` validates it
    into the `Index` model on first access.
    """

    data: Json
    index_path: Path | None
    written: bool
    stats: ScanStats = field(default_factory=ScanStats)

    @cached_property
    def index(self) -> Index:
        from acme_scan.models import Index

        return Index.model_validate(self.data)

    def to_bytes(self) -> bytes:
        """The index file's bytes."""
        return dump_raw(self.data)


def default_index_path(root: Path, settings: Settings | None = None) -> Path:
    """Where the index of `root` lives unless told otherwise (`.acme_scan/index.json`)."""
    settings = settings if settings is not None else load_settings(root)
    return root / settings.index


def scan_project(
    root: str | os.PathLike[str],
    *,
    index_path: Path | None = None,
    settings: Settings | None = None,
    write: bool = True,
    reuse: bool = True,
    progress: Progress | None = None,
    workers: int | None = None,
) -> ProjectScan:
    """Bring the index of `root` up to date and return it.

    `index_path` defaults to the settings' index location; with `write=False` nothing is
    written (the previous index is still reused when present); `reuse=False` forces a cold
    scan. `workers` caps the processes parsing in parallel (default: the usable cores; a
    pool is only started when there is enough work to pay for it).
    """
    started = time.perf_counter()
    root_path = Path(root).absolute()
    if not root_path.is_dir():
        raise RootError(root_path, "not a directory: give the root folder of a project")
    root_path = root_path.resolve()
    settings = settings if settings is not None else load_settings(root_path)
    path = index_path if index_path is not None else root_path / settings.index
    stats = ScanStats()
    previous, index_mtime = (
        _previous_index(path, root_path, settings, stats) if reuse else (None, 0)
    )
    old_files: dict[str, Json] = previous["files"] if previous is not None else {}
    old_flows: dict[str, list[Json]] = {}
    if previous is not None:
        for flow in previous["flows"]:
            old_flows.setdefault(flow["path"], []).append(flow)

    rels = discover(root_path, settings)
    stats.files = len(rels)
    records: dict[str, Json] = {}
    file_flows: dict[str, list[Json]] = {}
    jobs: list[Job] = []
    for rel in rels:
        old = old_files.get(rel)
        try:
            stat = os.stat(os.path.join(root_path, rel))
        except OSError as exc:
            records[rel] = unreadable(rel, exc)
            continue
        # Unchanged size and mtime: trust the record, unless the file may have changed
        # within the same clock tick as the index was written ("racy": re-hashed).
        if (
            old is not None
            and old["size"] == stat.st_size
            and old["mtime_ns"] == stat.st_mtime_ns
            and stat.st_mtime_ns < index_mtime
        ):
            stats.reused += 1
            records[rel] = old
            file_flows[rel] = old_flows.get(rel, [])
        else:
            jobs.append(Job(rel, old["hash"] if old is not None else None))
    done = len(rels) - len(jobs)
    changed = False
    for outcome in run_jobs(root_path, jobs, settings.prefilter, workers):
        rel = outcome.rel
        done += 1
        if outcome.record is None:  # same bytes as before: keep the old record
            stats.reused += 1
            records[rel] = {**old_files[rel], "size": outcome.size, "mtime_ns": outcome.mtime_ns}
            file_flows[rel] = old_flows.get(rel, [])
        else:
            changed = True
            records[rel] = outcome.record
            file_flows[rel] = list(outcome.flows)
        if progress is not None:
            progress(done, len(rels))
    for record in records.values():
        _count(record["status"], stats)

    if previous is not None and not changed and list(old_files) == rels and not jobs:
        data = previous  # nothing at all changed: the index is exactly as it was
    else:
        data = build_index(root_path, settings, records, file_flows, rels)
    written = False
    if write and (data is not previous or stats.index_problem is not None):
        written = write_raw(dump_raw(data), path)
    stats.seconds = time.perf_counter() - started
    return ProjectScan(data=data, index_path=path if write else None, written=written, stats=stats)


def build_index(
    root: Path,
    settings: Settings,
    records: dict[str, Json],
    file_flows: dict[str, list[Json]],
    rels: list[str],
) -> Json:
    """The index as JSON data, in its canonical order."""
    flows = [flow for rel in rels for flow in file_flows.get(rel, [])]
    flows.sort(key=lambda f: (f["path"], f["line"], f["id"]))
    diagnostics = [d for rel in sorted(records) for d in records[rel]["diagnostics"]]
    diagnostics.sort(key=lambda d: (d["path"], d["line"], d["column"], d["code"], d["message"]))
    return {
        "schema_version": SCHEMA_VERSION,
        "scanner_version": __version__,
        "settings_hash": settings.digest(),
        "root": root.as_posix(),
        "flows": flows,
        "diagnostics": diagnostics,
        "files": dict(sorted(records.items())),
    }


def _previous_index(
    path: Path, root: Path, settings: Settings, stats: ScanStats
) -> tuple[Json | None, int]:
    try:
        index_mtime = path.stat().st_mtime_ns
    except OSError:
        return None, 0
    try:
        data = load_raw(path)
    except IndexFileError as exc:
        stats.index_problem = str(exc)
        logger.warning("%s", exc)
        return None, 0
    if data["scanner_version"] != __version__ or data["settings_hash"] != settings.digest():
        logger.info("index written by another scanner version or settings; re-validating all")
        return None, 0
    if data["root"] != root.as_posix():
        logger.info("index belongs to another root (%s); rebuilding", data["root"])
        return None, 0
    return data, index_mtime


def _count(status: str, stats: ScanStats) -> None:
    if status == "parsed":
        stats.parsed += 1
    elif status == "skipped":
        stats.skipped += 1
    else:
        stats.failed += 1
