"""Reading and writing the index file: orjson, sorted keys, atomic replace, no needless writes.

Two levels: `load_index` / `dump_index` work with the validated `Index` model (the public
contract); `load_raw` / `dump_raw` work with the plain JSON data and check only the structure
incremental re-indexing relies on, so a warm scan of a large project never pays for
validating (or even importing) the models.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import os
import stat
from collections.abc import Iterable, Sequence
from operator import itemgetter
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from acme_scan._hashes import blake2b
from acme_scan._lazy import LazyModule
from acme_scan._version import SCHEMA_VERSION
from acme_scan.confined import (
    Data,
    Folder,
    OutsideRootError,
    read_confined,
    same_bytes,
    size_of,
    stale_temp,
    temp_name,
    write_data,
)
from acme_scan.errors import IndexFileError

if TYPE_CHECKING:
    import threading

    import orjson

    from acme_scan.models import Index
else:
    orjson = LazyModule("orjson")  # not imported by a scan that writes nothing

_TOP_KEYS = frozenset(
    {"schema_version", "scanner_version", "settings_hash", "flows", "diagnostics", "files"}
)


def dump_raw(data: dict[str, Any]) -> bytes:
    """The exact bytes of the index file for JSON `data`: sorted keys, and each flow,
    diagnostic and file record on a line of its own (so diffs and merges are per record).

    Deterministic: the same data gives the same bytes on any machine. Each section is
    dumped by orjson at once (per-record calls cost four times as much), then a line break
    is put between records: a `"` inside a JSON string is always escaped, so the byte
    patterns between records (`},"` in `files`, whose records hold no nested object; `},{"`
    and the first key in the lists) never occur inside a value. A nested list of objects in
    a flow's `kwargs` may get a line break too: whitespace, the same data.
    """
    pieces: list[bytes | memoryview] = [b"{"]
    for number, key in enumerate(sorted(data)):
        value = data[key]
        dumped = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        pieces.append(b",\n" if number else b"")
        pieces.append(orjson.dumps(key) + b":")
        if isinstance(value, list) and value and isinstance(value[0], dict) and value[0]:
            pieces += [b"[\n", _list_body(value, dumped), b"\n]"]
        elif key == "files" and isinstance(value, dict) and value:
            dumped = dumped.replace(b'},"', b'},\n"')
            pieces += [b"{\n", memoryview(dumped)[1:-1], b"\n}"]
        else:
            pieces.append(dumped)
    pieces.append(b"}\n")
    return b"".join(pieces)


#: The index's sections whose records are laid out path by path (see `assemble`), and
#: the field of `Segments` each is made of.
SECTIONS = {"diagnostics": 2, "files": 0, "flows": 1}


class Segments(NamedTuple):
    """One path's share of the index bytes: its line in `files`, and its flows' and its
    diagnostics' lines (empty when it has none), each without the `,\n` between records."""

    record: bytes | memoryview
    flows: bytes | memoryview
    diagnostics: bytes | memoryview


def segment_lengths(segments: Iterable[Segments]) -> list[list[int]]:
    """Each path's segment lengths, as the state file keeps them (one list comprehension:
    a cold scan calls this once for every path of the project)."""
    return [[len(record), len(flows), len(found)] for record, flows, found in segments]


def path_segments(
    rel: str, record: dict[str, Any], flows: Sequence[dict[str, Any]]
) -> Segments | None:
    """The bytes `dump_raw` gives the records of path `rel`: its file record, its flows
    (index order: by line, then id) and its diagnostics (index order).

    None when some flow or diagnostic of the record names another path: its place in the
    index is then not beside `rel`'s, and only `dump_raw` lays the index out.
    """
    diagnostics = record["diagnostics"]
    if any(flow["path"] != rel for flow in flows) or any(d["path"] != rel for d in diagnostics):
        return None
    ordered_flows = sorted(flows, key=lambda f: (f["line"], f["id"]))
    ordered_diagnostics = sorted(
        diagnostics, key=lambda d: (d["line"], d["column"], d["code"], d["message"])
    )
    return Segments(
        orjson.dumps({rel: record}, option=orjson.OPT_SORT_KEYS)[1:-1],
        _list_body(ordered_flows),
        _list_body(ordered_diagnostics),
    )


