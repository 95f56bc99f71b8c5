"""Flows and the finders that list them (the extension's "find flows" call).

The extension calls a `FlowFinder` instance with JSON keyword arguments and writes the JSON
list it returns. A finder only has to list every flow (`list_flows`); the base class does the
selective refetch the extension asks for on refresh (see `select_flows`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from acme_portal_sdk._records import record_from_dict, record_to_dict
from acme_portal_sdk._shell import shell_safe, shell_safe_text
from acme_scan._compat import Self


@dataclass
class FlowDetails:
    """A flow (job, workflow, DAG: a unit of work a project can deploy) as the extension shows it.

    The JSON object produced by `to_dict` is the extension contract; its keys are the fields:

    - `name`: display name and join key with `DeploymentDetails.flow_name`; the value sent
      back in `flows_to_deploy`. Implementations may normalise it (Prefect: `-` -> `_`).
    - `original_name`: the name as defined in code (shown when it differs from `name`).
    - `description`: always a string; None is stored as `""`.
    - `id`: unique and stable across runs (the extension merges refreshed flows by id).
    - `source_path`: absolute path of the source file (opened in the editor).
    - `source_relative`: path relative to a known root, for display.
    - `line_number`: 1-based line of the definition, or None when unknown.
    - `grouping`: folder names giving the flow's place in the tree.
    - `child_attributes`: free implementation-specific data, shown as rows and sent back to
      the deploy and promote workflows as `additional_context`.
    """

    name: str
    original_name: str
    description: str
    id: str
    source_path: str
    source_relative: str
    line_number: int | None = None
    grouping: list[str] = field(default_factory=list)
    child_attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        raw_description: object = self.description
        if raw_description is None:  # 1.x finders stored a missing docstring as None
            self.description = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object the extension reads (a new dict, safe to mutate)."""
        return record_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a FlowDetails from its JSON object; unknown keys are ignored.

        Raises `TypeError` naming the missing keys when a required one is absent.
        """
        return record_from_dict(cls, data)


#: A flow as the extension sends it back: a FlowDetails dict (or an object for Python callers).
FlowLike: TypeAlias = Mapping[str, Any] | FlowDetails


def _as_flow(flow: FlowLike) -> FlowDetails:
    return flow if isinstance(flow, FlowDetails) else FlowDetails.from_dict(flow)


def flow_matcher(
    flows_to_fetch: Sequence[FlowDetails] | None, flow_groups: Sequence[str] | None
) -> Callable[[str, str, str, Sequence[str]], bool]:
    """The rule of `select_flows` as a test of `(id, name, source_relative, grouping)`."""
    safe = shell_safe_text  # what the extension sends back went through `shell_safe`
    ids = {safe(f.id) for f in flows_to_fetch or ()}
    locations = {(safe(f.name), safe(f.source_relative)) for f in flows_to_fetch or ()}
    groups = {safe(group) for group in flow_groups or ()}

    def matches(flow_id: str, name: str, source_relative: str, grouping: Sequence[str]) -> bool:
        return (
            safe(flow_id) in ids
            or (safe(name), safe(source_relative)) in locations
            or any(safe(group) in groups for group in grouping)
        )

    return matches


def select_flows(
    flows: Iterable[FlowDetails],
    *,
    flows_to_fetch: Sequence[FlowDetails] | None = None,
    flow_groups: Sequence[str] | None = None,
) -> list[FlowDetails]:
    """Keep the flows a selective refetch asks for, in their original order.

    With both arguments None every flow is kept. Otherwise a flow is kept when it matches a
    flow of `flows_to_fetch` (same `id`, or same `name` and `source_relative`, the 1.x rule,
    which still finds flows whose id changed), or when one of its `grouping` folders is in
    `flow_groups`. An empty list selects nothing. Values are compared in their
    `shell_safe` form, the form the extension received and sends back.
    """
    flows = list(flows)
    if flows_to_fetch is None and flow_groups is None:
        return flows
    matches = flow_matcher(flows_to_fetch, flow_groups)
    return [f for f in flows if matches(f.id, f.name, f.source_relative, f.grouping)]


def extension_json(flows: Iterable[FlowDetails]) -> list[dict[str, Any]]:
    """The JSON list the extension reads: FlowDetails dicts, every string `shell_safe`."""
    return shell_safe([flow.to_dict() for flow in flows])


class FlowFinder(ABC):
    """Finds the flows of a project; the extension calls an instance of it.

    Subclasses implement `list_flows`. Finders written for acme-portal-sdk 1.x, which
    override `find_flows` instead, keep working: `list_flows` then calls `find_flows()`.
    Constructors run on every extension call: keep them cheap and do not contact servers.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A 1.x-style subclass overrides only find_flows: derive list_flows from it.
        if "find_flows" in cls.__dict__ and getattr(cls.list_flows, "__isabstractmethod__", False):
            cls.list_flows = _list_flows_via_find_flows  # type: ignore[method-assign]

    @abstractmethod
    def list_flows(self) -> list[FlowDetails]:
        """Return every flow of the project."""

    def find_flows(
        self,
        *,
        flows_to_fetch: list[FlowDetails] | None = None,
        flow_groups: list[str] | None = None,
    ) -> list[FlowDetails]:
        """Return the flows selected by `flows_to_fetch` and `flow_groups` (all when both None).

        The default lists every flow and filters with `select_flows`; override it only to
        fetch selectively in a cheaper way.
        """
        return select_flows(
            self.list_flows(), flows_to_fetch=flows_to_fetch, flow_groups=flow_groups
        )

    def __call__(
        self,
        *,
        flows_to_fetch: Sequence[FlowLike] | None = None,
        flow_groups: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """The extension's entry point: JSON arguments in, a JSON list of FlowDetails out.

        `flows_to_fetch` holds FlowDetails dicts the extension received earlier (unknown keys
        are ignored); `flow_groups` holds folder names. The result of `find_flows` is filtered
        again with `select_flows`, so a finder that ignores the arguments still refetches
        selectively. Every string is made `shell_safe` (no `` ` `` or `$`): the extension
        passes what it received back through `/bin/sh`.
        """
        requested = None if flows_to_fetch is None else [_as_flow(f) for f in flows_to_fetch]
        groups = None if flow_groups is None else list(flow_groups)
        found = self.find_flows(flows_to_fetch=requested, flow_groups=groups)
        selected = select_flows(found, flows_to_fetch=requested, flow_groups=groups)
        return extension_json(selected)


def _list_flows_via_find_flows(self: FlowFinder) -> list[FlowDetails]:
    """Every flow of a finder that overrides `find_flows` (acme-portal-sdk 1.x style)."""
    return self.find_flows()
