"""The four call sites of the acme-portal extension, through its runner protocol.

`python sdk_object_runner.py <module> <ClassName> <output_file> [kwargs_json]` runs with the
workspace as cwd, as the extension runs it (the runner is tests/sdk's copy of the
extension's); the Prefect implementations are configured in `.acme_portal_sdk/`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git
from tests.deploy.conftest import EXAMPLE_FLOWS, WORK_POOL
from tests.sdk.test_package import RUNNER

pytestmark = pytest.mark.usefixtures("prefect_server")

#: The extension's exec buffer holds 1 MiB for both streams; we print next to nothing.
MAX_STDERR = 4096

FILES = {
    "flow_finder.py": """
from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder

flow_finder = PrefectFlowFinder()
""",
    "deployment_finder.py": """
from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder

deployment_finder = PrefectDeploymentFinder(project_name="{project}")
""",
    "flow_deploy.py": """
from acme_portal_sdk.prefect.flow_deploy import PrefectDeployWorkflow

deploy = PrefectDeployWorkflow(env="dev", project_name="{project}", default_work_pool="{pool}")
""",
    "deployment_promote.py": """
from acme_portal_sdk.prefect.deployment_promote import PrefectPromoteWorkflow

promote = PrefectPromoteWorkflow(project_name="{project}")
""",
}


def workspace(root: Path, project: str) -> Path:
    config = root / ".acme_portal_sdk"
    config.mkdir(exist_ok=True)
    for name, text in FILES.items():
        (config / name).write_text(text.replace("{project}", project).replace("{pool}", WORK_POOL))
    (root / "sdk_object_runner.py").write_text(RUNNER)
    return root


def call(root: Path, module: str, class_name: str, kwargs: dict[str, Any] | None = None) -> Any:
    """Run one call as the extension does; its JSON result (or the error file's content)."""
    output = root / "out.json"
    error = root / "out_error.json"
    for path in (output, error):
        path.unlink(missing_ok=True)
    args = [sys.executable, "sdk_object_runner.py", module, class_name, str(output)]
    if kwargs is not None:
        args.append(json.dumps(kwargs))
    result = subprocess.run(args, cwd=root, capture_output=True, text=True, check=False)
    assert result.stdout == ""
    assert len(result.stderr) < MAX_STDERR, result.stderr
    if result.returncode != 0:
        return {"exit": result.returncode, **json.loads(error.read_text())}
    assert result.stderr == ""
    return json.loads(output.read_text())


def test_the_extension_call_sites(example_root: Path, project: str) -> None:
    root = workspace(example_root, project)
    flows = call(root, "flow_finder", "FlowFinder")
    assert [f["name"] for f in flows] == EXAMPLE_FLOWS
    hello = next(f for f in flows if f["name"] == "hello_world")

    url = call(
        root,
        "flow_deploy",
        "DeployWorkflow",
        {
            "flows_to_deploy": ["hello_world"],
            "ref": "main",
            "additional_context": hello["child_attributes"],
        },
    )
    assert isinstance(url, str)
    assert "/deployments/deployment/" in url

    deployments = [
        d
        for d in call(root, "deployment_finder", "DeploymentFinder")
        if d["project_name"] == project
    ]
    (dev,) = deployments
    assert dev["flow_name"] == hello["name"]  # the join the extension makes
    assert (dev["branch"], dev["env"]) == ("main", "dev")
    assert dev["commit_hash"] == git(root, "rev-parse", "HEAD").strip()
    assert url.endswith(dev["id"])
    assert dev["url"] == url

    url = call(
        root,
        "deployment_promote",
        "PromoteWorkflow",
        {
            "flows_to_deploy": ["hello_world"],
            "source_env": "dev",
            "target_env": "uat",
            "ref": "main",
            "additional_context": hello["child_attributes"],
        },
    )
    refetched = call(
        root,
        "deployment_finder",
        "DeploymentFinder",
        {"flows_to_fetch": [hello], "deployments_to_fetch": None},
    )
    ours = {d["env"]: d for d in refetched if d["project_name"] == project}
    assert set(ours) == {"dev", "uat"}
    assert ours["uat"]["url"] == url
    assert ours["uat"]["commit_hash"] == dev["commit_hash"]
    assert {d["flow_name"] for d in refetched} == {"hello_world"}

    failed = call(
        root,
        "deployment_promote",
        "PromoteWorkflow",
        {
            "flows_to_deploy": ["hello_world"],
            "source_env": "dev",
            "target_env": "dev",
            "ref": "main",
            "additional_context": {},
        },
    )
    assert failed["exit"] == 1
    assert failed["error_type"] == "SameEnvironmentError"
    assert "both 'dev'" in failed["error_message"]


def test_branches_with_dashes_survive_the_extension(example_root: Path, project: str) -> None:
    root = workspace(example_root, project)
    git(root, "checkout", "-q", "-b", "feature-x--y")
    url = call(
        root,
        "flow_deploy",
        "DeployWorkflow",
        {"flows_to_deploy": ["revenue"], "ref": "feature-x--y", "additional_context": {}},
    )
    assert isinstance(url, str)
    # The extension cuts the branch at its first "-" when promoting from its tree.
    promoted = call(
        root,
        "deployment_promote",
        "PromoteWorkflow",
        {
            "flows_to_deploy": ["revenue"],
            "source_env": "dev",
            "target_env": "uat",
            "ref": "feature",
            "additional_context": {},
        },
    )
    assert isinstance(promoted, str), promoted
    found = [
        d
        for d in call(root, "deployment_finder", "DeploymentFinder")
        if d["project_name"] == project
    ]
    assert sorted((d["branch"], d["env"]) for d in found) == [
        ("feature-x--y", "dev"),
        ("feature-x--y", "uat"),
    ]