def _list_body(items: Sequence[dict[str, Any]], dumped: bytes | None = None) -> bytes:
    """`items` (already `dumped`, or dumped here) as the index writes them inside a list:
    one per line, without the brackets."""
    if not items:
        return b""
    if dumped is None:
        dumped = orjson.dumps(items, option=orjson.OPT_SORT_KEYS)
    first = orjson.dumps(min(items[0])) + b":"
    return dumped.replace(b"},{" + first, b"},\n{" + first)[1:-1]


def _offsets_at(column: Sequence[int], points: Sequence[int]) -> list[int]:
    """Where the parts of the paths at `points` (ascending indexes, `len(column)` for the
    end) start in one section, relative to its first record, from the paths' segment
    lengths in that section (`column`, in path order): the lengths before each point, and
    the `,\n` after each non-empty part (an empty part takes no room). Sums over slices,
    so the cost is C's for any number of paths."""
    result: list[int] = []
    offset = previous = 0
    for point in points:
        run = column[previous:point]
        offset += sum(run) + 2 * (len(run) - run.count(0))
        result.append(offset)
        previous = point
    return result


Pieces = list[bytes | memoryview]
Parts = dict[str, Pieces]
#: Each section's segment lengths by path, in path order: `lengths[field][i]` is the length
#: of the part of path `i` in the section made of `Segments` field `field` (the state file
#: keeps them per path; see `SECTIONS`).
Lengths = Sequence[Sequence[int]]


def assemble(top: dict[str, Any], parts: Parts) -> tuple[bytes, dict[str, int]]:
    """The index bytes from its scalar fields (`top`) and each section's non-empty parts in
    order (a part is one path's segment, or a run of them cut from earlier bytes): exactly
    `dump_raw` of the same data. Also where each section's records start.

    What lets one changed file be written without loading the index: every other path's
    records are copied from the bytes written before (`splice`).
    """
    pieces, starts = assemble_pieces(top, parts)
    return b"".join(pieces), starts


def assemble_pieces(top: dict[str, Any], parts: Parts) -> tuple[Pieces, dict[str, int]]:
    """`assemble`, as the pieces whose concatenation the index bytes are (not joined: a
    splice's pieces are mostly views of the old bytes, hashed and written as they are)."""
    pieces: Pieces = [b"{"]
    size = 1
    starts: dict[str, int] = {}
    for number, key in enumerate(sorted({*top, *SECTIONS})):
        head = (b",\n" if number else b"") + orjson.dumps(key) + b":"
        pieces.append(head)
        size += len(head)
        if key not in SECTIONS:
            dumped = orjson.dumps(top[key], option=orjson.OPT_SORT_KEYS)
            pieces.append(dumped)
            size += len(dumped)
            continue
        section = parts.get(key, [])
        opening, closing = (b"{", b"}") if key == "files" else (b"[", b"]")
        if not section:
            starts[key] = size + 1  # at the closing bracket
            pieces.append(opening + closing)
            size += 2
            continue
        pieces.append(opening + b"\n")
        size += 2
        starts[key] = size
        # Each part followed by `,\n` but the last, and their sizes, in C: a cold scan of
        # 10,000 files has 30,000 parts, and a Python loop over them took ~25 ms.
        pieces += itertools.chain.from_iterable(zip(section, itertools.repeat(b",\n")))
        pieces.pop()
        size += sum(map(len, section)) + 2 * (len(section) - 1)
        pieces.append(b"\n" + closing)
        size += 2
    pieces.append(b"}\n")
    return pieces, starts


def section_parts(segments: Sequence[Segments]) -> Parts:
    """The parts `assemble` takes, from every path's segments in path order."""
    return {
        key: list(filter(None, map(itemgetter(field), segments)))  # the non-empty ones
        for key, field in SECTIONS.items()
    }


