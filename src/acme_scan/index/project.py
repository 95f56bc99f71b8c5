"""Scan a whole project: discover files, load them, scan them, and keep the index file.

This is the loader boundary: OS errors become diagnostics (per file) or `AcmeScanError`s
(for the root, the settings and the index); the pure core never sees a path on disk.

With an existing index, files whose size and mtime are unchanged are reused without being
read, and files whose bytes hash the same are reused without being parsed. The warm path
works on the index's JSON data directly: it neither validates the models nor imports the
parser unless a file must be parsed, and when nothing changed it writes nothing.

When some files changed, the index is not even parsed: the state file says where each
path's records lie in the index bytes (`store.assemble`), so the changed files' records are
put in place of theirs and every other path's bytes are copied (`store.splice`). The result
is byte for byte what a cold scan writes (tests/index/test_incremental.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any

from acme_scan import _exit, _log
from acme_scan._lazy import LazyModule
from acme_scan._records import EqRecord, FrozenRecord, _set
from acme_scan._version import SCHEMA_VERSION, __version__
from acme_scan.errors import IndexFileError, RootError
from acme_scan.index.discovery import discover, filter_candidates, walk
from acme_scan.index.reuse import newer_than, regular_files, to_rescan, trusted
from acme_scan.index.state import StateFile, file_stats
from acme_scan.index.store import (
    BackgroundDigest,
    Segments,
    assemble,
    assemble_pieces,
    digest,
    dump_raw,
    is_large,
    load_raw_digest,
    load_vouched,
    old_segments,
    path_segments,
    read_index_bytes,
    record_of,
    section_parts,
    segment_lengths,
    splice,
    write_raw,
)
from acme_scan.index.workers import (
    Job,
    Outcome,
    bad_name,
    index_key,
    may_pool,
    pool_pays,
    run_jobs,
    stats_under,
    unlistable,
    unreadable,
)
from acme_scan.settings import Settings, load_settings

if TYPE_CHECKING:
    import orjson

    from acme_scan.models import Index
else:
    orjson = LazyModule("orjson")  # not imported by a scan that writes nothing

logger = _log.get(__name__)

Progress = Callable[[int, int], None]
Json = dict[str, Any]


class ScanStats(EqRecord):
    """What a project scan did (for the human summary and benchmarks)."""

    __slots__ = ("failed", "files", "index_problem", "parsed", "reused", "seconds", "skipped")
    files: int
    parsed: int
    skipped: int
    failed: int
    reused: int
    seconds: float
    index_problem: str | None

    def __init__(
        self,
        files: int = 0,
        parsed: int = 0,
        skipped: int = 0,
        failed: int = 0,
        reused: int = 0,
        seconds: float = 0.0,
        index_problem: str | None = None,
    ) -> None:
        self.files = files
        self.parsed = parsed
        self.skipped = skipped
        self.failed = failed
        self.reused = reused
        self.seconds = seconds
        self.index_problem = index_problem


class Summary(FrozenRecord):
    """What a person is told about an index, without reading its flows."""

    __slots__ = ("diagnostics", "files_with_flows", "flows")
    flows: int
    files_with_flows: int
    diagnostics: list[Json]

    def __init__(self, flows: int, files_with_flows: int, diagnostics: list[Json]) -> None:
        _set(self, "flows", flows)
        _set(self, "files_with_flows", files_with_flows)
        _set(self, "diagnostics", diagnostics)


def summarize(data: Json) -> Summary:
    return Summary(
        flows=len(data["flows"]),
        files_with_flows=len({flow["path"] for flow in data["flows"]}),
        diagnostics=data["diagnostics"],
    )


class ProjectScan:
    """The index of a project and how it was obtained.

    `data` is the index as JSON data (exactly what the file holds), read from the index file
    on first access when the scan found nothing changed; `index` validates it into the
    `Index` model on first access; `summary` needs neither.
    """

    def __init__(
        self,
        data: Json | Callable[[], Json],
        index_path: Path | None,
        written: bool,
        stats: ScanStats | None = None,
        summary: Summary | None = None,
        root: Path | None = None,
        raw: bytes | None = None,
    ) -> None:
        #: The project root (resolved) the index's paths are relative to.
        self.root = root
        self._raw = raw
        self._data = data
        self.index_path = index_path
        self.written = written
        self.stats = stats if stats is not None else ScanStats()
        self._summary = summary

    @property
    def data(self) -> Json:
        if callable(self._data):
            self._data = self._data()
        return self._data

    @property
    def summary(self) -> Summary:
        if self._summary is None:
            self._summary = summarize(self.data)
        return self._summary

    @cached_property
    def index(self) -> Index:
        from acme_scan.models import Index

        return Index.model_validate(self.data)

    def to_bytes(self) -> bytes:
        """The index file's bytes."""
        return self._raw if self._raw is not None else dump_raw(self.data)


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


