"""`AirflowFlowFinder`: the project's Airflow DAGs, found statically by acme-scan.

Like `PrefectFlowFinder`, it scans lazily on each call with the incremental index
(`.acme_scan/index.json`), never imports the project's code or Airflow, and prints nothing.
Each index entry with `framework` `"airflow"` that Airflow would register (`deployable`,
a known dag_id) becomes a `FlowDetails`:

- `name` and `original_name`: the dag_id, as written (Airflow has no second spelling, and
  `flow_name` of a deployment is the dag_id too, so deployments join their DAGs);
- `description`: Airflow's `description=`, `""` without one (a docstring is `doc_md`);
- `id`: the scanner's stable id; `source_path`, `line_number` (the `def` line of a `@dag`
  function, the line of the statement that makes a `DAG(...)`), `source_relative`,
  `grouping` as for Prefect;
- `child_attributes`: `obj_type` (`function` for `@dag`/`@asset`, `dag` otherwise, as
  1.2.0), `obj_name` (the function or variable, `""` when none), `obj_parent_type` and
  `obj_parent` (`module` and the module, or `class` and the class, as 1.2.0), `module`,
  `import_path`, and `dag_id`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acme_portal_sdk.flow_finder import FlowDetails, FlowFinder
from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder, module_path
from acme_scan._collector import fewer_collections

FRAMEWORK = "airflow"


def dag_details_from_data(flow: Mapping[str, Any], root: Path) -> FlowDetails:
    """The `FlowDetails` of an index entry of a DAG (JSON data, no validation)."""
    dag_id = flow["name"]
    if dag_id is None:
        raise ValueError(f"{flow['path']}:{flow['line']}: the dag_id is unknown statically")
    path: str = flow["path"]
    module = module_path(path)
    qualname = flow.get("qualname") or ""
    kind = flow.get("form")
    is_method = bool(flow.get("is_method"))
    return FlowDetails(
        name=dag_id,
        original_name=dag_id,
        description=flow.get("description") or "",
        id=flow["id"],
        source_path=os.path.join(root, *path.split("/")),
        source_relative=path,
        line_number=flow["line"],
        grouping=path.split("/")[:-1],
        child_attributes={
            "obj_type": "function" if kind in ("dag_decorator", "asset") else "dag",
            "obj_name": qualname,
            "obj_parent_type": "class" if is_method else "module",
            "obj_parent": qualname.rsplit(".", 1)[0] if is_method else module,
            "module": module,
            "import_path": f"{root.name}.{module}" if root.name else module,
            "dag_id": dag_id,
        },
    )


class AirflowFlowFinder(FlowFinder):
    """Lists the DAGs Airflow would register from the project under `root_dir`.

    `root_dir` (1.2.0's only argument) is resolved when the finder is called; with
    `write_index=False` the index file is read when present but never written.
    """

    def __init__(self, root_dir: str | os.PathLike[str] = ".", *, write_index: bool = True) -> None:
        self.root_dir = root_dir
        self.write_index = write_index

    def list_flows(self) -> list[FlowDetails]:
        """Scan the project (incrementally) and return its DAGs in index order."""
        with fewer_collections():  # a parsed index is a million objects, none in a cycle
            scan = PrefectFlowFinder(self.root_dir, write_index=self.write_index).scan()
            data = scan.data
            root = scan.root if scan.root is not None else Path(self.root_dir).resolve()
            return [
                dag_details_from_data(flow, root)
                for flow in data["flows"]
                if flow.get("framework") == FRAMEWORK and flow["deployable"] and flow["name"]
            ]
