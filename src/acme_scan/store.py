"""Reading and writing the index file: orjson, sorted keys, atomic replace, no needless writes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import orjson
from pydantic import ValidationError

from acme_scan.errors import IndexFileError
from acme_scan.models import SCHEMA_VERSION, Index


def dump_index(index: Index) -> bytes:
    """The exact bytes of the index file for `index` (deterministic: sorted keys)."""
    data = index.model_dump(mode="json")
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def load_index(path: Path) -> Index:
    """Read and validate an index file; IndexFileError says why it cannot be trusted."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise IndexFileError(path, "no index file (run `acme-scan scan` to create it)") from exc
    except OSError as exc:
        raise IndexFileError(path, f"cannot read the index: {exc.strerror or exc}") from exc
    return parse_index(raw, path)


def parse_index(raw: bytes, path: Path) -> Index:
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
    try:
        return Index.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise IndexFileError(
            path, f"the index is invalid at {where}: {first['msg']}; it will be rebuilt"
        ) from exc


def write_bytes_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically; False (and no write) when the bytes are unchanged.

    A reader opening `path` at any moment sees either the old or the new complete file:
    the bytes go to a temporary file in the same folder, are fsynced, then renamed over.
    """
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
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


def write_index(index: Index, path: Path) -> bool:
    """Write `index` to `path` (atomically, only when its bytes change). True if written."""
    created = not path.parent.exists()
    try:
        written = write_bytes_atomic(path, dump_index(index))
    except OSError as exc:
        raise IndexFileError(path, f"cannot write the index: {exc.strerror or exc}") from exc
    if created and path.parent.name == ".acme_scan":
        # Keep the default index folder out of version control, as pytest does for its cache.
        with contextlib.suppress(OSError):
            (path.parent / ".gitignore").write_text("# created by acme-scan\n*\n")
    return written
