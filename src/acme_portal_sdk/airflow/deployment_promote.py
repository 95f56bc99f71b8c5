"""Promoting Airflow DAGs: the extension's "promote" action (see `release` for the model).

Promotion deploys to the target environment the very commit the source environment's
DAGs run (their `bundle_version`), with the branch and package version of the source's
release record.

```python
# .acme_portal_sdk/deployment_promote.py
from acme_portal_sdk.airflow.deployment_promote import AirflowPromoteWorkflow

promote = AirflowPromoteWorkflow()   # servers: AIRFLOW_<ENV>_URL, or environments=
```

`AirflowDeploymentPromote` keeps acme-portal-sdk 1.2.0's name and constructor arguments.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from acme_portal_sdk import repository
from acme_portal_sdk.airflow.client import DEFAULT_TIMEOUT
from acme_portal_sdk.airflow.environments import (
    AirflowEnvironment,
    EnvironmentsLike,
    resolve_environment,
)
from acme_portal_sdk.airflow.flow_deploy import DEFAULT_REMOTE, project_dags, project_identity
from acme_portal_sdk.airflow.release import ReleasePlan, apply, plan_release, source_release
from acme_portal_sdk.airflow.remote import remote_git
from acme_portal_sdk.deployment_promote import DeploymentPromote, PromoteWorkflow
from acme_portal_sdk.errors import GitError, ReleaseError, SameEnvironmentError


class AirflowPromoteWorkflow(PromoteWorkflow):
    """Promotes DAGs from `source_env`'s Airflow to `target_env`'s.

    `ref` is the branch the source must be running (the extension sends the branch of the
    tree item, cut at its first `-`: a recorded branch starting with `ref-` is accepted
    too); None accepts any. `plan(...)` is the dry run.
    """

    def __init__(
        self,
        *,
        root_dir: str | os.PathLike[str] = ".",
        environments: EnvironmentsLike | None = None,
        project_name: str | None = None,
        remote: str = DEFAULT_REMOTE,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.root_dir = root_dir
        self.environments = environments
        self.project_name = project_name
        self.remote = remote
        self.timeout = timeout

    def _environment(self, name: str) -> AirflowEnvironment:
        return resolve_environment(name, self.environments, timeout=self.timeout)

    def plan(
        self,
        flows_to_deploy: Sequence[str],
        source_env: str,
        target_env: str,
        ref: str | None = None,
    ) -> ReleasePlan:
        """What `run` would do; reads both servers, git and the index, writes nothing."""
        if source_env == target_env:
            raise SameEnvironmentError(
                f"cannot promote from {source_env!r} to itself: name two environments"
            )
        root = Path(self.root_dir).absolute()
        project, version = project_identity(root, self.project_name, None)
        source = self._environment(source_env)
        target = self._environment(target_env)
        dags = project_dags(root)
        commit, record = source_release(source, project, list(flows_to_deploy))
        branch = record.branch if record and record.commit == commit else None
        if (
            ref is not None
            and branch is not None
            and not (branch == ref or branch.startswith(f"{ref}-"))
        ):
            raise ReleaseError(
                f"{source_env} runs branch {branch} (commit {commit[:12]}), not {ref}: "
                "promote that branch, or deploy the one you mean first"
            )
        _fetch_if_missing(root, self.remote, source, commit)
        return plan_release(
            root=root,
            environment=target,
            project_dags=dags,
            dag_ids=list(flows_to_deploy),
            commit=commit,
            branch=branch or ref or "unknown",
            project=project,
            package_version=record.package_version if record and branch else version,
            remote=self.remote,
            source=f"{source_env} ({source.url}) at {commit[:12]}",
        )

    def run(
        self,
        flows_to_deploy: list[str],
        source_env: str,
        target_env: str,
        ref: str | None = None,
        additional_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str | None:
        """Promote; the URL of the first DAG on the target's server."""
        return apply(self.plan(flows_to_deploy, source_env, target_env, ref))


def _fetch_if_missing(root: Path, remote: str, source: AirflowEnvironment, commit: str) -> None:
    """Make sure the commit to ship is in the local repository (fetch the source's ref)."""
    try:
        repository.git(root, "cat-file", "-e", f"{commit}^{{commit}}")
        return
    except GitError:
        pass
    remote_git(root, remote, "fetch", "--quiet", "--", "{url}", source.ref)
    try:
        repository.git(root, "cat-file", "-e", f"{commit}^{{commit}}")
    except GitError as exc:
        raise ReleaseError(
            f"commit {commit[:12]}, which {source.name} runs, is not in {remote} "
            f"{source.ref}: cannot promote it"
        ) from exc


class AirflowDeploymentPromote(DeploymentPromote):
    """acme-portal-sdk 1.2.0's promoter, with its constructor arguments: the source and
    target servers (else `AIRFLOW_SOURCE_URL` / `AIRFLOW_TARGET_URL`, and 1.2.0's
    credential variables). `promote(...)` checks `branch_name` as `AirflowPromoteWorkflow`
    checks `ref`, and raises on any failure (1.2.0 printed and went on).
    """

    def __init__(
        self,
        source_airflow_url: str | None = None,
        target_airflow_url: str | None = None,
        source_username: str | None = None,
        source_password: str | None = None,
        target_username: str | None = None,
        target_password: str | None = None,
        *,
        source_token: str | None = None,
        target_token: str | None = None,
        root_dir: str | os.PathLike[str] = ".",
        remote: str = DEFAULT_REMOTE,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.source_airflow_url = source_airflow_url
        self.target_airflow_url = target_airflow_url
        self.source_username = source_username
        self.source_password = source_password
        self.target_username = target_username
        self.target_password = target_password
        self.source_token = source_token
        self.target_token = target_token
        self.root_dir = root_dir
        self.remote = remote
        self.timeout = timeout

    def _environment(self, side: str, name: str) -> AirflowEnvironment:
        upper = side.upper()
        url = getattr(self, f"{side}_airflow_url") or os.environ.get(f"AIRFLOW_{upper}_URL")
        if not url:
            return resolve_environment(name, timeout=self.timeout)
        return AirflowEnvironment(
            name=name,
            url=url,
            token=getattr(self, f"{side}_token") or os.environ.get(f"AIRFLOW_{upper}_TOKEN"),
            username=getattr(self, f"{side}_username")
            or os.environ.get(f"AIRFLOW_{upper}_USERNAME"),
            password=getattr(self, f"{side}_password")
            or os.environ.get(f"AIRFLOW_{upper}_PASSWORD"),
            timeout=self.timeout,
        )

    def promote(
        self,
        project_name: str,
        branch_name: str,
        source_env: str,
        target_env: str,
        flows_to_deploy: list[str],
    ) -> None:
        """Promote the DAGs; raises on any failure."""
        workflow = AirflowPromoteWorkflow(
            root_dir=self.root_dir,
            environments={
                source_env: self._environment("source", source_env),
                target_env: self._environment("target", target_env),
            },
            project_name=project_name,
            remote=self.remote,
            timeout=self.timeout,
        )
        workflow.run(flows_to_deploy, source_env, target_env, branch_name)
