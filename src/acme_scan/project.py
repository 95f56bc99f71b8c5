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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acme_scan._version import __version__
from acme_scan.discovery import discover, filter_candidates, is_excluded_dir
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
    indexer = Indexer(root, index_path=index_path, settings=settings, workers=workers)
    return indexer.scan(write=write, reuse=reuse, progress=progress)


@dataclass
class Update:
    """What `Indexer.update` changed: flow ids added, removed and changed, and the write."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    written: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.written)


class Indexer:
    """The index of one project, kept in memory between updates (for watchers).

    `scan()` reconciles with the whole tree (what `scan_project` does); `update(paths)`
    re-checks only the given paths, which is what a file-system event asks for.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        index_path: Path | None = None,
        settings: Settings | None = None,
        workers: int | None = None,
    ) -> None:
        root_path = Path(root).absolute()
        if not root_path.is_dir():
            raise RootError(root_path, "not a directory: give the root folder of a project")
        self.root = root_path.resolve()
        self.settings = settings if settings is not None else load_settings(self.root)
        self.index_path = index_path if index_path is not None else self.root / self.settings.index
        self.workers = workers
        self.records: dict[str, Json] = {}
        self.file_flows: dict[str, list[Json]] = {}
        self.data: Json | None = None

    def scan(
        self, *, write: bool = True, reuse: bool = True, progress: Progress | None = None
    ) -> ProjectScan:
        started = time.perf_counter()
        stats = ScanStats()
        previous: Json | None
        if self.data is not None and reuse:
            previous, index_mtime = self.data, time.time_ns()
        elif reuse:
            previous, index_mtime = _previous_index(
                self.index_path, self.root, self.settings, stats
            )
        else:
            previous, index_mtime = None, 0
        old_files: dict[str, Json] = previous["files"] if previous is not None else {}
        old_flows: dict[str, list[Json]] = {}
        if previous is not None:
            for flow in previous["flows"]:
                old_flows.setdefault(flow["path"], []).append(flow)

        rels = discover(self.root, self.settings)
        stats.files = len(rels)
        records: dict[str, Json] = {}
        file_flows: dict[str, list[Json]] = {}
        jobs: list[Job] = []
        for rel in rels:
            old = old_files.get(rel)
            try:
                stat = os.stat(os.path.join(self.root, rel))
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
        for outcome in run_jobs(self.root, jobs, self.settings.prefilter, self.workers):
            rel = outcome.rel
            done += 1
            if outcome.record is None:  # same bytes as before: keep the old record
                stats.reused += 1
                update = {"size": outcome.size, "mtime_ns": outcome.mtime_ns}
                records[rel] = {**old_files[rel], **update}
                changed = changed or records[rel] != old_files[rel]
                file_flows[rel] = old_flows.get(rel, [])
            else:
                changed = True
                records[rel] = outcome.record
                file_flows[rel] = list(outcome.flows)
            if progress is not None:
                progress(done, len(rels))
        for record in records.values():
            _count(record["status"], stats)

        if previous is not None and not changed and list(old_files) == rels:
            data = previous  # nothing at all changed: the index is exactly as it was
        else:
            data = build_index(self.root, self.settings, records, file_flows, rels)
        written = False
        if write and (data is not previous or stats.index_problem is not None):
            written = write_raw(dump_raw(data), self.index_path)
        self.records, self.file_flows, self.data = records, file_flows, data
        stats.seconds = time.perf_counter() - started
        return ProjectScan(
            data=data,
            index_path=self.index_path if write else None,
            written=written,
            stats=stats,
        )

    def update(self, paths: Iterable[str], *, write: bool = True) -> Update:
        """Re-check only `paths` (POSIX, relative to the root; files or folders, existing or
        not) and bring the index up to date with them.

        A folder stands for everything the index holds below it and every file now in it.
        """
        if self.data is None:
            self.scan(write=write)
        candidates: set[str] = set()
        for path in paths:
            rel = path.strip("/")
            full = os.path.join(self.root, rel)
            prefix = f"{rel}/" if rel else ""
            if os.path.isdir(full) and not os.path.islink(full):
                candidates.update(r for r in self.records if r.startswith(prefix))
                candidates.update(_files_below(self.root, rel))
            else:
                candidates.add(rel)
                candidates.update(r for r in self.records if r.startswith(prefix))
        included = filter_candidates(self.root, candidates, self.settings)
        result = Update()
        jobs: list[Job] = []
        for rel in sorted(candidates):
            old = self.records.get(rel)
            if rel not in included or not os.path.isfile(os.path.join(self.root, rel)):
                if old is not None:
                    result.removed.extend(old["flows"])
                    del self.records[rel]
                    self.file_flows.pop(rel, None)
                continue
            jobs.append(Job(rel, old["hash"] if old is not None else None))
        for outcome in run_jobs(self.root, jobs, self.settings.prefilter, self.workers):
            rel = outcome.rel
            old = self.records.get(rel)
            if outcome.record is None:
                assert old is not None
                self.records[rel] = {**old, "size": outcome.size, "mtime_ns": outcome.mtime_ns}
                continue
            before = {flow["id"]: flow for flow in self.file_flows.get(rel, [])}
            after = {flow["id"]: flow for flow in outcome.flows}
            result.added.extend(i for i in after if i not in before)
            result.removed.extend(i for i in before if i not in after)
            result.changed.extend(i for i in after if i in before and after[i] != before[i])
            self.records[rel] = outcome.record
            self.file_flows[rel] = list(outcome.flows)
        rels = sorted(self.records)
        data = build_index(self.root, self.settings, self.records, self.file_flows, rels)
        if data != self.data:
            self.data = data
            if write:
                result.written = write_raw(dump_raw(data), self.index_path)
        return result


def _files_below(root: Path, rel_dir: str) -> list[str]:
    found: list[str] = []
    base = os.path.join(root, rel_dir)
    for directory, dirs, files in os.walk(base):
        rel = os.path.relpath(directory, root).replace(os.sep, "/")
        rel = "" if rel == "." else rel
        dirs[:] = [d for d in dirs if not is_excluded_dir(f"{rel}/{d}" if rel else d)]
        found.extend(f"{rel}/{name}" if rel else name for name in files if name.endswith(".py"))
    return found


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
