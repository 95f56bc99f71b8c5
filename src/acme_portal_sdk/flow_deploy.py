"""Deployment settings and the deploy workflow (the extension's "deploy" call)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acme_portal_sdk._arguments import fit_keywords
from acme_portal_sdk._records import record_from_dict, record_to_dict
from acme_portal_sdk._shell import shell_safe
from acme_scan._compat import Self


@dataclass
class DeployInfo:
    """What is needed to deploy one flow: how, where and when its runs execute.

    - `name`: the deployment's name; `flow_name`: the flow's `FlowDetails.name`.
    - `work_pool_name`: the pool of resources that runs the flow.
    - `work_queue_name`: the queue within the pool (its priority).
    - `parameters`: arguments given to the flow; `job_variables`: settings of the job.
    - `cron`: schedule; `paused`: create the deployment inactive.
    - `concurrency_limit`: how many runs may execute at once.
    - `description`: overrides the flow's description; `tags`: labels for filtering.
    """

    name: str
    flow_name: str
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    parameters: dict[str, Any] | None = None
    job_variables: dict[str, Any] | None = None
    cron: str | None = None
    paused: bool | None = False
    concurrency_limit: int | None = 1
    description: str | None = None
    tags: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a new JSON-ready dict."""
        return record_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a DeployInfo from a dict; unknown keys are ignored."""
        return record_from_dict(cls, data)


class DeployInfoPrep(ABC):
    """Prepares and validates the `DeployInfo` of the flows about to be deployed."""

    @abstractmethod
    def prep_deploy_info(self, *args: Any, **kwargs: Any) -> list[DeployInfo]:
        """Return one `DeployInfo` per deployment to create or update."""


class FlowDeployer(ABC):
    """Creates or updates one deployment in an execution environment."""

    @abstractmethod
    def deploy(self, flow_deploy_info: DeployInfo) -> None:
        """Deploy the flow described by `flow_deploy_info`."""


class DeployWorkflow(ABC):
    """The extension's "deploy" action; the extension calls an instance of it.

    The extension calls it with the keyword arguments `flows_to_deploy` (list of
    `FlowDetails.name`), `ref` (git ref) and `additional_context` (the flow's
    `child_attributes`), and expects a URL to follow the deployment, or None.
    Constructors run on every extension call: keep them cheap.
    """

    @abstractmethod
    def run(self, *args: Any, **kwargs: Any) -> str | None:
        """Deploy the flows and return a URL to follow the deployment, or None.

        Implementations declare the parameters they need, e.g.
        `run(self, flows_to_deploy: list[str], ref: str | None = None,
        additional_context: dict[str, Any] | None = None, **kwargs: Any)`.
        """

    def __call__(self, *args: Any, **kwargs: Any) -> str | None:
        """Call `run`; `additional_context` is dropped if `run` cannot accept it (1.x code).

        The URL returned is made `shell_safe` (no `` ` `` or `$`), like every result.
        """
        return shell_safe(self.run(*args, **fit_keywords(self.run, kwargs)))
