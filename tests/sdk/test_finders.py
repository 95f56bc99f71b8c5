"""Selective refetch, done once in the base classes for every finder."""

from __future__ import annotations

import json
from typing import Any

import pytest

from acme_portal_sdk import DeploymentDetails, DeploymentFinder, FlowDetails, FlowFinder
from acme_portal_sdk.deployment_finder import select_deployments
from acme_portal_sdk.flow_finder import select_flows


def make_flow(name: str, path: str, flow_id: str | None = None) -> FlowDetails:
    folders = path.split("/")[:-1]
    return FlowDetails(
        name=name,
        original_name=name.replace("_", "-"),
        description="",
        id=flow_id if flow_id is not None else f"id-{name}",
        source_path=f"/project/{path}",
        source_relative=path,
        line_number=1,
        grouping=folders,
    )


FLOWS = [
    make_flow("alpha", "etl/a.py"),
    make_flow("beta", "etl/b.py"),
    make_flow("gamma", "ml/train/g.py"),
    make_flow("delta", "d.py"),
]


def make_deployment(flow_name: str, env: str, deployment_id: str) -> DeploymentDetails:
    return DeploymentDetails(
        name=f"proj--main--{flow_name.replace('_', '-')}--{env}",
        project_name="proj",
        branch="main",
        flow_name=flow_name,
        env=env,
        commit_hash="c",
        package_version="1",
        tags=[],
        id=deployment_id,
        created_at="2025-01-01T00:00:00Z",
        updated_at="2025-01-01T00:00:00Z",
        flow_id="f",
        url="https://example.com",
    )


DEPLOYMENTS = [
    make_deployment("alpha", "dev", "d1"),
    make_deployment("alpha", "prod", "d2"),
    make_deployment("beta", "dev", "d3"),
]


class ListingFinder(FlowFinder):
    def list_flows(self) -> list[FlowDetails]:
        return list(FLOWS)


class LegacyFinder(FlowFinder):
    """A 1.x-style finder: overrides find_flows and ignores its arguments."""

    def find_flows(
        self,
        *,
        flows_to_fetch: list[FlowDetails] | None = None,
        flow_groups: list[str] | None = None,
    ) -> list[FlowDetails]:
        return list(FLOWS)


class ListingDeploymentFinder(DeploymentFinder):
    def list_deployments(self) -> list[DeploymentDetails]:
        return list(DEPLOYMENTS)


class LegacyDeploymentFinder(DeploymentFinder):
    def get_deployments(
        self,
        *,
        deployments_to_fetch: list[DeploymentDetails] | None = None,
        flows_to_fetch: list[FlowDetails] | None = None,
    ) -> list[DeploymentDetails]:
        return list(DEPLOYMENTS)


def names(flows: list[dict[str, Any]]) -> list[str]:
    return [f["name"] for f in flows]


def test_select_flows_without_arguments_keeps_everything() -> None:
    assert select_flows(FLOWS) == FLOWS


def test_select_flows_by_id() -> None:
    assert select_flows(FLOWS, flows_to_fetch=[FLOWS[1]]) == [FLOWS[1]]


def test_select_flows_by_name_and_path_when_the_id_changed() -> None:
    stale = make_flow("beta", "etl/b.py", flow_id="0x7f00dead")
    assert select_flows(FLOWS, flows_to_fetch=[stale]) == [FLOWS[1]]


def test_select_flows_same_name_other_path_is_not_selected() -> None:
    other = make_flow("beta", "elsewhere/b.py", flow_id="other")
    assert select_flows(FLOWS, flows_to_fetch=[other]) == []


def test_select_flows_by_group_matches_any_folder() -> None:
    assert select_flows(FLOWS, flow_groups=["train"]) == [FLOWS[2]]
    assert select_flows(FLOWS, flow_groups=["etl", "ml"]) == FLOWS[:3]


def test_select_flows_union_in_listing_order_without_duplicates() -> None:
    selected = select_flows(FLOWS, flows_to_fetch=[FLOWS[3], FLOWS[0]], flow_groups=["etl"])
    assert selected == [FLOWS[0], FLOWS[1], FLOWS[3]]


def test_empty_selection_selects_nothing() -> None:
    assert select_flows(FLOWS, flows_to_fetch=[]) == []
    assert select_flows(FLOWS, flow_groups=[]) == []
    assert select_flows(FLOWS, flows_to_fetch=[], flow_groups=None) == []


@pytest.mark.parametrize("finder_class", [ListingFinder, LegacyFinder])
def test_flow_finder_call_returns_json_list(finder_class: type[FlowFinder]) -> None:
    result = finder_class()()
    assert json.loads(json.dumps(result)) == [f.to_dict() for f in FLOWS]


@pytest.mark.parametrize("finder_class", [ListingFinder, LegacyFinder])
def test_flow_finder_call_refetches_selectively(finder_class: type[FlowFinder]) -> None:
    sent_back = {**FLOWS[2].to_dict(), "unknown_key": True}
    result = finder_class()(flows_to_fetch=[sent_back], flow_groups=None)
    assert names(result) == ["gamma"]
    assert names(finder_class()(flow_groups=["etl"])) == ["alpha", "beta"]


def test_find_flows_default_filters_too() -> None:
    assert ListingFinder().find_flows(flow_groups=["ml"]) == [FLOWS[2]]


def test_legacy_finder_gets_list_flows() -> None:
    # Type checkers cannot see that overriding find_flows alone suffices (runtime only).
    assert LegacyFinder().list_flows() == FLOWS  # type: ignore[abstract]


def test_finder_without_listing_is_abstract() -> None:
    class Incomplete(FlowFinder):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()  # type: ignore[abstract]


def test_select_deployments() -> None:
    assert select_deployments(DEPLOYMENTS) == DEPLOYMENTS
    assert select_deployments(DEPLOYMENTS, deployments_to_fetch=[DEPLOYMENTS[1]]) == [
        DEPLOYMENTS[1]
    ]
    assert select_deployments(DEPLOYMENTS, flows_to_fetch=[FLOWS[0]]) == DEPLOYMENTS[:2]
    assert select_deployments(DEPLOYMENTS, deployments_to_fetch=[]) == []


def test_select_deployments_finds_a_recreated_deployment_by_name() -> None:
    recreated = make_deployment("beta", "dev", "old-id")
    assert select_deployments(DEPLOYMENTS, deployments_to_fetch=[recreated]) == [DEPLOYMENTS[2]]


@pytest.mark.parametrize("finder_class", [ListingDeploymentFinder, LegacyDeploymentFinder])
def test_deployment_finder_call(finder_class: type[DeploymentFinder]) -> None:
    finder = finder_class()
    assert finder() == [d.to_dict() for d in DEPLOYMENTS]
    by_flow = finder(flows_to_fetch=[{**FLOWS[1].to_dict(), "extra": 1}], deployments_to_fetch=None)
    assert [d["id"] for d in by_flow] == ["d3"]
    by_id = finder(deployments_to_fetch=[{**DEPLOYMENTS[0].to_dict(), "extra": 1}])
    assert [d["id"] for d in by_id] == ["d1"]


def test_deployment_finder_without_listing_is_abstract() -> None:
    class Incomplete(DeploymentFinder):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()  # type: ignore[abstract]
