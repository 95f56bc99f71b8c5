"""The Airflow recogniser against Airflow itself: DagBag in Airflow's own environment.

`tests/fixtures/airflow/` holds DAG files of every spelling the scanner knows, the ways a
DAG is or is not registered, dynamic ids, and files that fail to import. A subprocess of the
pinned Airflow environment loads the folder with DagBag (`dagbag_oracle.py`); the test
compares what it registers with the scanner's deployable DAGs: the same dag_ids per file
(nothing missed but DAGs whose dag_id the scanner reports as dynamic, nothing extra), and
for each the line, description, tags and schedule.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from acme_scan import scan_source
from acme_scan.models import Flow
from tests.airflow.server import COMMAND_TIMEOUT

FIXTURES = Path(__file__).parent.parent / "fixtures" / "airflow"
HARNESS = Path(__file__).parent / "dagbag_oracle.py"
#: What Airflow 3 turns a `schedule` string into (`CronTriggerTimetable` for cron
#: expressions and their presets).
PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
SPECIAL = {"@once": "OnceTimetable", "@continuous": "ContinuousTimetable"}

Registered = dict[tuple[str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def oracle(airflow_python: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("dagbag") / "dags"
    shutil.copytree(FIXTURES, folder)
    output = folder.parent / "dagbag.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(folder.parent / "home")
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    result = subprocess.run(
        [str(airflow_python), str(HARNESS), str(folder), str(output)],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data: dict[str, Any] = json.loads(output.read_text())
    return data


def scanned() -> dict[str, list[Flow]]:
    found = {}
    for path in sorted(FIXTURES.rglob("*.py")):
        rel = path.relative_to(FIXTURES).as_posix()
        result = scan_source(path.read_bytes(), rel)
        assert result.status == "parsed", (rel, result.diagnostics)
        found[rel] = [f for f in result.flows if f.framework == "airflow"]
    return found


def scanner_registered() -> tuple[dict[tuple[str, str], Flow], dict[str, set[str]]]:
    """Deployable DAGs by (path, dag_id), the first file winning a dag_id as in DagBag; and
    the codes reported per file."""
    registered: dict[tuple[str, str], Flow] = {}
    owners: dict[str, str] = {}
    reported: dict[str, set[str]] = {}
    for rel in sorted(FIXTURES.rglob("*.py")):
        path = rel.relative_to(FIXTURES).as_posix()
        result = scan_source(rel.read_bytes(), path)
        reported[path] = {d.code for d in result.diagnostics}
        for flow in result.flows:
            if flow.framework != "airflow" or not flow.deployable or flow.name is None:
                continue
            if owners.setdefault(flow.name, path) != path:
                continue  # DagBag: "also found in" the first file (AS204 reports it)
            registered[(path, flow.name)] = flow
    return registered, reported


def oracle_registered(oracle: dict[str, Any]) -> Registered:
    return {(dag["path"], dag["dag_id"]): dag for dag in oracle["dags"]}


def test_the_same_dags_are_registered(oracle: dict[str, Any]) -> None:
    ours, reported = scanner_registered()
    theirs = oracle_registered(oracle)
    extra = sorted(set(ours) - set(theirs))
    assert not extra, f"the scanner registers DAGs DagBag does not: {extra}"
    missed = sorted(set(theirs) - set(ours))
    unexplained = [key for key in missed if "AS402" not in reported[key[0]]]
    assert not unexplained, f"DagBag registers DAGs the scanner misses: {unexplained}"
    assert len(ours) >= 35  # the fixtures are not vacuous


def test_files_that_fail_to_import_register_nothing(oracle: dict[str, Any]) -> None:
    ours, reported = scanner_registered()
    for path, error in oracle["import_errors"].items():
        if "AirflowDagDuplicatedIdException" in error:
            continue  # only the duplicate is dropped; AS204 reports it
        assert not [key for key in ours if key[0] == path], (path, error)
        assert reported[path] & {"AS401", "AS405"}, (path, reported[path])


@pytest.mark.parametrize("aspect", ["line", "description", "tags", "schedule"])
def test_each_dag_is_described_as_airflow_does(oracle: dict[str, Any], aspect: str) -> None:
    ours, _ = scanner_registered()
    theirs = oracle_registered(oracle)
    differences = []
    for key, flow in sorted(ours.items()):
        dag = theirs[key]
        mine: object
        truth: object
        if aspect == "line":
            mine, truth = flow.line, dag["line"]
        elif aspect == "description":
            mine, truth = flow.description, dag["description"]
        elif aspect == "tags":
            tags = flow.kwargs.get("tags")
            if tags is not None and tags.dynamic:
                continue
            mine, truth = sorted(tags.value) if tags is not None else [], dag["tags"]
        else:
            schedule = flow.kwargs.get("schedule")
            if schedule is not None and schedule.dynamic:
                continue
            mine = expected_timetable(schedule.value if schedule is not None else None)
            truth = (dag["timetable"].rsplit(".", 1)[-1], dag["schedule"])
        if mine != truth:
            differences.append((key, mine, truth))
    assert not differences


def expected_timetable(schedule: object) -> tuple[str, str | None]:
    """(timetable class, cron expression) Airflow makes of a literal `schedule`."""
    if schedule is None:
        return "NullTimetable", None
    assert isinstance(schedule, str)
    if schedule in SPECIAL:
        return SPECIAL[schedule], None
    return "CronTriggerTimetable", PRESETS.get(schedule, schedule)
