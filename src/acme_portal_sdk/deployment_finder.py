"""Deployments and the finders that list them (the extension's "find deployments" call).

A finder only has to list every deployment (`list_deployments`); the base class does the
selective refetch the extension asks for on refresh (see `select_deployments`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from acme_portal_sdk._records import record_from_dict, record_to_dict
from acme_portal_sdk._shell import shell_safe, shell_safe_text
from acme_portal_sdk.flow_finder import FlowDetails, FlowLike, _as_flow
from acme_scan._compat import Self


@dataclass
class DeploymentDetails:
    """An existing deployment of a flow, as the extension shows it.

    The JSON object produced by `to_dict` is the extension contract; its keys are the fields:

    - `name`: the deployment's name in the deployment system.
    - `project_name`, `branch`, `env`: the tree shows flow -> branch -> environment; two
      deployments for one (flow, branch, env) make the extension show an error.
    - `flow_name`: joins the deployment to `FlowDetails.name`.
    - `commit_hash`, `package_version`: the deployed code (the hash feeds a compare link).
    - `tags`: the deployment's tags.
    - `id`: the deployment's id in the deployment system; `flow_id`: its flow's id there.
    - `created_at`, `updated_at`: ISO-8601 timestamps. The extension parses `updated_at`
      with JavaScript's `Date`: an empty or unparseable value breaks its whole tree.
    - `url`: the deployment's page, opened by "Open URL".
    - `child_attributes`: free implementation-specific data.
    """

    name: str
    project_name: str
    branch: str
    flow_name: str
    env: str
    commit_hash: str
    package_version: str
    tags: list[str]
    id: str
    created_at: str
    updated_at: str
    flow_id: str
    url: str
    child_attributes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object the extension reads (a new dict, safe to mutate)."""
        return record_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a DeploymentDetails from its JSON object; unknown keys are ignored.

        Raises `TypeError` naming the missing keys when a required one is absent.
        """
        return record_from_dict(cls, data)


#: A deployment as the extension sends it back: a dict (or an object for Python callers).
DeploymentLike: TypeAlias = Mapping[str, Any] | DeploymentDetails


def _as_deployment(deployment: DeploymentLike) -> DeploymentDetails:
    if isinstance(deployment, DeploymentDetails):
        return deployment
    return DeploymentDetails.from_dict(deployment)


def select_deployments(
    deployments: Iterable[DeploymentDetails],
    *,
    deployments_to_fetch: Sequence[DeploymentDetails] | None = None,
    flows_to_fetch: Sequence[FlowDetails] | None = None,
) -> list[DeploymentDetails]:
    """Keep the deployments a selective refetch asks for, in their original order.

    With both arguments None every deployment is kept. Otherwise a deployment is kept when it
    matches one of `deployments_to_fetch` (same `id`, or same `name` and `flow_name`, which
    still finds a deployment that was re-created), or when its `flow_name` is the `name` of
    one of `flows_to_fetch`. An empty list selects nothing. Values are compared in their
    `shell_safe` form, the form the extension received and sends back.
    """
    deployments = list(deployments)
    if deployments_to_fetch is None and flows_to_fetch is None:
        return deployments
    safe = shell_safe_text  # what the extension sends back went through `shell_safe`
    ids = {safe(d.id) for d in deployments_to_fetch or ()}
    names = {(safe(d.name), safe(d.flow_name)) for d in deployments_to_fetch or ()}
    flow_names = {safe(f.name) for f in flows_to_fetch or ()}
    return [
        d
        for d in deployments
        if safe(d.id) in ids
        or (safe(d.name), safe(d.flow_name)) in names
        or safe(d.flow_name) in flow_names
    ]


class DeploymentFinder(ABC):
    """Finds existing deployments of a project's flows; the extension calls an instance of it.

    Subclasses implement `list_deployments`. Finders written for acme-portal-sdk 1.x, which
    override `get_deployments` instead, keep working: `list_deployments` then calls
    `get_deployments()`. Constructors run on every extension call: keep them cheap and do
    not contact servers there (do it in `list_deployments`).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A 1.x-style subclass overrides only get_deployments: derive list_deployments from it.
        if "get_deployments" in cls.__dict__ and getattr(
            cls.list_deployments, "__isabstractmethod__", False
        ):
            cls.list_deployments = _list_via_get_deployments  # type: ignore[method-assign]

    @abstractmethod
    def list_deployments(self) -> list[DeploymentDetails]:
        """Return every deployment."""

    def get_deployments(
        self,
        *,
        deployments_to_fetch: list[DeploymentDetails] | None = None,
        flows_to_fetch: list[FlowDetails] | None = None,
    ) -> list[DeploymentDetails]:
        """Return the deployments selected by the arguments (all when both are None).

        The default lists every deployment and filters with `select_deployments`; override
        it only to fetch selectively in a cheaper way.
        """
        return select_deployments(
            self.list_deployments(),
            deployments_to_fetch=deployments_to_fetch,
            flows_to_fetch=flows_to_fetch,
        )

    def __call__(
        self,
        *,
        deployments_to_fetch: Sequence[DeploymentLike] | None = None,
        flows_to_fetch: Sequence[FlowLike] | None = None,
    ) -> list[dict[str, Any]]:
        """The extension's entry point: JSON arguments in, a JSON list of DeploymentDetails out.

        The arguments hold dicts the extension received earlier (unknown keys are ignored).
        The result of `get_deployments` is filtered again with `select_deployments`, so a
        finder that ignores the arguments still refetches selectively. Always a list: the
        extension silently shows nothing for any other JSON value. Every string is made
        `shell_safe` (no `` ` `` or `$`): the extension passes them back through `/bin/sh`.
        """
        deployments = (
            None
            if deployments_to_fetch is None
            else [_as_deployment(d) for d in deployments_to_fetch]
        )
        flows = None if flows_to_fetch is None else [_as_flow(f) for f in flows_to_fetch]
        found = self.get_deployments(deployments_to_fetch=deployments, flows_to_fetch=flows)
        selected = select_deployments(found, deployments_to_fetch=deployments, flows_to_fetch=flows)
        return shell_safe([deployment.to_dict() for deployment in selected])


def _list_via_get_deployments(self: DeploymentFinder) -> list[DeploymentDetails]:
    """Every deployment of a finder that overrides `get_deployments` (1.x style)."""
    return self.get_deployments()
