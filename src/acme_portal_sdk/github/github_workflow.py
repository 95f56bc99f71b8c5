"""Deploy and promote through GitHub Actions (acme-portal-sdk 1.x's workflows, same inputs).

A project's `.acme_portal_sdk/flow_deploy.py` and `deployment_promote.py` can instantiate:

```python
from acme_portal_sdk.github import GithubActionsDeployWorkflow, GithubActionsPromoteWorkflow

deploy = GithubActionsDeployWorkflow()      # dispatches .github/workflows/deploy.yml
promote = GithubActionsPromoteWorkflow()    # dispatches .github/workflows/promote.yml
```

`deploy.yml` receives the input `flows-to-deploy` (comma-separated `FlowDetails.name`s);
`promote.yml` also `source-env` and `target-env`. Both are dispatched on `ref` with the
`gh` CLI (an argument list, never a shell string) and `run` returns the URL of the run that
dispatch started (see `acme_portal_sdk.github.workflow_run`). Failures raise
`GitHubWorkflowError` (1.x printed them and returned None). Constructors run nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from acme_portal_sdk.deployment_promote import PromoteWorkflow
from acme_portal_sdk.errors import InputError, SameEnvironmentError
from acme_portal_sdk.flow_deploy import DeployWorkflow
from acme_portal_sdk.github.cli import GitHubCli
from acme_portal_sdk.github.workflow_run import WorkflowDispatcher


def flows_input(flows: Sequence[str]) -> str:
    """The `flows-to-deploy` input: the flow names joined by commas."""
    names = [name.strip() for name in flows]
    if not names or not all(names):
        raise InputError("no flows to deploy: give at least one non-empty flow name")
    if any("," in name for name in names):
        raise InputError(f"flow names cannot contain ',': {names}")
    return ",".join(names)


class _GitHubWorkflow:
    def __init__(
        self,
        workflow_file: str,
        default_ref: str | None,
        gh: str,
        cwd: str | os.PathLike[str] | None,
        timeout: float,
        poll_interval: float,
    ) -> None:
        self.workflow_file = workflow_file
        self.default_ref = default_ref
        self.gh = gh
        self.cwd = cwd
        self.timeout = timeout
        self.poll_interval = poll_interval

    def dispatcher(self) -> WorkflowDispatcher:
        return WorkflowDispatcher(
            GitHubCli(self.gh, cwd=self.cwd),
            timeout=self.timeout,
            poll_interval=self.poll_interval,
        )


class GithubActionsDeployWorkflow(_GitHubWorkflow, DeployWorkflow):
    """Deploys by dispatching `workflow_file` (default `deploy.yml`) on `ref`.

    `ref` defaults to `default_ref` (`main`). `timeout` bounds the wait for the run.
    """

    def __init__(
        self,
        workflow_file: str = "deploy.yml",
        default_ref: str = "main",
        *,
        gh: str = "gh",
        cwd: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
        poll_interval: float = 2.0,
    ) -> None:
        super().__init__(workflow_file, default_ref, gh, cwd, timeout, poll_interval)

    def run(
        self,
        flows_to_deploy: list[str],
        ref: str | None = None,
        additional_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str | None:
        """Dispatch the deploy workflow; the URL of its run (None if it did not show up)."""
        inputs = {"flows-to-deploy": flows_input(flows_to_deploy)}
        return self.dispatcher().dispatch(
            self.workflow_file, ref or self.default_ref or "main", inputs
        )


class GithubActionsPromoteWorkflow(_GitHubWorkflow, PromoteWorkflow):
    """Promotes by dispatching `workflow_file` (default `promote.yml`) on `ref`.

    `source_env`, `target_env` and `ref` are required (as in 1.x).
    """

    def __init__(
        self,
        workflow_file: str = "promote.yml",
        *,
        gh: str = "gh",
        cwd: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
        poll_interval: float = 2.0,
    ) -> None:
        super().__init__(workflow_file, None, gh, cwd, timeout, poll_interval)

    def run(
        self,
        flows_to_deploy: list[str],
        source_env: str | None = None,
        target_env: str | None = None,
        ref: str | None = None,
        additional_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str | None:
        """Dispatch the promote workflow; the URL of its run (None if it did not show up)."""
        if not source_env or not target_env or not ref:
            raise InputError("source_env, target_env and ref are required to promote")
        if source_env == target_env:
            raise SameEnvironmentError(
                f"the source and target environments are both {source_env!r}"
            )
        inputs = {
            "flows-to-deploy": flows_input(flows_to_deploy),
            "source-env": source_env,
            "target-env": target_env,
        }
        return self.dispatcher().dispatch(self.workflow_file, ref, inputs)