def splice(
    raw: bytes,
    starts: dict[str, Any],
    old_paths: Sequence[str],
    lengths: Lengths,
    changes: dict[str, Segments | None],
) -> Parts | None:
    """The parts of an index in which `changes` (path: its new segments, None: gone) are
    applied to index bytes `raw` written by `assemble`, given its sections' `starts` and
    the paths' segment `lengths` (from the state file).

    The paths between two changes are copied as one run of bytes, so the cost grows with
    the changes, not the project. None when the lengths do not fit the bytes.
    """
    count = len(old_paths)
    if len(lengths) != len(SECTIONS) or any(len(column) != count for column in lengths):
        return None
    runs: list[range | Segments] = []
    cursor = 0
    for path in sorted(changes):
        at = bisect.bisect_left(old_paths, path, cursor)
        if at > cursor:
            runs.append(range(cursor, at))
        cursor = at + 1 if at < count and old_paths[at] == path else at
        new = changes[path]
        if new is not None:
            runs.append(new)
    if cursor < count:
        runs.append(range(cursor, count))
    ends = (end for run in runs if isinstance(run, range) for end in (run.start, run.stop))
    points = sorted({count, *ends})
    view = memoryview(raw)
    parts: Parts = {}
    for key, field in SECTIONS.items():
        start = starts.get(key)
        if not isinstance(start, int) or not 0 < start < len(raw):
            return None
        offsets = dict(zip(points, _offsets_at(lengths[field], points), strict=True))
        total = offsets[count]
        closing = b"}" if key == "files" else b"]"
        if total:
            end = start + total - 2
            if raw[end : end + 2] != b"\n" + closing:
                return None
        elif raw[start : start + 1] != closing:
            return None
        section: Pieces = []
        for run in runs:
            if isinstance(run, range):
                first, last = offsets[run.start], offsets[run.stop]
                if last > first:
                    between = run.stop < count and last < total
                    if between and raw[start + last - 2 : start + last] != b",\n":
                        return None
                    section.append(view[start + first : start + last - 2])
            elif run[field]:
                section.append(run[field])
        parts[key] = section
    return parts


def old_segments(
    raw: bytes,
    starts: dict[str, Any],
    old_paths: Sequence[str],
    lengths: Lengths,
    wanted: Sequence[str],
) -> dict[str, Segments] | None:
    """The segments of those of the `wanted` paths the index holds, cut from index bytes
    written by `assemble` (laid out as `splice` says) without parsing anything; None when
    they do not fit (a file record that is not its path's)."""
    found = sorted(
        (at, path)
        for path in set(wanted)
        if (at := bisect.bisect_left(old_paths, path)) < len(old_paths) and old_paths[at] == path
    )
    points = [at for at, _ in found]
    view = memoryview(raw)
    cut: dict[str, list[memoryview]] = {path: [view[:0]] * len(SECTIONS) for _, path in found}
    for key, field in SECTIONS.items():
        start = starts.get(key)
        if not isinstance(start, int) or not 0 < start < len(raw):
            return None
        column = lengths[field]
        for (at, path), offset in zip(found, _offsets_at(column, points), strict=True):
            cut[path][field] = view[start + offset : start + offset + column[at]]
    result: dict[str, Segments] = {}
    for path, pieces in cut.items():
        segments = Segments(*pieces)
        member = orjson.dumps(path) + b":{"
        if segments.record[: len(member)] != member:
            return None
        result[path] = segments
    return result


