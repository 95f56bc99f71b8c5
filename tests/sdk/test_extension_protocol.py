"""The extension's flow listing end to end: the runner protocol over PrefectFlowFinder.

A temporary workspace holds a copy of the example project and `.acme_portal_sdk/` with the
real `PrefectFlowFinder` and stubs of the other three files; every call goes through a copy
of the extension's runner script in a fresh interpreter, as the extension makes it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.sdk.test_package import RUNNER

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "acme_prefect"

CONFIG = {
    "flow_finder.py": (
        "from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder\n"
        "flow_finder = PrefectFlowFinder('.')\n"
    ),
    "deployment_finder.py": (
        "from acme_portal_sdk import DeploymentFinder\n"
        "class Stub(DeploymentFinder):\n"
        "    def list_deployments(self):\n"
        "        return []\n"
        "deployment_finder = Stub()\n"
    ),
    "flow_deploy.py": (
        "from acme_portal_sdk import DeployWorkflow\n"
        "class Stub(DeployWorkflow):\n"
        "    def run(self, flows_to_deploy, ref, additional_context=None):\n"
        "        return None\n"
        "deploy = Stub()\n"
    ),
    "deployment_promote.py": (
        "from acme_portal_sdk import PromoteWorkflow\n"
        "class Stub(PromoteWorkflow):\n"
        "    def run(self, flows_to_deploy, source_env, target_env, ref,\n"
        "            additional_context=None):\n"
        "        return None\n"
        "promote = Stub()\n"
    ),
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__"))
    config = root / ".acme_portal_sdk"
    config.mkdir(exist_ok=True)
    for name, text in CONFIG.items():
        (config / name).write_text(text)
    (root / "sdk_object_runner.py").write_text(RUNNER)
    return root


def run(root: Path, kwargs: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "sdk_object_runner.py", "flow_finder", "FlowFinder", "out.json"]
    if kwargs is not None:
        args.append(json.dumps(kwargs))
    return subprocess.run(args, cwd=root, capture_output=True, text=True, check=False)


def listing(root: Path, kwargs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    result = run(root, kwargs)
    assert result.returncode == 0, (root / "out_error.json").read_text()
    assert (result.stdout, result.stderr) == ("", ""), "the extension's buffers stay empty"
    flows = json.loads((root / "out.json").read_text())
    assert isinstance(flows, list)
    return flows


def test_listing_refresh_groups_and_stable_ids(workspace: Path) -> None:
    flows = listing(workspace)
    by_name = {flow["name"]: flow for flow in flows}
    assert sorted(by_name) == [
        "acme_backfill_sales",
        "acme_daily_sales",
        "churn_report",
        "hello_world",
        "revenue",
    ]
    hello = by_name["hello_world"]
    assert hello["original_name"] == "hello-world"
    assert hello["source_path"] == str(workspace / "flows" / "hello_world.py")
    assert hello["source_relative"] == "flows/hello_world.py"
    assert hello["line_number"] == 12
    assert hello["grouping"] == ["flows"]
    assert hello["description"].startswith("Greet someone.")
    assert hello["child_attributes"]["obj_name"] == "hello_world"
    assert hello["child_attributes"]["entrypoint"] == "flows/hello_world.py:hello_world"
    revenue = by_name["revenue"]
    assert revenue["child_attributes"]["obj_name"] == "Reports.revenue"
    assert revenue["grouping"] == ["flows", "reports"]
    assert len({flow["id"] for flow in flows}) == len(flows)

    # A second run (warm index) gives the same ids: the tree merges instead of duplicating.
    assert listing(workspace) == flows

    # Refresh: the extension sends back FlowDetails dicts it got, with keys of its own.
    refreshed = listing(workspace, {"flows_to_fetch": [{**hello, "collapsed": True}]})
    assert refreshed == [hello]

    # Group refresh: the flows under one folder.
    grouped = listing(workspace, {"flows_to_fetch": None, "flow_groups": ["reports"]})
    assert sorted(flow["name"] for flow in grouped) == ["churn_report", "revenue"]

    # An edit shows up on the next listing, with the same id.
    source = workspace / "flows" / "hello_world.py"
    source.write_text(source.read_text().replace("@flow(log_prints=True)", "@flow(name='hi')"))
    renamed = {flow["id"]: flow for flow in listing(workspace)}
    assert renamed[hello["id"]]["original_name"] == "hi"


def test_broken_user_module_writes_the_error_file(workspace: Path) -> None:
    (workspace / ".acme_portal_sdk" / "flow_finder.py").write_text("import does_not_exist\n")
    result = run(workspace)
    assert result.returncode == 1
    error = json.loads((workspace / "out_error.json").read_text())
    assert error["error_type"] == "ModuleNotFoundError"
    assert error["module_name"] == "flow_finder"
    assert error["class_name"] == "FlowFinder"
    assert "does_not_exist" in error["traceback"]


def test_a_broken_flow_file_does_not_break_the_listing(workspace: Path) -> None:
    (workspace / "flows" / "broken.py").write_text("from prefect import flow\n@flow\ndef (:\n")
    names = {flow["name"] for flow in listing(workspace)}
    assert "hello_world" in names
