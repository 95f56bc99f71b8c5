"""Run by Airflow's own interpreter (never imported by the tests): what DagBag registers.

    python dagbag_oracle.py FOLDER OUTPUT

loads FOLDER with Airflow's `DagBag` (safe_mode off: every `.py` file is imported, so the
prefilter is tested separately) and writes one JSON object to OUTPUT (Airflow logs to
stdout): `dags`, sorted by dag_id, each
with `dag_id`, `path` (relative to FOLDER), `line`, `description`, `doc_md`, `timetable`
(the serialized timetable's class and arguments), `tags` (sorted), `schedule` (the
serialized timetable's `expression` when it has one); and `import_errors` (relative path:
last line of the error).

`line` is where the DAG was made, recorded by wrapping `DAG.__init__`: for a `@dag`
or `@asset` function, the line of its `def` (the function Airflow's decorator wraps); otherwise the
line of the innermost frame in FOLDER, i.e. the statement constructing the `DAG(...)`.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from types import FrameType


def main() -> None:
    folder = Path(sys.argv[1]).resolve()
    warnings.simplefilter("ignore")
    from airflow.sdk import DAG
    from airflow.sdk.definitions import dag as dag_module

    lines: dict[int, tuple[str, int]] = {}
    original_init = DAG.__init__

    def def_line(function: object) -> int | None:
        code = getattr(function, "__code__", None)
        if code is None:
            return None
        source = Path(code.co_filename).read_text().splitlines()
        for number in range(code.co_firstlineno, len(source) + 1):
            text = source[number - 1].lstrip()
            if text.startswith(("def ", "async def ")):
                return number
        return None

    def recording_init(self: DAG, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            filename = frame.f_code.co_filename
            function = None
            if frame.f_code.co_name == "factory" and filename == dag_module.__file__:
                function = frame.f_locals.get("f")
            elif frame.f_code.co_name == "__attrs_post_init__":
                function = getattr(frame.f_locals.get("self"), "_function", None)
            if function is not None:
                line = def_line(function)
                code = getattr(function, "__code__", None)
                if line is not None and code is not None:
                    lines[id(self)] = (code.co_filename, line)
                    return
            if filename.startswith(str(folder) + os.sep):
                lines[id(self)] = (filename, frame.f_lineno)
                return
            frame = frame.f_back

    DAG.__init__ = recording_init

    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    bag = DagBag(dag_folder=str(folder), safe_mode=False)
    dags = []
    for dag_id in sorted(bag.dags):
        dag = bag.dags[dag_id]
        data = DagSerialization.to_dict(dag)["dag"]
        timetable = data.get("timetable") or {}
        values = list(timetable.values()) if isinstance(timetable, dict) else []
        kind = next((v for v in values if isinstance(v, str)), None)
        arguments = next((v for v in values if isinstance(v, dict)), {})
        where = lines.get(id(dag))
        dags.append(
            {
                "dag_id": dag_id,
                "path": os.path.relpath(dag.fileloc, folder),
                "line": where[1] if where else None,
                "description": dag.description,
                "doc_md": dag.doc_md,
                "timetable": kind,
                "schedule": arguments.get("expression"),
                "tags": sorted(dag.tags),
            }
        )
    errors = {
        os.path.relpath(path, folder): message.strip().splitlines()[-1]
        for path, message in bag.import_errors.items()
    }
    Path(sys.argv[2]).write_text(json.dumps({"dags": dags, "import_errors": errors}))


if __name__ == "__main__":
    main()