def record_of(path: str, segments: Segments) -> dict[str, Any] | None:
    """The file record of `path` in its segments (`old_segments`), None when it is none."""
    try:
        record = orjson.loads(b"{" + bytes(segments.record) + b"}").get(path)
    except orjson.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def dump_state(data: dict[str, Any]) -> bytes:
    """The bytes of an index's state file (see `acme_scan.index.state`): compact JSON."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS) + b"\n"


#: From this many bytes on, an index is hashed with SHA-256 (OpenSSL's, which the CPU
#: accelerates), below with BLAKE2b (CPython's own `_blake2`): loading OpenSSL costs ~2.2 ms,
#: and SHA-256 gains 0.47 ms per MB (1 MB: 0.56 against 1.02 ms; 15 MB: 7.9 against 14.8 ms).
#: So a small project's index never loads it.
SHA256_FROM = 4 << 20
#: Names how `digest` hashes: a state file (`acme_scan.index.state`) written under another
#: rule never vouches for an index, whose digest it could not match.
DIGEST_SCHEME = f"sha256-32 from {SHA256_FROM} bytes, else blake2b-16"


def digest(data: bytes | Sequence[bytes | memoryview]) -> str:
    """The digest of an index file's bytes (or of the pieces they are made of, `assemble`)
    that its state file vouches for: 32 hex digits, of SHA-256 from `SHA256_FROM` bytes on,
    else of BLAKE2b. Both are a function of the bytes alone."""
    hashed = _hashlib().sha256() if is_large(data) else blake2b(digest_size=16)
    for piece in (data,) if isinstance(data, bytes) else data:
        hashed.update(piece)
    value: str = hashed.hexdigest()
    return value[:32]


def is_large(data: bytes | Sequence[bytes | memoryview]) -> bool:
    """Whether `digest(data)` is SHA-256's: `data` holds `SHA256_FROM` bytes or more."""
    if isinstance(data, bytes):
        return len(data) >= SHA256_FROM
    size = sum(piece.nbytes if isinstance(piece, memoryview) else len(piece) for piece in data)
    return size >= SHA256_FROM


def _hashlib() -> ModuleType:
    """`hashlib`, imported when a large index is first hashed: it loads OpenSSL (~2 ms), which
    a small project's scans and every warm scan never need (see `acme_scan._hashes`)."""
    import hashlib

    return hashlib


class BackgroundDigest:
    """`digest(data)` computed in a thread of its own while the caller does other work (hashlib
    releases the GIL, so on a second core: 11 ms for a 15 MB index), or here and now when not
    `background`. `result()` waits for it; leaving the `with` block always ends the thread
    (a process pool forks only a process that runs no other thread)."""

    def __init__(self, data: bytes | Sequence[bytes | memoryview], background: bool = True):
        self._data = data
        self._value: str | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if is_large(data):
            _hashlib()  # imported here, never first inside the thread
        if background:
            import threading  # not at start: only a rescan hashes in the background

            self._thread = threading.Thread(target=self._run, name="acme-scan-digest")
            self._thread.start()
        else:
            self._run()

    def _run(self) -> None:
        try:
            self._value = digest(self._data)
        except BaseException as exc:  # raised where the result is asked for
            self._error = exc

    def result(self) -> str:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value

    def __enter__(self) -> BackgroundDigest:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._thread is not None:
            self._thread.join()


def dump_index(index: Index) -> bytes:
    """The exact bytes of the index file for `index`."""
    return dump_raw(index.model_dump(mode="json"))


def _read(path: Path, root: Path | None = None) -> bytes:
    try:
        return path.read_bytes() if root is None else read_confined(root, path)
    except FileNotFoundError as exc:
        raise IndexFileError(path, "no index file (run `acme-scan scan` to create it)") from exc
    except OSError as exc:
        raise IndexFileError(path, f"cannot read the index: {exc.strerror or exc}") from exc


def read_index_bytes(path: Path, root: Path | None = None) -> bytes:
    """The bytes of an index file (confined to `root` when given); IndexFileError if none."""
    return _read(path, root)


