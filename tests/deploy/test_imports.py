"""Importing the SDK (any module of it) and building its objects never imports Prefect."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

CODE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    import acme_portal_sdk

    modules = [m.name for m in pkgutil.walk_packages(acme_portal_sdk.__path__, "acme_portal_sdk.")]
    for name in modules:
        importlib.import_module(name)

    from acme_portal_sdk.github import GithubActionsDeployWorkflow, GithubActionsPromoteWorkflow
    from acme_portal_sdk.prefect.deploy_info import PrefectDeployInfoPrep
    from acme_portal_sdk.prefect.deployer import PrefectFlowDeployer
    from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder
    from acme_portal_sdk.prefect.deployment_promote import (
        PrefectDeploymentPromote, PrefectPromoteWorkflow,
    )
    from acme_portal_sdk.prefect.flow_deploy import PrefectDeployWorkflow
    from acme_portal_sdk.prefect.local_server import LocalPrefectServer

    objects = [
        PrefectDeploymentFinder(), PrefectDeployWorkflow(), PrefectPromoteWorkflow(),
        PrefectDeploymentPromote(), PrefectFlowDeployer(), PrefectDeployInfoPrep("missing.yaml"),
        GithubActionsDeployWorkflow(gh="/nonexistent/gh"), GithubActionsPromoteWorkflow(),
        LocalPrefectServer("never-created"),
    ]
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("prefect", "httpx"))
    print(json.dumps({"modules": len(modules), "loaded": loaded}))
    """
)


def test_no_prefect_on_import_or_construction(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CODE], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["modules"] > 20
    assert report["loaded"] == []
    assert not (tmp_path / "never-created").exists()
