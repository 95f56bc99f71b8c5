"""Deploying Airflow DAGs: the extension's "deploy" action (see `release` for the model).

```python
# .acme_portal_sdk/flow_deploy.py
from acme_portal_sdk.airflow.flow_deploy import AirflowDeployWorkflow

deploy = AirflowDeployWorkflow(env="dev")   # the server: AIRFLOW_DEV_URL, or environments=
```

`AirflowFlowDeployer` keeps acme-portal-sdk 1.2.0's name and constructor arguments
(`airflow_url`, `username`, `password`). Constructing either contacts nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from acme_portal_sdk.airflow.client import DEFAULT_TIMEOUT
from acme_portal_sdk.airflow.environments import (
    AirflowEnvironment,
    EnvironmentsLike,
    environment_at,
    resolve_environment,
)
from acme_portal_sdk.airflow.release import ReleasePlan, apply, plan_release, resolve_commit
from acme_portal_sdk.flow_deploy import DeployInfo, DeployWorkflow, FlowDeployer

logger = logging.getLogger(__name__)

UNKNOWN_VERSION = "unversioned"
DEFAULT_REMOTE = "origin"


def project_dags(root: Path) -> list[dict[str, Any]]:
    """The index entries of the DAGs Airflow would register from the project at `root`."""
    from acme_portal_sdk.airflow.flow_finder import FRAMEWORK
    from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder

    data = PrefectFlowFinder(root).scan().data
    return [
        flow
        for flow in data["flows"]
        if flow.get("framework") == FRAMEWORK and flow["deployable"] and flow["name"]
    ]


def project_identity(
    root: Path, project_name: str | None, package_version: str | None
) -> tuple[str, str]:
    """The project's name and package version (arguments, else `pyproject.toml`, else git)."""
    from acme_portal_sdk import repository

    _, version = repository.project_metadata(root)
    return (
        project_name or repository.project_name(root),
        package_version or version or UNKNOWN_VERSION,
    )


class AirflowDeployWorkflow(DeployWorkflow):
    """Ships the project's code at git ref `ref` to environment `env`'s Airflow.

    `run(flows_to_deploy, ref, additional_context)` moves `env`'s deploy ref
    (`refs/heads/airflow/<env>` of `remote`, which the environment's GitDagBundle tracks)
    to the commit `ref` names (default: the checked-out commit, on its branch), records the
    release on the server and returns the URL of the first DAG. `plan(...)` says what it
    would do and changes nothing. Failures raise; nothing is half-done.
    """

    def __init__(
        self,
        *,
        root_dir: str | os.PathLike[str] = ".",
        env: str = "dev",
        environments: EnvironmentsLike | None = None,
        project_name: str | None = None,
        package_version: str | None = None,
        remote: str = DEFAULT_REMOTE,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.root_dir = root_dir
        self.env = env
        self.environments = environments
        self.project_name = project_name
        self.package_version = package_version
        self.remote = remote
        self.timeout = timeout

    def environment(self) -> AirflowEnvironment:
        return resolve_environment(self.env, self.environments, timeout=self.timeout)

    def plan(self, flows_to_deploy: Sequence[str], ref: str | None = None) -> ReleasePlan:
        """What `run` would do; reads the index, git and the server, writes nothing."""
        from acme_portal_sdk import repository

        root = Path(self.root_dir).absolute()
        branch = ref or repository.current_branch(root)
        commit = resolve_commit(root, ref) if ref else repository.commit_hash(root)
        project, version = project_identity(root, self.project_name, self.package_version)
        return plan_release(
            root=root,
            environment=self.environment(),
            project_dags=project_dags(root),
            dag_ids=list(flows_to_deploy),
            commit=commit,
            branch=branch,
            project=project,
            package_version=version,
            remote=self.remote,
        )

    def run(
        self,
        flows_to_deploy: list[str],
        ref: str | None = None,
        additional_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str | None:
        """Deploy; the URL of the first DAG on the environment's server."""
        return apply(self.plan(flows_to_deploy, ref))


class AirflowFlowDeployer(FlowDeployer):
    """acme-portal-sdk 1.2.0's deployer: deploys one DAG (`DeployInfo.flow_name`, else
    `name`) at the checked-out commit to the server at `airflow_url` (else `AIRFLOW_URL`),
    as environment `env`, by the model of `AirflowDeployWorkflow`.
    """

    def __init__(
        self,
        airflow_url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        token: str | None = None,
        env: str = "dev",
        root_dir: str | os.PathLike[str] = ".",
        project_name: str | None = None,
        remote: str = DEFAULT_REMOTE,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.airflow_url = airflow_url
        self.username = username
        self.password = password
        self.token = token
        self.env = env
        self.root_dir = root_dir
        self.project_name = project_name
        self.remote = remote
        self.timeout = timeout

    def environment(self) -> AirflowEnvironment:
        url = self.airflow_url or os.environ.get("AIRFLOW_URL")
        if not url:
            return resolve_environment(self.env, timeout=self.timeout)
        environment = environment_at(
            self.env,
            url,
            token=self.token,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
            url_variable=None if self.airflow_url else "AIRFLOW_URL",
        )
        return environment

    def deploy(self, flow_deploy_info: DeployInfo) -> None:
        """Deploy the DAG `flow_deploy_info` names; raises on any failure."""
        dag_id = flow_deploy_info.flow_name or flow_deploy_info.name
        workflow = AirflowDeployWorkflow(
            root_dir=self.root_dir,
            env=self.env,
            environments={self.env: self.environment()},
            project_name=self.project_name,
            remote=self.remote,
            timeout=self.timeout,
        )
        workflow.run([dag_id])