def _decode(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise IndexFileError(
            path, f"the index is not valid JSON ({exc}); it will be rebuilt"
        ) from exc
    if not isinstance(data, dict) or "schema_version" not in data:
        raise IndexFileError(path, "not an acme-scan index (no schema_version); it will be rebuilt")
    if data["schema_version"] != SCHEMA_VERSION:
        raise IndexFileError(
            path,
            f"index schema version {data['schema_version']!r} is not {SCHEMA_VERSION} "
            "(written by another acme-scan version); it will be rebuilt",
        )
    return data


def load_index(path: Path) -> Index:
    """Read and fully validate an index file; IndexFileError says why it cannot be trusted."""
    return parse_index(_read(path), path)


def parse_index(raw: bytes, path: Path) -> Index:
    from pydantic import ValidationError

    from acme_scan.models import Index

    data = _decode(raw, path)
    try:
        return Index.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise IndexFileError(
            path, f"the index is invalid at {where}: {first['msg']}; it will be rebuilt"
        ) from exc


def load_raw(path: Path, root: Path | None = None) -> dict[str, Any]:
    """Read an index file as JSON data, checking what incremental re-indexing relies on.

    Every file record must have its fields with the right types, and the flows listed for
    each file must be exactly the flows the index holds for that path, in order. With
    `root`, the path is the repository's choice and is read only inside it (`confined`).
    """
    return load_raw_digest(path, root)[0]


def load_raw_digest(path: Path, root: Path | None = None) -> tuple[dict[str, Any], str]:
    """`load_raw`, and the `digest` of the bytes read."""
    raw = _read(path, root)
    data = _decode(raw, path)
    problem = _structure_problem(data)
    if problem is not None:
        raise IndexFileError(path, f"the index is invalid: {problem}; it will be rebuilt")
    return data, digest(raw)


#: A state file is parsed by the standard library's `json` below this size, by orjson from
#: it on: a warm scan that finds nothing changed then never imports orjson (~11 ms), which
#: parses 2.5x faster (the 10k-file project's 775 KB: 3.1 against 7.9 ms), so importing it
#: pays from about 2 MB. Both make the same data of valid JSON; anything else is no state.
ORJSON_STATE_FROM = 2 << 20


def load_state(
    path: Path, root: Path | None = None, orjson_from: int = ORJSON_STATE_FROM
) -> dict[str, Any] | None:
    """The index's state file (see `state`), or None when it is missing or unusable.
    Parsed by orjson from `orjson_from` bytes on (0: whatever its size), by `json` below."""
    try:
        raw = _read(path, root)
    except IndexFileError:
        return None
    try:
        data = parse_json(raw, orjson_from)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested past the stack
        return None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        return None
    return data


def parse_json(raw: bytes, orjson_from: int) -> Any:
    """JSON `raw`, UTF-8 only: with the standard library's `json` below `orjson_from` bytes
    (a process that parses only small files never loads orjson, ~11 ms), with orjson from
    there on (2.5x faster per byte). Both make the same data of valid JSON. Raises
    ValueError (not JSON, not UTF-8) or RecursionError (nested past the stack)."""
    if len(raw) >= orjson_from:
        return orjson.loads(raw)
    import json  # ~1.4 ms

    # Decoded first: `json.loads` of bytes would also take UTF-16 and UTF-32.
    return json.loads(raw.decode("utf-8"))


def load_vouched(path: Path, root: Path | None, expected: object) -> tuple[dict[str, Any], str]:
    """The JSON data of an index file whose state file vouches for its bytes (their
    `digest` is `expected`), and that digest. IndexFileError when it is not (the file
    changed since).

    Not checked field by field as `load_raw_digest` checks: bytes of that digest are the
    ones this scanner wrote when it wrote the state (which also records their size and
    mtime_ns, checked before the index is trusted), and its writer only writes what
    `_structure_problem` passes. They are trusted on the same grounds as the records they
    hold, which a warm scan reuses without reading the files. The check costs ~60-120 ms on
    the 10k-file project's 15 MB index, which `acme-scan check` and the SDK's flow listing
    paid on every warm run.
    """
    raw = _read(path, root)
    found = digest(raw)
    if found != expected:
        raise IndexFileError(path, "changed since its state file was written")
    return _decode(raw, path), found


def _structure_problem(data: dict[str, Any]) -> str | None:
    if set(data) != _TOP_KEYS:
        return f"top-level keys are {sorted(data)}"
    for key in ("scanner_version", "settings_hash"):
        if not isinstance(data[key], str):
            return f"{key} is not a string"
    files, flows = data["files"], data["flows"]
    if not isinstance(files, dict) or not isinstance(flows, list):
        return "files is not an object or flows is not a list"
    if not isinstance(data["diagnostics"], list):
        return "diagnostics is not a list"
    by_path: dict[str, list[str]] = {}
    for flow in flows:
        if not isinstance(flow, dict) or not isinstance(flow.get("id"), str):
            return "a flow without an id"
        problem = _typed(flow, _FLOW_SHAPE)
        if problem is not None:
            return f"flow {flow['id']}: {problem}"
        path = flow.get("path")
        if not isinstance(path, str) or path not in files:
            return f"flow {flow['id']} belongs to no scanned file"
        by_path.setdefault(path, []).append(flow["id"])
    for path, record in files.items():
        problem = _typed(record, _RECORD_SHAPE)
        if problem is not None:
            if problem == _UNEXPECTED_FIELDS:
                return f"files.{path} is not a file record"
            return f"files.{path} has a field of the wrong type"
        listed, held = record["flows"], by_path.get(path, [])
        if listed != held and sorted(listed) != sorted(held):
            return f"files.{path} lists other flows than the index holds"
        for diagnostic in record["diagnostics"]:
            problem = _typed(diagnostic, _DIAGNOSTIC_SHAPE)
            if problem is not None:
                return f"files.{path}.diagnostics: {problem}"
    return None


_OPTIONAL_STR = (str, type(None))
_OPTIONAL_INT = (int, type(None))
_OPTIONAL_DICT = (dict, type(None))
#: The type of every field of a flow in the index (what readers of the JSON rely on).
_FLOW_FIELDS: dict[str, type | tuple[type, ...]] = {
    "framework": str,
    "id": str,
    "name": _OPTIONAL_STR,
    "function": _OPTIONAL_STR,
    "qualname": _OPTIONAL_STR,
    "path": str,
    "entrypoint": _OPTIONAL_STR,
    "form": str,
    "line": int,
    "column": int,
    "decorator_line": _OPTIONAL_INT,
    "end_line": int,
    "is_async": bool,
    "is_method": bool,
    "description": _OPTIONAL_STR,
    "kwargs": dict,
    "parameters": list,
    "parameter_schema": _OPTIONAL_DICT,
    "deployable": bool,
}
_DIAGNOSTIC_FIELDS: dict[str, type | tuple[type, ...]] = {
    "path": str,
    "line": int,
    "column": int,
    "code": str,
    "severity": str,
    "message": str,
}


class _Shape:
    """The fields of an object in the index and the type of each; also, for `_typed`'s
    quick test, the keys in the order the index writes them (sorted) and every tuple of the
    exact types their values may have in that order (what orjson makes of valid data)."""

    __slots__ = ("exact", "fields", "keys", "signatures")

    def __init__(self, fields: dict[str, type | tuple[type, ...]]) -> None:
        self.fields = fields
        #: A bool is an int to isinstance, never to the index (`line: true` is wrong).
        self.exact = {
            key: kind if isinstance(kind, tuple) else (kind,) for key, kind in fields.items()
        }
        self.keys = sorted(fields)
        self.signatures = frozenset(itertools.product(*(self.exact[key] for key in self.keys)))


_FLOW_SHAPE = _Shape(_FLOW_FIELDS)
_RECORD_SHAPE = _Shape(
    {"size": int, "hash": str, "status": str, "flows": list, "diagnostics": list}
)
_DIAGNOSTIC_SHAPE = _Shape(_DIAGNOSTIC_FIELDS)


_UNEXPECTED_FIELDS = "unexpected fields"


def _typed(item: Any, shape: _Shape) -> str | None:
    """None when `item` is an object with exactly the shape's fields, each of its type; else
    why not. Data as the index writes it passes one comparison of its keys and one lookup of
    the tuple of its values' types; anything else is looked at field by field (which also
    accepts another order of the keys, and says what is wrong)."""
    if (
        type(item) is dict
        and list(item) == shape.keys
        and tuple(map(type, item.values())) in shape.signatures
    ):
        return None
    fields = shape.fields
    if not isinstance(item, dict) or item.keys() != fields.keys():
        return _UNEXPECTED_FIELDS
    for key, kind in fields.items():
        value = item[key]
        if not isinstance(value, kind) or (
            isinstance(value, bool) and bool not in shape.exact[key]
        ):
            return f"{key} has the wrong type ({type(value).__name__})"
    return None


def write_bytes_atomic(
    path: Path, data: Data, *, compare: bool = True, durable: bool = True
) -> bool:
    """Write `data` to `path` atomically; False (and no write) when the bytes are unchanged.

    A reader opening `path` at any moment sees either the old or the new complete file:
    the bytes go to a temporary file in the same folder, are fsynced (when `durable`), then
    renamed over. Without `compare` the caller knows the bytes are new (they are not
    compared first).
    """
    # A link is followed (its target is written, the link stays); something that is not a
    # regular file (`-o /dev/null`, a FIFO) is written to directly, never replaced.
    path = Path(os.path.realpath(path))
    try:
        current = path.stat()
    except OSError:
        current = None
    if current is not None and not stat.S_ISREG(current.st_mode):
        with open(path, "wb") as handle:
            write_data(handle, data)
        return True
    try:
        if (
            compare
            and current is not None
            and current.st_size == size_of(data)
            and same_bytes(path.read_bytes(), data)
        ):
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        for name in os.listdir(path.parent):
            if stale_temp(name, path.name):
                with contextlib.suppress(OSError):
                    os.unlink(path.parent / name)
    temp = str(path.parent / temp_name(path.name))
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            write_data(handle, data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    if not durable:
        return True
    with contextlib.suppress(OSError):
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_GITIGNORE = b"# created by acme-scan\n*\n"


def make_index_folder(path: Path) -> None:
    """Create the folder of the index file `path` when missing (OSError if it cannot be).

    A new default `.acme_scan/` folder ignores itself, as pytest's cache folder does.
    """
    if path.parent.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.parent.name == ".acme_scan":
        with contextlib.suppress(OSError):
            (path.parent / ".gitignore").write_bytes(_GITIGNORE)


def index_folder(root: Path, path: Path) -> Folder:
    """The folder of the repository-chosen index file `path`, opened (created) inside `root`.

    `OutsideRootError` when it leaves the root or a link is on the way; a new `.acme_scan/`
    folder ignores itself.
    """
    folder = Folder(root, path, create=True)
    if folder.created and path.parent.name == ".acme_scan":
        with contextlib.suppress(OSError):
            folder.write_new(".gitignore", _GITIGNORE)
    return folder


def write_raw(
    data: Data,
    path: Path,
    root: Path | None = None,
    *,
    compare: bool = True,
    durable: bool,
) -> bool:
    """Write index bytes (or their pieces) to `path` (atomically, only when they change).
    True if written.

    Not fsynced unless `durable` (every caller says which it wants): an index and its
    state file are a cache of the sources, and each vouches for the other (the state
    holds the index's digest, size and mtime). After a crash that loses a write, either
    file may be old, empty or torn, and the next scan then rebuilds the index from the
    sources (`tests/index/test_incremental.py::test_state_file_is_only_a_hint`). The
    rename still makes every write atomic for readers. The two fsyncs cost ~25 ms for the
    10k-file project's 15 MB index on this project's CI machines (most of what one
    changed file costs to write back).

    Without `root`, `path` is the user's choice (`-o FILE`): a link is followed and a device
    or FIFO is written to. With `root`, `path` is the repository's choice (its settings) and
    is written only as a regular file inside `root`, never through a link (`confined`).
    Without `compare`, the caller knows the bytes are new (they are not compared first).
    """
    try:
        if root is None:
            make_index_folder(path)
            return write_bytes_atomic(path, data, compare=compare, durable=durable)
        with index_folder(root, path) as folder:
            return folder.write_atomic(data, compare=compare, durable=durable)
    except OutsideRootError:
        raise
    except OSError as exc:
        raise IndexFileError(path, f"cannot write the index: {exc.strerror or exc}") from exc


def write_index(index: Index, path: Path) -> bool:
    """Write `index` to `path` (atomically, only when its bytes change). True if written."""
    return write_raw(dump_index(index), path, durable=False)
