"""Scan a whole project: discover files, load them, scan them, and keep the index file.

This is the loader boundary: OS errors become diagnostics (per file) or `AcmeScanError`s
(for the root, the settings and the index); the pure core never sees a path on disk.
With an existing index, files whose size and mtime are unchanged are reused without being
read, and files whose bytes hash the same are reused without being parsed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from acme_scan import codes
from acme_scan._version import __version__
from acme_scan.discovery import discover
from acme_scan.errors import IndexFileError, RootError
from acme_scan.models import Diagnostic, FileRecord, Flow, Index, ModuleScan
from acme_scan.scanner import scan_source
from acme_scan.settings import Settings, load_settings
from acme_scan.store import load_index, write_index

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


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
    """The index of a project and how it was obtained."""

    index: Index
    index_path: Path | None
    written: bool
    stats: ScanStats = field(default_factory=ScanStats)


def default_index_path(root: Path, settings: Settings | None = None) -> Path:
    """Where the index of `root` lives unless told otherwise (`.acme_scan/index.json`)."""
    settings = settings if settings is not None else load_settings(root)
    return root / settings.index


def file_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def scan_project(
    root: str | os.PathLike[str],
    *,
    index_path: Path | None = None,
    settings: Settings | None = None,
    write: bool = True,
    reuse: bool = True,
    progress: Progress | None = None,
) -> ProjectScan:
    """Bring the index of `root` up to date and return it.

    `index_path` defaults to the settings' index location; with `write=False` nothing is
    written (the previous index is still reused when present); `reuse=False` forces a cold
    scan.
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

    rels = discover(root_path, settings)
    stats.files = len(rels)
    old_flows: dict[str, list[Flow]] = {}
    if previous is not None:
        for flow in previous.flows:
            old_flows.setdefault(flow.path, []).append(flow)

    records: dict[str, FileRecord] = {}
    flows: list[Flow] = []
    for number, rel in enumerate(rels, 1):
        record, file_flows = _scan_file(
            root_path, rel, settings, previous, old_flows, index_mtime, stats
        )
        records[rel] = record
        flows.extend(file_flows)
        if progress is not None:
            progress(number, len(rels))
    index = build_index(root_path, settings, records, flows)
    written = False
    if write:
        written = write_index(index, path)
    stats.seconds = time.perf_counter() - started
    return ProjectScan(
        index=index, index_path=path if write else None, written=written, stats=stats
    )


def build_index(
    root: Path, settings: Settings, records: dict[str, FileRecord], flows: Iterable[Flow]
) -> Index:
    diagnostics = [d for record in records.values() for d in record.diagnostics]
    diagnostics.sort(key=lambda d: (d.path, d.line, d.column, d.code, d.message))
    return Index(
        root=root.as_posix(),
        settings_hash=settings.digest(),
        flows=sorted(flows, key=lambda f: (f.path, f.line, f.id)),
        diagnostics=diagnostics,
        files=dict(sorted(records.items())),
    )


def _previous_index(
    path: Path, root: Path, settings: Settings, stats: ScanStats
) -> tuple[Index | None, int]:
    try:
        index_mtime = path.stat().st_mtime_ns
    except OSError:
        return None, 0
    try:
        index = load_index(path)
    except IndexFileError as exc:
        stats.index_problem = str(exc)
        logger.warning("%s", exc)
        return None, 0
    if index.scanner_version != __version__ or index.settings_hash != settings.digest():
        logger.info("index written by another scanner version or settings; re-validating all")
        return None, 0
    if index.root != root.as_posix():
        logger.info("index belongs to another root (%s); rebuilding", index.root)
        return None, 0
    return index, index_mtime


def _scan_file(
    root: Path,
    rel: str,
    settings: Settings,
    previous: Index | None,
    old_flows: dict[str, list[Flow]],
    index_mtime: int,
    stats: ScanStats,
) -> tuple[FileRecord, list[Flow]]:
    full = root / rel
    old = previous.files.get(rel) if previous is not None else None
    try:
        stat = full.stat()
    except OSError as exc:
        return _unreadable(rel, exc, stats), []
    # Unchanged size and mtime: trust the record, unless the file may have changed within
    # the same clock tick as the index was written ("racy" files are re-hashed).
    if (
        old is not None
        and old.size == stat.st_size
        and old.mtime_ns == stat.st_mtime_ns
        and stat.st_mtime_ns < index_mtime
    ):
        stats.reused += 1
        _count(old.status, stats)
        return old, old_flows.get(rel, [])
    try:
        data = full.read_bytes()
    except OSError as exc:
        return _unreadable(rel, exc, stats), []
    digest = file_digest(data)
    if old is not None and old.hash == digest:
        stats.reused += 1
        _count(old.status, stats)
        record = old.model_copy(update={"size": len(data), "mtime_ns": stat.st_mtime_ns})
        return record, old_flows.get(rel, [])
    try:
        result = scan_source(data, rel, prefilter=settings.prefilter)
    except Exception as exc:  # a bug in the scanner must not cost the rest of the project
        logger.exception("internal error while scanning %s", rel)
        result = ModuleScan(
            path=rel,
            status="failed",
            diagnostics=(
                Diagnostic(
                    path=rel,
                    line=0,
                    column=0,
                    code=codes.INTERNAL.code,
                    severity=codes.INTERNAL.severity,
                    message=f"acme-scan failed on this file ({type(exc).__name__}: {exc}); "
                    "please report it",
                ),
            ),
        )
    _count(result.status, stats)
    return _record(result, len(data), stat.st_mtime_ns, digest), list(result.flows)


def _record(result: ModuleScan, size: int, mtime_ns: int, digest: str) -> FileRecord:
    return FileRecord(
        size=size,
        mtime_ns=mtime_ns,
        hash=digest,
        status=result.status,
        flows=[flow.id for flow in result.flows],
        diagnostics=list(result.diagnostics),
    )


def _count(status: str, stats: ScanStats) -> None:
    if status == "parsed":
        stats.parsed += 1
    elif status == "skipped":
        stats.skipped += 1
    else:
        stats.failed += 1


def _unreadable(rel: str, exc: OSError, stats: ScanStats) -> FileRecord:
    stats.failed += 1
    reason = exc.strerror or str(exc)
    diagnostic = Diagnostic(
        path=rel,
        line=0,
        column=0,
        code=codes.UNREADABLE.code,
        severity=codes.UNREADABLE.severity,
        message=f"cannot read the file: {reason}; check its permissions",
    )
    return FileRecord(
        size=0, mtime_ns=0, hash="", status="failed", flows=[], diagnostics=[diagnostic]
    )
