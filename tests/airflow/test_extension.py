"""The extension's four call sites on the Airflow example project, through its runner.

The workspace is the example project (`examples/acme_airflow`, whose `.acme_portal_sdk/`
files are used unmodified) in a git repository whose `origin` the session's two Airflow
servers track; every call is a fresh interpreter running a copy of the extension's runner
script, with `AIRFLOW_DEV_URL` / `AIRFLOW_UAT_URL` and credentials in its environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.airflow.conftest import Servers
from tests.airflow.server import PASSWORD, USERNAME
from tests.conftest import git
from tests.sdk.test_package import RUNNER

DAGS = {"acme_daily_sales", "raw_orders", "weekly_revenue_report"}


def call(
    root: Path, servers: Servers, module: str, base: str, kwargs: dict[str, Any] | None = None
) -> Any:
    (root / "sdk_object_runner.py").write_text(RUNNER)
    args = [sys.executable, "sdk_object_runner.py", module, base, "out.json"]
    if kwargs is not None:
        args.append(json.dumps(kwargs))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_DEV_URL=servers["dev"].url,
        AIRFLOW_UAT_URL=servers["uat"].url,
        AIRFLOW_USERNAME=USERNAME,
        AIRFLOW_PASSWORD=PASSWORD,
    )
    result = subprocess.run(
        args, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    error = root / "out_error.json"
    assert result.returncode == 0, error.read_text() if error.exists() else result.stderr
    assert (result.stdout, result.stderr) == ("", ""), "the extension's buffers stay empty"
    return json.loads((root / "out.json").read_text())


def test_find_deploy_list_promote_as_the_extension_does(
    airflow_project: Path, airflow_servers: Servers
) -> None:
    root = airflow_project
    flows = call(root, airflow_servers, "flow_finder", "FlowFinder")
    by_name = {flow["name"]: flow for flow in flows}
    assert set(by_name) >= DAGS
    report = by_name["weekly_revenue_report"]
    assert report["description"] == "Revenue by region"
    assert (report["source_relative"], report["line_number"]) == ("dags/reports.py", 9)
    assert report["child_attributes"]["obj_name"] == "revenue"
    assert report["child_attributes"]["obj_type"] == "function"
    assert report["child_attributes"]["obj_parent"] == "dags.reports"
    assert by_name["acme_daily_sales"]["child_attributes"]["obj_name"] == "daily_sales"

    url = call(
        root,
        airflow_servers,
        "flow_deploy",
        "DeployWorkflow",
        {
            "flows_to_deploy": ["weekly_revenue_report"],
            "ref": "main",
            "additional_context": report["child_attributes"],
        },
    )
    assert url == f"{airflow_servers['dev'].url}/dags/weekly_revenue_report"
    head = git(root, "rev-parse", "main").strip()
    airflow_servers["dev"].process_dags()

    deployments = call(root, airflow_servers, "deployment_finder", "DeploymentFinder")
    assert isinstance(deployments, list)
    dev = {d["flow_name"]: d for d in deployments if d["env"] == "dev"}
    assert set(dev) >= DAGS
    assert set(dev) <= set(by_name)  # every deployment sits under one of its flows
    assert (
        dev["weekly_revenue_report"]["branch"],
        dev["weekly_revenue_report"]["commit_hash"],
    ) == (
        "main",
        head,
    )

    url = call(
        root,
        airflow_servers,
        "deployment_promote",
        "PromoteWorkflow",
        {
            "flows_to_deploy": ["weekly_revenue_report"],
            "source_env": "dev",
            "target_env": "uat",
            "ref": "main",
            "additional_context": report["child_attributes"],
        },
    )
    assert url == f"{airflow_servers['uat'].url}/dags/weekly_revenue_report"
    airflow_servers["uat"].process_dags()
    refreshed = call(
        root,
        airflow_servers,
        "deployment_finder",
        "DeploymentFinder",
        {"flows_to_fetch": [report], "deployments_to_fetch": None},
    )
    assert {(d["env"], d["commit_hash"]) for d in refreshed} == {("dev", head), ("uat", head)}
    assert {d["flow_name"] for d in refreshed} == {"weekly_revenue_report"}
