"""GitHub Actions implementations of the deploy and promote workflows.

Importing this package runs nothing and imports neither Prefect nor the scanner.
"""

from acme_portal_sdk.github.cli import GitHubCli
from acme_portal_sdk.github.github_workflow import (
    GithubActionsDeployWorkflow,
    GithubActionsPromoteWorkflow,
)
from acme_portal_sdk.github.workflow_run import WorkflowDispatcher, WorkflowRun

__all__ = [
    "GitHubCli",
    "GithubActionsDeployWorkflow",
    "GithubActionsPromoteWorkflow",
    "WorkflowDispatcher",
    "WorkflowRun",
]
