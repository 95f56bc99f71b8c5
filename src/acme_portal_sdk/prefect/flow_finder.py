"""`PrefectFlowFinder`: the project's Prefect flows, found statically by acme-scan.

The finder scans lazily, on each call (its constructor does no I/O), with
`acme_scan.index.project.scan_project`, which keeps an index file (`.acme_scan/index.json` by
default) so that unchanged files are not parsed again. It never imports the project's code
or Prefect, and prints nothing.

Each deployable flow of the index becomes a `FlowDetails`:

- `name`: Prefect's flow name with `-` replaced by `_`; `original_name`: Prefect's name.
- `description`: the `description=` value or the docstring, `""` when there is none.
- `id`: the scanner's id, stable across runs (same file and qualname, same id).
- `source_path`: absolute path of the file; `line_number`: line of its `def` (1-based).
- `source_relative`: POSIX path relative to the root; `grouping`: its folder names.
- `child_attributes`: `obj_name` (qualname of the flow object), `module` (dotted module
  path relative to the root), `import_path` (`module` prefixed with the root folder's
  name, as acme-portal-sdk 1.x built it) and `entrypoint` (Prefect's `path:qualname`).

Flows that cannot be deployed (defined inside a function, or whose name is only known at
run time) are not listed: the scanner reports them as diagnostics instead.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acme_portal_sdk.flow_finder import (
    FlowDetails,
    FlowFinder,
    FlowLike,
    _as_flow,
    extension_json,
    flow_matcher,
)
from acme_scan import _log
from acme_scan._collector import fewer_collections

if TYPE_CHECKING:
    from acme_scan.index.project import ProjectScan
    from acme_scan.models import Flow, Index

logger = _log.get(__name__)

#: Kept for code written against acme-portal-sdk 1.x, which exported this alias.
PrefectFlowDetails = FlowDetails


@dataclass
class PrefectFlowAttributes:
    """The Prefect-specific `child_attributes` of a flow (as in acme-portal-sdk 1.x)."""

    obj_name: str
    module: str
    import_path: str

    def to_dict(self) -> dict[str, str]:
        """Return the attributes as a `child_attributes` dict."""
        return {"obj_name": self.obj_name, "module": self.module, "import_path": self.import_path}


def module_path(relative: str) -> str:
    """The dotted module path of a POSIX file path: `pkg/sub/mod.py` -> `pkg.sub.mod`.

    A package's `__init__.py` gives the package itself (`pkg/__init__.py` -> `pkg`).
    """
    parts = relative.removesuffix(".py").split("/")
    if len(parts) > 1 and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def flow_details(flow: Flow, root: Path) -> FlowDetails:
    """The `FlowDetails` of a scanned flow whose `path` is relative to the absolute `root`.

    Raises `ValueError` for a flow whose name is unknown statically (`flow.name` is None).
    """
    return flow_details_from_data(flow.model_dump(mode="json"), root)


def flow_details_from_data(flow: Mapping[str, Any], root: Path) -> FlowDetails:
    """`flow_details` for a flow as the index file holds it (JSON data, no validation)."""
    name = flow["name"]
    if name is None:
        raise ValueError(
            f"{flow['path']}:{flow['line']}: the name of flow {flow['qualname']} is unknown"
        )
    path: str = flow["path"]
    folders = path.split("/")[:-1]
    module = module_path(path)
    attributes: dict[str, Any] = {
        **PrefectFlowAttributes(
            obj_name=flow["qualname"],
            module=module,
            import_path=f"{root.name}.{module}" if root.name else module,
        ).to_dict()
    }
    if flow["entrypoint"] is not None:
        attributes["entrypoint"] = flow["entrypoint"]
    return FlowDetails(
        name=name.replace("-", "_"),
        original_name=name,
        description=flow["description"] or "",
        id=flow["id"],
        source_path=os.path.join(root, *path.split("/")),
        source_relative=path,
        line_number=flow["line"],
        grouping=folders,
        child_attributes=attributes,
    )


class PrefectFlowFinder(FlowFinder):
    """Lists the deployable Prefect flows under `root_dir` (default: the current directory).

    `root_dir` is resolved when the finder is called, not when it is built. With
    `write_index=False` the index file is read when present but never written; when it
    cannot be written (read-only checkout) the scan is redone without writing it.
    """

    def __init__(self, root_dir: str | os.PathLike[str] = ".", *, write_index: bool = True) -> None:
        self.root_dir = root_dir
        self.write_index = write_index

    def scan(self) -> ProjectScan:
        """The project's scan, brought up to date (incremental: unchanged files are reused).

        The scanner's errors (a missing root, invalid `[tool.acme-scan]` settings) become
        `acme_portal_sdk.errors.InputError`s, reported like every other input problem.
        """
        from acme_portal_sdk.errors import InputError
        from acme_scan.errors import AcmeScanError, IndexFileError
        from acme_scan.index.project import scan_project

        try:
            if self.write_index:
                try:
                    return scan_project(self.root_dir)
                except IndexFileError as exc:
                    logger.debug("scanning without writing the index: %s", exc)
            return scan_project(self.root_dir, write=False)
        except AcmeScanError as exc:
            raise InputError(f"cannot scan the project's flows: {exc}") from exc

    def find_flows(
        self,
        flows_to_fetch: list[FlowDetails] | None = None,
        flow_groups: list[str] | None = None,
    ) -> list[FlowDetails]:
        """`FlowFinder.find_flows`, also with positional arguments, as 1.x's Prefect finder took."""
        return super().find_flows(flows_to_fetch=flows_to_fetch, flow_groups=flow_groups)

    def __call__(
        self,
        *,
        flows_to_fetch: Sequence[FlowLike] | None = None,
        flow_groups: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """The extension's call (see `FlowFinder.__call__`), answered from `listing()`.

        A subclass overriding `list_flows` or `find_flows` gets the base class's behaviour.
        """
        cls = type(self)
        if cls.list_flows is not PrefectFlowFinder.list_flows or (
            cls.find_flows is not PrefectFlowFinder.find_flows
        ):
            return super().__call__(flows_to_fetch=flows_to_fetch, flow_groups=flow_groups)
        listing = self.listing()
        if flows_to_fetch is None and flow_groups is None:
            return listing
        requested = None if flows_to_fetch is None else [_as_flow(f) for f in flows_to_fetch]
        matches = flow_matcher(requested, None if flow_groups is None else list(flow_groups))
        return [
            flow
            for flow in listing
            if matches(flow["id"], flow["name"], flow["source_relative"], flow["grouping"])
        ]

    def listing(self) -> list[dict[str, Any]]:
        """Every deployable flow as the extension reads it (`extension_json` of `list_flows`).

        The result is kept next to the index (`<index>.flows.json`, keyed by the index file's
        identity), so a call whose index did not change reads one file of exactly what it
        returns. While an `acme-scan watch` holds the index's lock, its live index is
        trusted as is: the project's files are not listed or checked at all.
        """
        with fewer_collections():  # a parsed index is a million objects, none in a cycle
            trusted = self._trusted_listing()
            if trusted is not None:
                return trusted
            scan = self.scan()
            index_path = scan.index_path
            if index_path is not None:
                cached = _read_listing(index_path, str(Path(self.root_dir).absolute().resolve()))
                if cached is not None:
                    return cached
            root = scan.root if scan.root is not None else Path(self.root_dir).resolve()
            return self._build_listing(scan.data, root, index_path)

    def _trusted_listing(self) -> list[dict[str, Any]] | None:
        """The listing of the live index kept by an `acme-scan watch`, or None (no watcher)."""
        from acme_scan.errors import AcmeScanError
        from acme_scan.settings import load_settings
        from acme_scan.watch.lock import lock_holder

        try:
            root = Path(self.root_dir).absolute().resolve()
            index_path = root / load_settings(root).index
        except (OSError, AcmeScanError):
            return None  # the scan reports it
        if lock_holder(index_path) is None:
            return None
        cached = _read_listing(index_path, str(root))
        if cached is not None:
            return cached
        from acme_scan.index.store import load_raw

        try:
            before = os.lstat(index_path)
            data = load_raw(index_path, root)  # inside the root, no link followed
            if not os.path.samestat(before, os.lstat(index_path)):
                return None
        except (OSError, AcmeScanError):
            return None
        logger.debug("listing the live index of the watcher of %s", index_path)
        return self._build_listing(data, root, index_path, before)

    def _build_listing(
        self,
        data: Mapping[str, Any],
        root: Path,
        index_path: Path | None,
        index_stat: os.stat_result | None = None,
    ) -> list[dict[str, Any]]:
        if index_path is not None and index_stat is None:
            with contextlib.suppress(OSError):
                index_stat = os.lstat(index_path)
        listing = extension_json(
            flow_details_from_data(flow, root) for flow in deployable_flows_data(data)
        )
        if self.write_index and index_path is not None and index_stat is not None:
            _write_listing(index_path, index_stat, str(root), listing)
        return listing

    def index(self) -> Index:
        """The project's index (validated models), brought up to date."""
        with fewer_collections():  # the index parsed and validated: a million objects or more
            return self.scan().index

    def list_flows(self) -> list[FlowDetails]:
        """Scan the project (incrementally) and return its deployable flows in index order.

        Works on the index's JSON data: listing a large project never validates every flow.
        """
        with fewer_collections():
            scan = self.scan()
            data = scan.data
            root = scan.root if scan.root is not None else Path(self.root_dir).resolve()
            return [flow_details_from_data(flow, root) for flow in deployable_flows_data(data)]


def deployable_flows_data(data: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The index's Prefect flows that can be deployed (loadable, with a static name)."""
    for flow in data["flows"]:
        if flow["deployable"] and flow["name"] is not None and flow["framework"] == "prefect":
            yield flow


#: Version of the listing file's format and content (bump when FlowDetails are built anew).
LISTING_FORMAT = 1


def listing_path(index_path: Path) -> Path:
    """Where the extension's listing of the index at `index_path` is kept."""
    return index_path.with_name(index_path.name + ".flows.json")


def _listing_key(index_stat: os.stat_result, root: str) -> dict[str, Any]:
    from acme_scan._version import __version__

    return {
        "format": LISTING_FORMAT,
        "sdk": __version__,
        "index": [index_stat.st_dev, index_stat.st_ino, index_stat.st_size, index_stat.st_mtime_ns],
        "root": root,
    }


def _read_listing(index_path: Path, root: str) -> list[dict[str, Any]] | None:
    """The kept listing when it was made for `root` from the index file as it is now.

    Read inside the root without following links, as the index itself (`acme_scan.confined`).
    """
    from acme_scan.confined import Folder
    from acme_scan.errors import AcmeScanError
    from acme_scan.index.store import parse_json

    try:
        with Folder(Path(root), index_path) as folder:
            index_stat = folder.lstat()
            if index_stat is None or not stat.S_ISREG(index_stat.st_mode):
                return None
            raw = folder.read(listing_path(index_path).name)
    except (OSError, AcmeScanError):
        return None
    header, _, body = raw.partition(b"\n")
    try:
        if parse_json(header, ORJSON_LISTING_FROM) != _listing_key(index_stat, root):
            return None
        listing = parse_json(body, ORJSON_LISTING_FROM)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past the stack
        return None
    return listing if isinstance(listing, list) else None


#: A kept listing of this many bytes and more is read with orjson; a smaller one with the
#: standard library's `json` (the runner has loaded it): loading orjson (~5 ms) would cost
#: a project of a few flows more than it saves.
ORJSON_LISTING_FROM = 1 << 20


def _write_listing(
    index_path: Path, index_stat: os.stat_result, root: str, listing: list[dict[str, Any]]
) -> None:
    """Keep `listing` next to the index: atomically, inside the root, never through a link
    (`acme_scan.confined`, as the index). A failure only costs speed."""
    import orjson

    from acme_scan.confined import Folder
    from acme_scan.errors import AcmeScanError

    data = orjson.dumps(_listing_key(index_stat, root)) + b"\n" + orjson.dumps(listing)
    try:
        with Folder(Path(root), index_path) as folder:
            folder.write_atomic(data, listing_path(index_path).name)
    except (OSError, AcmeScanError) as exc:
        logger.debug("cannot keep the flow listing next to %s: %s", index_path, exc)
