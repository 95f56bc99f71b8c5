"""Deploying Prefect flows: the extension's "deploy" action, done directly.

This module keeps acme-portal-sdk 1.x's import path for `PrefectDeployInfo`,
`PrefectDeployInfoPrep` and `PrefectFlowDeployer` (defined in `deploy_info` and `deployer`)
and adds `PrefectDeployWorkflow`, the `DeployWorkflow` a project's
`.acme_portal_sdk/flow_deploy.py` can instantiate:

```python
from acme_portal_sdk.prefect.flow_deploy import PrefectDeployWorkflow

deploy = PrefectDeployWorkflow(env="dev", default_work_pool="process-pool")
```

Importing it imports neither Prefect nor the scanner; constructing it does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acme_portal_sdk.flow_deploy import DeployWorkflow
from acme_portal_sdk.prefect.deploy_info import (
    DeployContext,
    PrefectDeployInfo,
    PrefectDeployInfoPrep,
)
from acme_portal_sdk.prefect.deployer import PrefectFlowDeployer

__all__ = [
    "DeployContext",
    "PrefectDeployInfo",
    "PrefectDeployInfoPrep",
    "PrefectDeployWorkflow",
    "PrefectFlowDeployer",
]

logger = logging.getLogger(__name__)

#: The package version written when neither the caller nor `pyproject.toml` gives one.
UNKNOWN_VERSION = "unversioned"


class PrefectDeployWorkflow(DeployWorkflow):
    """Deploys flows of the project at `root_dir` to environment `env` of the Prefect server.

    `run(flows_to_deploy, ref, additional_context)` deploys each flow (its
    `FlowDetails.name`) on branch `ref` (default: the checked-out branch) at the checked-out
    commit, with the project's name (`project_name`, else `[project] name` of
    `pyproject.toml`, else the folder's name), package version (`package_version`, else
    `[project] version`, else `unversioned`), image (`image_uri`, optional) and the deploy
    configuration. It returns the URL of the first deployment (the only one when, as from
    the extension, one flow is deployed); failures raise (see `PrefectFlowDeployer`).
    The working tree is what is deployed: the entrypoints and schemas come from scanning it.
    """

    def __init__(
        self,
        *,
        root_dir: str | Path = ".",
        env: str = "dev",
        project_name: str | None = None,
        image_uri: str | None = None,
        package_version: str | None = None,
        default_work_pool: str | None = None,
        static_flow_deploy_config: str | Path | None = None,
        env_vars: Mapping[str, str] | None = None,
    ) -> None:
        self.root_dir = Path(root_dir)
        self.env = env
        self.project_name = project_name
        self.image_uri = image_uri
        self.package_version = package_version
        self.default_work_pool = default_work_pool
        self.static_flow_deploy_config = static_flow_deploy_config
        self.env_vars = dict(env_vars or {})

    def context(self, ref: str | None = None) -> DeployContext:
        """The deploy context of the checked-out code, on branch `ref` (default: current)."""
        from acme_portal_sdk import repository

        root = self.root_dir.absolute()
        _, version = repository.project_metadata(root)
        branch = ref or repository.current_branch(root)
        current = None if ref is None else _current_branch_or_none(root)
        if current is not None and current != ref:
            logger.warning("deploying the working tree (branch %s) as branch %s", current, ref)
        return DeployContext(
            project_name=self.project_name or repository.project_name(root),
            branch_name=branch,
            commit_hash=repository.commit_hash(root),
            package_version=self.package_version or version or UNKNOWN_VERSION,
            env=self.env,
            image_uri=self.image_uri,
            env_vars=self.env_vars,
        )

    def run(
        self,
        flows_to_deploy: list[str],
        ref: str | None = None,
        additional_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str | None:
        """Deploy the flows; the URL of the first deployment."""
        context = self.context(ref)
        prep = PrefectDeployInfoPrep(
            self.static_flow_deploy_config,
            self.default_work_pool,
            root_dir=self.root_dir.absolute(),
        )
        infos = prep.prep_deploy_info(
            project_name=context.project_name,
            branch_name=context.branch_name,
            commit_hash=context.commit_hash,
            image_uri=context.image_uri,
            package_version=context.package_version,
            env=context.env,
            flows_to_deploy=flows_to_deploy,
            env_vars=context.env_vars,
        )
        report = PrefectFlowDeployer().deploy_all(infos)
        return report.urls[0] if report.urls else None


def _current_branch_or_none(root: Path) -> str | None:
    from acme_portal_sdk import repository
    from acme_portal_sdk.errors import GitError

    try:
        return repository.current_branch(root)
    except GitError:
        return None