class Update(EqRecord):
    """What `Indexer.update` changed: flow ids added, removed and changed, and the write."""

    __slots__ = ("added", "changed", "removed", "written")
    added: list[str]
    removed: list[str]
    changed: list[str]
    written: bool

    def __init__(
        self,
        added: list[str] | None = None,
        removed: list[str] | None = None,
        changed: list[str] | None = None,
        written: bool = False,
    ) -> None:
        self.added = [] if added is None else added
        self.removed = [] if removed is None else removed
        self.changed = [] if changed is None else changed
        self.written = written

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
        #: The root the index, its state and lock are confined to: set when their path comes
        #: from the repository's settings, None when the caller chose it (`-o FILE`).
        self.confined_to: Path | None = self.root if index_path is None else None
        self.workers = workers
        self._records: dict[str, Json] = {}
        self._file_flows: dict[str, list[Json]] = {}
        self._data: Json | None = None
        #: (size, mtime_ns) of each indexed file when it was read: what lets a later scan
        #: trust a record without reading its file (kept here and in the state file, never
        #: in the index, so the index is a function of the tree alone).
        self._stats: dict[str, tuple[int, int]] = {}
        #: The state file's entries `_stats` is taken from when it is first needed (a loaded
        #: index's data is often only read: listing flows, `check`).
        self._stats_source: dict[str, list[Any]] | None = None
        self._lazy = False  # the last scan found nothing changed and read no index
        self._lazy_write = False
        #: The index file and the state file vouching for it hold this index as it is (the
        #: last scan changed nothing, or wrote both): see `on_disk`.
        self._on_disk = False
        #: The state file's entries of the index on disk (their stats are taken when it is
        #: loaded).
        self._lazy_files: dict[str, list[Any]] = {}
        self._lazy_digest: object = None
        #: The digest of `dump_raw(self._data)` when known (what the state file vouches for).
        self._digest: str | None = None
        #: Where the index bytes last written put each path's records (`store.assemble`):
        #: the sections' starts, and each path's segment lengths. Kept in the state file, so
        #: the next scan can replace one file's records without loading the index.
        self._layout: tuple[dict[str, int], Mapping[str, list[int]]] | None = None
        #: The index bytes a scan built, until its data is asked for (then parsed).
        self._raw: bytes | None = None

    def with_settings(self, settings: Settings) -> Indexer:
        """A new, empty Indexer of the same root, index file (and its confinement), workers."""
        indexer = Indexer(
            self.root, index_path=self.index_path, settings=settings, workers=self.workers
        )
        indexer.confined_to = self.confined_to
        return indexer

    @property
    def state(self) -> StateFile:
        """The state file of the index (see `state`)."""
        return StateFile(self.root, self.index_path, self.confined_to, self.settings)

    @property
    def state_path(self) -> Path:
        return self.state.path

    def _ensure_loaded(self) -> None:
        if self._raw is not None:  # the bytes just built: parsed only when asked for
            raw, self._raw = self._raw, None
            self._set_data(orjson.loads(raw))
            return
        if not self._lazy:
            return
        self._lazy = False
        try:
            data, self._digest = load_vouched(self.index_path, self.confined_to, self._lazy_digest)
        except IndexFileError as exc:  # damaged since the state was written: rebuild
            logger.warning("%s", exc)
            self.scan(reuse=False, write=self._lazy_write)
            self._ensure_loaded()  # the rebuilt index's bytes
            return
        self._set_data(data)
        self._stats_source = self._lazy_files

    def _set_data(self, data: Json) -> None:
        self._data = data
        self._records = dict(data["files"])
        self._file_flows = {}
        for flow in data["flows"]:
            self._file_flows.setdefault(flow["path"], []).append(flow)

    @property
    def data(self) -> Json | None:
        self._ensure_loaded()
        return self._data

    @property
    def _known_stats(self) -> dict[str, tuple[int, int]]:
        """(size, mtime_ns) of each indexed file when it was read (see `_stats`)."""
        if self._stats_source is not None:
            self._stats, self._stats_source = file_stats(self._stats_source), None
        return self._stats

    @property
    def on_disk(self) -> bool:
        """Whether the index file holds exactly this index, and its state file vouches for it
        (the last scan found nothing changed, or wrote both; the bytes are checked against
        the state's digest when the index is loaded): then there is nothing to write."""
        self._ensure_loaded()
        return self._on_disk

    @property
    def records(self) -> dict[str, Json]:
        self._ensure_loaded()
        return self._records

    @property
    def file_flows(self) -> dict[str, list[Json]]:
        self._ensure_loaded()
        return self._file_flows

    def scan(
        self, *, write: bool = True, reuse: bool = True, progress: Progress | None = None
    ) -> ProjectScan:
        started = time.perf_counter()
        self._on_disk = False
        stats = ScanStats()
        problems: list[tuple[str, str]] = []
        discovered = discover(self.root, self.settings, problems)  # once: both paths use it
        if reuse and self._data is None and not self._lazy and not problems:
            from_state = self._from_state(discovered, stats, write, progress)
            if from_state is not None:
                from_state.stats.seconds = time.perf_counter() - started
                return from_state
            stats = ScanStats()
        previous: Json | None
        old_stats: dict[str, tuple[int, int]] = {}
        previous_digest = self._digest
        if self.data is not None and reuse:
            previous, index_mtime, old_stats = self.data, time.time_ns(), self._known_stats
        elif reuse:
            previous, index_mtime, old_stats = self._previous_index(stats)
            previous_digest = self._digest
        else:
            previous, index_mtime = None, 0
        old_files: dict[str, Json] = previous["files"] if previous is not None else {}
        old_flows: dict[str, list[Json]] = {}
        if previous is not None:
            for flow in previous["flows"]:
                old_flows.setdefault(flow["path"], []).append(flow)

        rels: list[str] = []
        records: dict[str, Json] = {}
        file_stats: dict[str, tuple[int, int]] = {}
        file_flows: dict[str, list[Json]] = {}
        jobs: list[Job] = []
        fresh: dict[str, Outcome] = {}
        changed = False
        for folder, why in problems:
            key = index_key(folder or ".") + "/"
            rels.append(key)
            records[key] = unlistable(key, why)
            changed = changed or records[key] != old_files.get(key)
        # With no earlier record to reuse, a file's stat only tells its size, which says
        # whether a pool pays (`pool_pays`) and how to cut its chunks. Once the files stat-ed
        # here hold enough bytes for a pool, the rest are stat-ed by the workers, in
        # parallel (`Job.unchecked`), at the average size so far: 10,000 stats here took
        # 40-70 ms of a cold scan, with a core idle.
        sized = size_total = 0
        unchecked = not old_files
        with stats_under(self.root) as stat_of:
            for rel in discovered:
                if index_key(rel) != rel:  # not valid UTF-8: a diagnostic, never read
                    key = index_key(rel)
                    rels.append(key)
                    records[key] = bad_name(key)
                    changed = changed or records[key] != old_files.get(key)
                    continue
                if unchecked and sized and pool_pays(size_total):
                    rels.append(rel)
                    jobs.append(Job(rel, None, size_total // sized, True))
                    continue
                old = old_files.get(rel)
                try:
                    stat = stat_of(rel)
                except (FileNotFoundError, NotADirectoryError):
                    continue  # listed, then gone (or a tracked file deleted from the work tree)
                except OSError as exc:
                    rels.append(rel)
                    records[rel] = unreadable(rel, exc)
                    changed = changed or records[rel] != old
                    continue
                if not S_ISREG(stat.st_mode):
                    continue
                rels.append(rel)
                known = old_stats.get(rel)  # the reuse rule: `reuse.trusted` (racy files re-hashed)
                if (
                    old is not None
                    and old["size"] == stat.st_size
                    and known is not None
                    and trusted(known, (stat.st_size, stat.st_mtime_ns), index_mtime)
                ):
                    stats.reused += 1
                    records[rel] = old
                    file_stats[rel] = old_stats[rel]
                    file_flows[rel] = old_flows.get(rel, [])
                else:
                    jobs.append(Job(rel, old["hash"] if old is not None else None, stat.st_size))
                    sized += 1
                    size_total += stat.st_size
        stats.files = len(rels)
        done = len(rels) - len(jobs)
        gone: set[str] = set()
        # The workers send each file's record and its bytes in the index, not its flows as
        # objects: the index is assembled from bytes, and parsed only if its data is asked for.
        for outcome in run_jobs(
            self.root,
            jobs,
            self.settings.prefilter,
            self.workers,
            self.settings.frameworks,
            flows=False,
        ):
            rel = outcome.rel
            done += 1
            if outcome.gone:  # an unchecked file, missing or not a regular file after all
                gone.add(rel)
                continue
            file_stats[rel] = (outcome.size, outcome.mtime_ns)
            if outcome.record is None:  # same bytes as before: keep the old record
                stats.reused += 1
                records[rel] = old_files[rel]
                file_flows[rel] = old_flows.get(rel, [])
            else:
                changed = changed or outcome.record != old_files.get(rel)
                records[rel] = outcome.record
                fresh[rel] = outcome
            if progress is not None:
                progress(done, len(rels))
        if gone:
            rels = [rel for rel in rels if rel not in gone]
            stats.files = len(rels)
        _count_all([record["status"] for record in records.values()], stats)

        written = False
        raw: bytes | None = None
        self._stats, self._stats_source = file_stats, None
        if previous is not None and not changed and list(old_files) == rels:
            # nothing at all changed: the index is exactly as it was
            self._set_data(previous)
            self._digest = previous_digest
            if write and stats.index_problem is not None:
                rewritten = self._dump(records, file_flows, fresh)
                self._digest = digest(rewritten)
                written = write_raw(rewritten, self.index_path, self.confined_to, durable=False)
            elif write:
                self._dump(records, file_flows, fresh)  # the state file needs the layout
            data: Json | Callable[[], Json] = previous
        else:
            raw = self._dump(records, file_flows, fresh)
            # A large index is hashed on another core while the file is compared or written
            # (a 15 MB one: 12 ms of hashing beside 12 ms of reading the old file).
            background = write and is_large(raw)
            with BackgroundDigest(raw, background=background) as hashed:
                if write:
                    written = write_raw(raw, self.index_path, self.confined_to, durable=False)
            self._digest = hashed.result()
            self._data, self._records, self._file_flows = None, {}, {}
            self._raw = raw
            data = self._load
        summary = _summary_of(records)
        if write:
            self._write_records_state(records, summary)
        stats.seconds = time.perf_counter() - started
        _exit.leave(records, fresh, jobs)  # 10,000s of objects, for the command line's exit
        return ProjectScan(
            data=data,
            index_path=self.index_path if write else None,
            written=written,
            stats=stats,
            summary=summary,
            root=self.root,
            raw=raw,
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
                candidates.update(walk(self.root, rel, gitignore=False))
            else:
                candidates.add(rel)
                candidates.update(r for r in self.records if r.startswith(prefix))
        included = filter_candidates(self.root, candidates, self.settings)
        result = Update()
        jobs: list[Job] = []
        fresh: dict[str, Outcome] = {}
        for rel in sorted(candidates):
            if index_key(rel) != rel:
                key = index_key(rel)
                present = rel in included and os.path.isfile(os.path.join(self.root, rel))
                if present and key not in self.records:
                    self.records[key] = bad_name(key)
                    self.file_flows[key] = []
                elif not present:
                    self.records.pop(key, None)
                    self.file_flows.pop(key, None)
                continue
            old = self.records.get(rel)
            try:
                size = os.stat(os.path.join(self.root, rel)).st_size
                regular = rel in included and os.path.isfile(os.path.join(self.root, rel))
            except OSError:
                regular = False
            if not regular:
                if old is not None:
                    result.removed.extend(old["flows"])
                    del self.records[rel]
                    self.file_flows.pop(rel, None)
                    self._known_stats.pop(rel, None)
                continue
            jobs.append(Job(rel, old["hash"] if old is not None else None, size))
        for outcome in run_jobs(
            self.root, jobs, self.settings.prefilter, self.workers, self.settings.frameworks
        ):
            rel = outcome.rel
            old = self.records.get(rel)
            self._known_stats[rel] = (outcome.size, outcome.mtime_ns)
            if outcome.record is None:
                assert old is not None
                continue
            before = {flow["id"]: flow for flow in self.file_flows.get(rel, [])}
            after = {flow["id"]: flow for flow in outcome.flows}
            result.added.extend(i for i in after if i not in before)
            result.removed.extend(i for i in before if i not in after)
            result.changed.extend(i for i in after if i in before and after[i] != before[i])
            self.records[rel] = outcome.record
            self.file_flows[rel] = list(outcome.flows)
            fresh[rel] = outcome
        rels = sorted(self.records)
        data = build_index(self.settings, self.records, self.file_flows, rels)
        if data != self.data:
            self._data = data
            self._on_disk = False
            self._digest = None
            self._layout = None
            if write:
                raw = self._dump(self.records, self.file_flows, fresh)
                self._digest = digest(raw)
                result.written = write_raw(raw, self.index_path, self.confined_to, durable=False)
        if write and jobs:
            if self._layout is None:
                self._dump(self.records, self.file_flows, fresh)
            self.write_state()  # the files' new mtimes, even when the index is unchanged
        return result

    def _dump(
        self,
        records: dict[str, Json],
        file_flows: dict[str, list[Json]],
        fresh: dict[str, Outcome],
    ) -> bytes:
        """The index bytes of `records` and their flows (exactly `dump_raw(build_index(...))`),
        assembled path by path from the segments the workers made (`fresh`) or made here
        from `file_flows`, and their layout remembered for the state file."""
        order = sorted(records)
        segments: list[Segments] = []
        append = segments.append  # a loop over every path of a cold scan: kept lean
        for rel in order:
            outcome = fresh.get(rel)
            if outcome is not None and outcome.record is records[rel] and outcome.segments:
                append(outcome.segments)
                continue
            segment = path_segments(rel, records[rel], file_flows.get(rel, []))
            if segment is None:  # a record whose findings name other paths: no layout
                self._layout = None
                every = {**file_flows, **{rel: list(o.flows) for rel, o in fresh.items()}}
                return dump_raw(build_index(self.settings, records, every, order))
            append(segment)
        raw, starts = assemble(_top(self.settings), section_parts(segments))
        self._layout = starts, dict(zip(order, segment_lengths(segments), strict=True))
        return raw

    def write_state(self) -> None:
        """Record what a later scan needs to trust the index just written: which bytes it
        holds (their digest), and the size and mtime of every file it was built from (so
        an unchanged project is told from stats alone)."""
        assert self._data is not None
        records = self._data["files"]
        self._write_records_state(records, _summary_of(records))

    def _write_records_state(self, records: dict[str, Json], summary: Summary) -> None:
        entries: dict[str, list[Any]] = {}
        lengths = self._layout[1] if self._layout is not None else {}
        known = self._known_stats
        for rel in sorted(records):
            stat = known.get(rel)
            if stat is not None:
                entries[rel] = _state_entry(stat[0], stat[1], records[rel], lengths.get(rel))
        index_digest = self._digest or digest(self._dump(records, self.file_flows, {}))
        self._write_state(entries, summary, len(records), index_digest)

    def _write_state(
        self, entries: dict[str, list[Any]], summary: Summary, records: int, index_digest: str
    ) -> None:
        """The state file, with the layout when it is known for every record."""
        complete = self._layout is not None and len(entries) == records
        layout = self._layout[0] if self._layout is not None and complete else None
        totals = {
            "flows": summary.flows,
            "files_with_flows": summary.files_with_flows,
            "diagnostics": summary.diagnostics,
        }
        self.state.write(entries, totals, index_digest, layout)

    def _previous_index(
        self, stats: ScanStats
    ) -> tuple[Json | None, int, dict[str, tuple[int, int]]]:
        """The index on disk, its mtime and its files' stats, when it can be trusted.

        Its records are reused only when its state file vouches for its bytes: an index
        written elsewhere (a clone, another branch merged in) or edited by hand is rebuilt,
        since a record cannot be checked without parsing its file again.
        """
        path = self.index_path
        try:
            index_stat = path.stat()
        except OSError:
            return None, 0, {}
        if not S_ISREG(index_stat.st_mode):
            return None, 0, {}  # `-o /dev/null` and the like: nothing to reuse
        try:
            data, index_digest = load_raw_digest(path, self.confined_to)
            self._digest = index_digest
        except IndexFileError as exc:
            stats.index_problem = str(exc)
            logger.warning("%s", exc)
            return None, 0, {}
        if (
            data["scanner_version"] != __version__
            or data["settings_hash"] != self.settings.digest()
        ):
            logger.info("index written by another scanner version or settings; re-validating all")
            return None, 0, {}
        state = self.state.load()
        if not self.state.vouches_for(state, index_digest):
            logger.info("%s was not written by this checkout's last scan; rebuilding it", path)
            return None, 0, {}
        assert state is not None
        return data, index_stat.st_mtime_ns, file_stats(state["files"])

    def _from_state(
        self, discovered: list[str], stats: ScanStats, write: bool, progress: Progress | None
    ) -> ProjectScan | None:
        """The scan decided from the state file and file stats, without loading the index:
        when nothing changed, nothing is read; when some files changed, only they are
        scanned, and their records replace theirs in the index bytes (`store.splice`).
        None when the state cannot vouch for the index (the full path then decides)."""
        state_file = self.state
        try:
            index = os.stat(self.index_path)
            os.stat(state_file.path)  # none: the files are not stat-ed for nothing
            found = regular_files(str(self.root), discovered)
        except OSError:
            return None  # an unreadable file or index: the full path reports it
        if found is None:
            return None
        # A file modified since the index was written is read again, and then orjson is
        # loaded anyway: the state is parsed with it (~15 against ~35 ms for 10k files).
        state = state_file.load(orjson=newer_than(found, index.st_mtime_ns))
        if state is None or not state_file.is_current(state):
            return None
        try:
            files: dict[str, list[Any]] = state["files"]
            if state["index"] != [index.st_size, index.st_mtime_ns]:
                return None  # rewritten by someone else since
            rels, jobs = to_rescan(found, files, index.st_mtime_ns)
            if not jobs and rels == list(files):
                return self._unchanged(state, stats, write)
            if not write:
                return None
            return self._splice(state, index.st_size, rels, jobs, stats, progress)
        except OSError:
            return None  # an unreadable file or index: the full path reports it
        except (KeyError, TypeError, IndexError, ValueError):
            return None  # a state file of another shape

    def _unchanged(self, state: Json, stats: ScanStats, write: bool) -> ProjectScan:
        """Nothing changed since the index was written: its summary from the state file (the
        index is read only if asked for)."""
        files: dict[str, list[Any]] = state["files"]
        summary = state["summary"]
        result_summary = Summary(
            flows=summary["flows"],
            files_with_flows=summary["files_with_flows"],
            diagnostics=summary["diagnostics"],
        )
        _count_all([known[2] for known in files.values()], stats)
        stats.files = stats.reused = len(files)
        self._become_lazy(write, files, state.get("index_digest"))
        # The bytes are the ones the state describes: a state written again later (as
        # `check` does) keeps their layout, so the next change is still spliced.
        # (Every entry holds its lengths: counted, not transposed as `_columns` does, since
        # this is the warm path and only a later state write reads them.)
        starts = state.get("layout")
        complete = not files or set(map(len, files.values())) == {_ENTRY_FIELDS}
        self._layout = (
            (starts, _EntryLengths(files)) if isinstance(starts, dict) and complete else None
        )
        return ProjectScan(
            data=self._load,
            index_path=self.index_path if write else None,
            written=False,
            stats=stats,
            summary=result_summary,
            root=self.root,
        )

    def _become_lazy(self, write: bool, files: dict[str, list[Any]], index_digest: Any) -> None:
        """The index on disk is up to date (its state file's `files` say what it was built
        from): load it only when its data is asked for."""
        self._lazy, self._lazy_write = True, write
        self._on_disk = True
        self._lazy_files = files
        self._lazy_digest = index_digest
        self._data, self._raw = None, None

    def _load(self) -> Json:
        self._ensure_loaded()
        assert self._data is not None
        return self._data

    def _splice(
        self,
        state: Json,
        index_size: int,
        rels: list[str],
        jobs: list[Job],
        stats: ScanStats,
        progress: Progress | None,
    ) -> ProjectScan | None:
        """Scan `jobs` and write the index with their records replaced in its bytes, every
        other path's segments copied as they were (the index is never parsed). None when the
        state has no layout or it does not fit the index bytes."""
        files: dict[str, list[Any]] = state["files"]
        starts = state.get("layout")
        columns = _columns(files)
        if not isinstance(starts, dict) or columns is None:
            return None
        raw = read_index_bytes(self.index_path, self.confined_to)
        if len(raw) != index_size:
            return None
        old_paths = list(files)
        lengths = columns[5:]
        # The old bytes are hashed on another core while the changed files are scanned
        # (unless a pool may scan them: it forks only a process running no other thread).
        with BackgroundDigest(raw, background=not may_pool(jobs)) as old_digest:
            rescanned = self._rescan(raw, starts, old_paths, lengths, jobs, len(rels), progress)
            if rescanned is None or old_digest.result() != state["index_digest"]:
                return None
        before, scanned = rescanned
        same_paths = rels == old_paths
        changes: dict[str, Segments | None] = {}
        if not same_paths:
            kept = set(rels)
            changes = {rel: None for rel in old_paths if rel not in kept}
        # Every path's entry as it was (in path order), then the scanned ones' replaced.
        entries = dict(files) if same_paths else {rel: files.get(rel, []) for rel in rels}
        for rel, outcome in scanned.items():
            if outcome.record is None:  # touched, same bytes
                entries[rel] = [outcome.size, outcome.mtime_ns, *files[rel][2:]]
                stats.reused += 1
                continue
            if outcome.segments is None:
                return None  # findings that name other paths: only the full path lays it out
            entries[rel] = _state_entry(
                outcome.size,
                outcome.mtime_ns,
                outcome.record,
                segment_lengths([outcome.segments])[0],
            )
            old = before.get(rel)
            if old is None or any(
                made != bytes(was) for made, was in zip(outcome.segments, old, strict=True)
            ):
                changes[rel] = outcome.segments  # else the same bytes as before
        statuses = [entry[2] for entry in entries.values()]
        _count_all(statuses, stats)
        stats.files = len(rels)
        stats.reused += len(rels) - len(jobs)
        written = False
        index_digest = state["index_digest"]
        diagnostics: list[Json] = state["summary"]["diagnostics"]
        layout = starts
        if changes:
            parts = splice(raw, starts, old_paths, lengths, changes)
            if parts is None:
                return None
            pieces, layout = assemble_pieces(_top(self.settings), parts)
            # Hashed on another core while written. Some segment differs from the old one,
            # so the bytes do: they are not compared with the file's.
            with BackgroundDigest(pieces) as new_digest:
                written = write_raw(
                    pieces, self.index_path, self.confined_to, compare=False, durable=False
                )
            index_digest = new_digest.result()
            diagnostics = [d for d in diagnostics if d["path"] not in changes]
            for rel in changes:
                new = scanned.get(rel)
                if new is not None and new.record is not None:
                    diagnostics.extend(new.record["diagnostics"])
            diagnostics.sort(key=_diagnostic_order)
        self._layout = layout, _EntryLengths(entries)
        flows = [entry[3] for entry in entries.values()]
        result_summary = Summary(
            flows=sum(flows),
            files_with_flows=len(flows) - flows.count(0),
            diagnostics=diagnostics,
        )
        self._digest = index_digest
        self._write_state(entries, result_summary, len(entries), index_digest)
        self._become_lazy(True, entries, index_digest)
        return ProjectScan(
            data=self._load,
            index_path=self.index_path,
            written=written,
            stats=stats,
            summary=result_summary,
            root=self.root,
        )

    def _rescan(
        self,
        raw: bytes,
        starts: dict[str, Any],
        old_paths: list[str],
        lengths: list[tuple[Any, ...]],
        jobs: list[Job],
        total: int,
        progress: Progress | None,
    ) -> tuple[dict[str, Segments], dict[str, Outcome]] | None:
        """The old segments of the `jobs`' paths in index bytes `raw` and the jobs' outcomes
        (a file whose bytes hash as its old record says is not parsed again); None when the
        layout does not fit the bytes."""
        before = old_segments(raw, starts, old_paths, lengths, [job.rel for job in jobs])
        if before is None:
            return None
        old_hashes: dict[str, str | None] = {}
        for rel, segments in before.items():
            record = record_of(rel, segments)
            if record is None:
                return None
            old_hashes[rel] = _hash_of(record)
        jobs = [Job(job.rel, old_hashes.get(job.rel), job.size) for job in jobs]
        scanned: dict[str, Outcome] = {}
        done = total - len(jobs)
        for finished in run_jobs(
            self.root, jobs, self.settings.prefilter, self.workers, self.settings.frameworks
        ):
            done += 1
            scanned[finished.rel] = finished
            if progress is not None:
                progress(done, total)
        return before, scanned


class _EntryLengths(Mapping[str, list[int]]):
    """Each path's segment lengths, read from its state entry when asked for."""

    def __init__(self, entries: dict[str, list[Any]]) -> None:
        self._entries = entries

    def __getitem__(self, rel: str) -> list[int]:
        return self._entries[rel][5:]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


#: The fields of a state entry that has its segment lengths (see `_state_entry`).
_ENTRY_FIELDS = 8


def _columns(files: dict[str, list[Any]]) -> list[tuple[Any, ...]] | None:
    """The state entries' fields as columns (the splice reads the lengths column by
    column); None unless every entry has the layout's 8 fields."""
    try:
        columns = list(zip(*files.values(), strict=True))
    except ValueError:
        return None
    if not files:
        return [()] * _ENTRY_FIELDS
    return columns if len(columns) == _ENTRY_FIELDS else None


def build_index(
    settings: Settings,
    records: dict[str, Json],
    file_flows: dict[str, list[Json]],
    rels: list[str],
) -> Json:
    """The index as JSON data, in its canonical order."""
    flows = [flow for rel in rels for flow in file_flows.get(rel, [])]
    flows.sort(key=lambda f: (f["path"], f["line"], f["id"]))
    return {
        **_top(settings),
        "flows": flows,
        "diagnostics": _diagnostics_of(records),
        "files": dict(sorted(records.items())),
    }


def _diagnostic_order(diagnostic: Json) -> tuple[Any, ...]:
    """Where a diagnostic stands in the index's `diagnostics`."""
    d = diagnostic
    return d["path"], d["line"], d["column"], d["code"], d["message"]


def _diagnostics_of(records: dict[str, Json]) -> list[Json]:
    """The index's `diagnostics`: every file record's, in index order."""
    diagnostics = [d for rel in sorted(records) for d in records[rel]["diagnostics"]]
    diagnostics.sort(key=_diagnostic_order)
    return diagnostics


def _summary_of(records: dict[str, Json]) -> Summary:
    """`summarize` of the index these file records make (each lists its flows' ids)."""
    return Summary(
        flows=sum(len(record["flows"]) for record in records.values()),
        files_with_flows=sum(1 for record in records.values() if record["flows"]),
        diagnostics=_diagnostics_of(records),
    )


def _state_entry(size: int, mtime_ns: int, record: Json, lengths: list[int] | None) -> list[Any]:
    """A file's entry in the state file: [size, mtime_ns, status] and, when its segment
    lengths in the index bytes are known, [flows, diagnostics, *lengths] too."""
    entry: list[Any] = [size, mtime_ns, record["status"]]
    if lengths is not None:
        entry += [len(record["flows"]), len(record["diagnostics"]), *lengths]
    return entry


def _hash_of(record: Json | None) -> str | None:
    value = record.get("hash") if record is not None else None
    return value if isinstance(value, str) else None


def _top(settings: Settings) -> Json:
    """The index's fields besides its sections (as `build_index` sets them)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "scanner_version": __version__,
        "settings_hash": settings.digest(),
    }


def _count_all(statuses: list[str], stats: ScanStats) -> None:
    """Count files by status (`parsed`, `skipped`, anything else failed) into `stats`."""
    parsed, skipped = statuses.count("parsed"), statuses.count("skipped")
    stats.parsed += parsed
    stats.skipped += skipped
    stats.failed += len(statuses) - parsed - skipped
