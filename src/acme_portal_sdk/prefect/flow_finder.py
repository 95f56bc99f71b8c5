"""`PrefectFlowFinder`: the project's Prefect flows, found statically by acme-scan.

The finder scans lazily, on each call (its constructor does no I/O), with
`acme_scan.project.scan_project`, which keeps an index file (`.acme_scan/index.json` by
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

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acme_portal_sdk.flow_finder import FlowDetails, FlowFinder

if TYPE_CHECKING:
    from acme_scan.models import Flow, Index
    from acme_scan.project import ProjectScan

logger = logging.getLogger(__name__)

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
        from acme_scan.project import scan_project

        try:
            if self.write_index:
                try:
                    return scan_project(self.root_dir)
                except IndexFileError as exc:
                    logger.debug("scanning without writing the index: %s", exc)
            return scan_project(self.root_dir, write=False)
        except AcmeScanError as exc:
            raise InputError(f"cannot scan the project's flows: {exc}") from exc

    def index(self) -> Index:
        """The project's index (validated models), brought up to date."""
        return self.scan().index

    def list_flows(self) -> list[FlowDetails]:
        """Scan the project (incrementally) and return its deployable flows in index order.

        Works on the index's JSON data: listing a large project never validates every flow.
        """
        data = self.scan().data
        root = Path(data["root"])
        return [
            flow_details_from_data(flow, root)
            for flow in data["flows"]
            if flow["deployable"] and flow["name"] is not None and flow["framework"] == "prefect"
        ]
