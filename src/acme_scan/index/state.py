"""The state file: what a later scan needs to trust an index without reading its files.

Beside the index it says which bytes the index holds (their digest, its size and mtime),
the root and settings it was built for, and the size and mtime of every file it was built
from (with, when known, where each path's records lie in the index bytes: its layout). It
is only ever a hint: a state that does not vouch for the index on disk is ignored, and the
index is then rebuilt or re-checked file by file. Which records it lets a scan reuse is
decided in `reuse`.
"""

from __future__ import annotations

import os
from pathlib import Path
from stat import S_ISREG
from typing import Any

from acme_scan import _log
from acme_scan._hashes import blake2b
from acme_scan._records import FrozenRecord, _set
from acme_scan._version import SCHEMA_VERSION, __version__
from acme_scan.confined import OutsideRootError
from acme_scan.errors import IndexFileError
from acme_scan.index.store import (
    DIGEST_SCHEME,
    ORJSON_STATE_FROM,
    dump_state,
    load_state,
    write_raw,
)
from acme_scan.settings import Settings

logger = _log.get(__name__)

Json = dict[str, Any]


class StateFile(FrozenRecord):
    """The state file of the index at `index_path` of the project at `root`."""

    __slots__ = ("index_confined_to", "index_path", "root", "settings")
    root: Path
    index_path: Path
    #: The root the index is confined to (None: a path the caller chose, `-o FILE`).
    index_confined_to: Path | None
    settings: Settings

    def __init__(
        self, root: Path, index_path: Path, index_confined_to: Path | None, settings: Settings
    ) -> None:
        _set(self, "root", root)
        _set(self, "index_path", index_path)
        _set(self, "index_confined_to", index_confined_to)
        _set(self, "settings", settings)

    @property
    def path(self) -> Path:
        """Beside the index in acme-scan's own `.acme_scan/` folder (which ignores itself in
        git); for an index kept elsewhere, in the root's `.acme_scan/` folder, named after
        the index, so the user's tree gets no companion file."""
        if self.index_path.parent.name == ".acme_scan":
            return self.index_path.with_name(self.index_path.name + ".state")
        key = blake2b(str(self.index_path).encode(), digest_size=6).hexdigest()
        return self.root / ".acme_scan" / f"{self.index_path.name}.{key}.state"

    @property
    def confined_to(self) -> Path | None:
        if self.index_path.parent.name == ".acme_scan":
            return self.index_confined_to
        return self.root

    def load(self, *, orjson: bool = False) -> Json | None:
        """The state, when there is one of this schema (its content is not checked); parsed
        by orjson whatever its size when the caller needs orjson anyway (`orjson`)."""
        return load_state(self.path, self.confined_to, 0 if orjson else ORJSON_STATE_FROM)

    def is_current(self, state: Json) -> bool:
        """Whether `state` was written by this scanner with these settings for this root (and
        its index digest by today's `store.digest`)."""
        return (
            state.get("scanner_version") == __version__
            and state.get("digest_scheme") == DIGEST_SCHEME
            and state.get("settings_hash") == self.settings.digest()
            and state.get("root") == self.root.as_posix()
        )

    def vouches_for(self, state: Json | None, index_digest: str) -> bool:
        """Whether `state` was written with the index whose bytes have `index_digest`."""
        return (
            state is not None
            and state.get("index_digest") == index_digest
            and state.get("digest_scheme") == DIGEST_SCHEME
            and state.get("root") == self.root.as_posix()
            and isinstance(state.get("files"), dict)
        )

    def write(
        self,
        entries: dict[str, list[Any]],
        summary: Json,
        index_digest: str,
        layout: dict[str, int] | None,
    ) -> None:
        """Write the state of the index just written: `entries` by path are [size, mtime_ns,
        status] and, when the layout is known, [flows, diagnostics, and the three segment
        lengths] too; `summary` the index's `flows`, `files_with_flows` and `diagnostics`;
        `layout` the sections' starts (None: unknown). Nothing is written when
        the index is no regular file (`-o /dev/null`), and a failure only costs speed."""
        try:
            index = os.stat(self.index_path)
        except OSError:
            return
        if not S_ISREG(index.st_mode):
            return  # `-o /dev/null`: nothing a later scan could reuse
        state: Json = {
            "schema_version": SCHEMA_VERSION,
            "scanner_version": __version__,
            "settings_hash": self.settings.digest(),
            "root": self.root.as_posix(),
            "index": [index.st_size, index.st_mtime_ns],
            "index_digest": index_digest,
            "digest_scheme": DIGEST_SCHEME,
            "files": entries,
            "summary": summary,
        }
        if layout is not None:
            state["layout"] = layout
        try:
            write_raw(dump_state(state), self.path, self.confined_to, durable=False)
        except (IndexFileError, OutsideRootError) as exc:
            logger.debug("no state file: %s", exc)


def file_stats(files: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) by path, from a state file's `files` (malformed entries dropped)."""
    result: dict[str, tuple[int, int]] = {}
    for rel, known in files.items():
        if isinstance(known, list) and len(known) in (3, 8):
            size, mtime = known[0], known[1]
            if isinstance(size, int) and isinstance(mtime, int):
                result[rel] = (size, mtime)
    return result
