"""The data classes: JSON shapes of acme-portal-sdk 1.2.0 and tolerant round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest

from acme_portal_sdk import DeployInfo, DeploymentDetails, FlowDetails

FLOW: dict[str, Any] = {
    "name": "hello_world",
    "original_name": "hello-world",
    "description": "Say hi.",
    "id": "545a20c28b7b954e",
    "source_path": "/project/flows/hello.py",
    "source_relative": "flows/hello.py",
    "line_number": 4,
    "grouping": ["flows"],
    "child_attributes": {"obj_name": "hello_world", "module": "flows.hello"},
}

DEPLOYMENT: dict[str, Any] = {
    "name": "acme-prefect--main--hello-world--dev",
    "project_name": "acme-prefect",
    "branch": "main",
    "flow_name": "hello_world",
    "env": "dev",
    "commit_hash": "abc123",
    "package_version": "1.0.0",
    "tags": ["PROJECT_NAME=acme-prefect", "COMMIT_HASH=abc123"],
    "id": "0d9c",
    "created_at": "2025-01-01T00:00:00+00:00",
    "updated_at": "2025-01-02T00:00:00+00:00",
    "flow_id": "f1",
    "url": "https://app.prefect.cloud/deployments/deployment/0d9c",
    "child_attributes": {},
}

DEPLOY_INFO: dict[str, Any] = {
    "name": "acme-prefect--main--hello-world--dev",
    "flow_name": "hello_world",
    "work_pool_name": "pool",
    "work_queue_name": None,
    "parameters": {"x": 1},
    "job_variables": None,
    "cron": "0 * * * *",
    "paused": False,
    "concurrency_limit": 1,
    "description": None,
    "tags": ["a"],
}


def test_flow_details_json_keys_are_those_of_1_2_0() -> None:
    assert list(FlowDetails.from_dict(FLOW).to_dict()) == [
        "name",
        "original_name",
        "description",
        "id",
        "source_path",
        "source_relative",
        "line_number",
        "grouping",
        "child_attributes",
    ]


def test_deployment_details_json_keys_are_those_of_1_2_0() -> None:
    assert list(DeploymentDetails.from_dict(DEPLOYMENT).to_dict()) == list(DEPLOYMENT)


@pytest.mark.parametrize(
    ("cls", "data"),
    [(FlowDetails, FLOW), (DeploymentDetails, DEPLOYMENT), (DeployInfo, DEPLOY_INFO)],
)
def test_round_trip(
    cls: type[FlowDetails | DeploymentDetails | DeployInfo], data: dict[str, Any]
) -> None:
    record = cls.from_dict(data)
    assert record.to_dict() == data
    assert cls.from_dict(json.loads(json.dumps(record.to_dict()))) == record


@pytest.mark.parametrize(
    ("cls", "data"),
    [(FlowDetails, FLOW), (DeploymentDetails, DEPLOYMENT), (DeployInfo, DEPLOY_INFO)],
)
def test_from_dict_ignores_unknown_keys(
    cls: type[FlowDetails | DeploymentDetails | DeployInfo], data: dict[str, Any]
) -> None:
    record = cls.from_dict({**data, "added_by_a_newer_sdk": {"x": 1}})
    assert record.to_dict() == data


def test_from_dict_names_every_missing_required_key() -> None:
    data = {k: v for k, v in FLOW.items() if k not in ("id", "source_path")}
    with pytest.raises(TypeError, match=r"missing required key\(s\): id, source_path"):
        FlowDetails.from_dict(data)


def test_optional_flow_keys_default() -> None:
    required = {k: FLOW[k] for k in list(FLOW)[:6]}
    flow = FlowDetails.from_dict(required)
    assert (flow.line_number, flow.grouping, flow.child_attributes) == (None, [], {})


def test_description_none_becomes_empty_string() -> None:
    assert FlowDetails.from_dict({**FLOW, "description": None}).to_dict()["description"] == ""


def test_to_dict_and_from_dict_do_not_share_containers() -> None:
    data = json.loads(json.dumps(FLOW))
    flow = FlowDetails.from_dict(data)
    data["grouping"].append("changed")
    flow.to_dict()["child_attributes"]["obj_name"] = "changed"
    assert flow.grouping == ["flows"]
    assert flow.child_attributes["obj_name"] == "hello_world"


def test_deploy_info_defaults_match_1_2_0() -> None:
    info = DeployInfo(name="n", flow_name="f")
    assert info.to_dict() == {
        "name": "n",
        "flow_name": "f",
        "work_pool_name": None,
        "work_queue_name": None,
        "parameters": None,
        "job_variables": None,
        "cron": None,
        "paused": False,
        "concurrency_limit": 1,
        "description": None,
        "tags": None,
    }


def test_from_dict_of_a_subclass_returns_the_subclass() -> None:
    class MyFlow(FlowDetails):
        pass

    assert type(MyFlow.from_dict(FLOW)) is MyFlow
