"""Promotion of deployments between environments (the extension's "promote" call)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from acme_portal_sdk._arguments import fit_keywords
from acme_portal_sdk._shell import shell_safe


class DeploymentPromote(ABC):
    """Promotes the deployments of flows from one environment to another (e.g. dev -> prod)."""

    @abstractmethod
    def promote(
        self,
        project_name: str,
        branch_name: str,
        source_env: str,
        target_env: str,
        flows_to_deploy: list[str],
    ) -> None:
        """Recreate in `target_env` the `source_env` deployments of `flows_to_deploy`."""


class PromoteWorkflow(ABC):
    """The extension's "promote" action; the extension calls an instance of it.

    The extension calls it with the keyword arguments `flows_to_deploy` (list of
    `FlowDetails.name`), `source_env`, `target_env`, `ref` (git ref) and
    `additional_context` (the flow's `child_attributes`), and expects a URL to follow the
    promotion, or None. Constructors run on every extension call: keep them cheap.
    """

    @abstractmethod
    def run(self, *args: Any, **kwargs: Any) -> str | None:
        """Promote the flows and return a URL to follow the promotion, or None.

        Implementations declare the parameters they need, e.g.
        `run(self, flows_to_deploy: list[str], source_env: str, target_env: str,
        ref: str | None = None, additional_context: dict[str, Any] | None = None,
        **kwargs: Any)`.
        """

    def __call__(self, *args: Any, **kwargs: Any) -> str | None:
        """Call `run`; `additional_context` is dropped if `run` cannot accept it (1.x code).

        The URL returned is made `shell_safe` (no `` ` `` or `$`), like every result.
        """
        return shell_safe(self.run(*args, **fit_keywords(self.run, kwargs)))
