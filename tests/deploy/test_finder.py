"""PrefectDeploymentFinder against a real server: pagination past 200, parsing, refetch."""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from acme_portal_sdk import DeploymentDetails
from acme_portal_sdk.errors import ServerAuthError, ServerUnavailableError
from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder
from acme_portal_sdk.prefect.local_server import client_environment, free_port
from acme_portal_sdk.prefect.naming import deployment_tags
from tests.deploy.conftest import Server
from tests.deploy.fake_servers import refusing_server

pytestmark = pytest.mark.usefixtures("prefect_server")

Finder = Callable[..., PrefectDeploymentFinder]


@pytest.fixture(params=["rest", "prefect"])
def make(request: pytest.FixtureRequest) -> Finder:
    """Finders reading the server over REST (httpx, the default) or with Prefect's client."""
    return functools.partial(PrefectDeploymentFinder, api=request.param)


#: What JavaScript's `new Date(x).toISOString()` prints: the extension's only safe format.
JS_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
MANY = 205


def create(client: Any, flow: str, name: str, tags: list[str], version: str | None = None) -> str:
    flow_id = client.create_flow_from_name(flow)
    return str(client.create_deployment(flow_id=flow_id, name=name, tags=tags, version=version))


def mine(deployments: list[DeploymentDetails], project: str) -> list[DeploymentDetails]:
    return [d for d in deployments if d.project_name == project]


def test_lists_more_than_a_page(project: str, prefect_server: Server, make: Finder) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("bulk_flow")
        for i in range(MANY):
            branch = f"feature--{i:03d}"
            client.create_deployment(
                flow_id=flow_id,
                name=f"{project}--{branch}--bulk-flow--dev",
                tags=deployment_tags(project, branch, f"{i:040x}", "2.0"),
            )
    started = time.perf_counter()
    found = make()()
    elapsed = time.perf_counter() - started
    print(f"listed {len(found)} deployments in {elapsed:.2f} s")

    assert isinstance(found, list)
    ours = [d for d in found if d["project_name"] == project]
    assert len(ours) == MANY
    assert len(found) > 200
    assert sorted(d["branch"] for d in ours) == [f"feature--{i:03d}" for i in range(MANY)]
    first = min(ours, key=lambda d: d["branch"])
    assert first["flow_name"] == "bulk_flow"
    assert first["env"] == "dev"
    assert first["commit_hash"] == f"{0:040x}"
    assert first["package_version"] == "2.0"
    assert JS_ISO.match(first["created_at"])
    assert JS_ISO.match(first["updated_at"])
    assert first["url"] == f"{prefect_server.api_url[:-4]}/deployments/deployment/{first['id']}"
    assert set(first) == {*DeploymentDetails.__dataclass_fields__}

    # A smaller page size walks more pages and finds the same deployments.
    paged = make(page_size=50)()
    assert sorted(d["id"] for d in paged) == sorted(d["id"] for d in found)


def test_names_tags_and_skipped_deployments(
    project: str, caplog: pytest.LogCaptureFixture, make: Finder
) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        create(client, "hello_world", f"{project}--fix--2--hello-world--uat", [])
        create(
            client,
            "etl",
            f"{project}--main--etl--prod",
            ["PROJECT_NAME=tagged", "BRANCH_NAME=release-1"],
            version="main-abc123",
        )
        create(client, "etl", f"{project}-not-ours", [])
    with caplog.at_level(logging.WARNING, logger="acme_portal_sdk"):
        found = make().list_deployments()
    untagged = next(d for d in found if d.name == f"{project}--fix--2--hello-world--uat")
    assert (untagged.project_name, untagged.branch, untagged.flow_name, untagged.env) == (
        project,
        "fix--2",
        "hello_world",
        "uat",
    )
    assert (untagged.commit_hash, untagged.package_version) == ("", "")
    tagged = next(d for d in found if d.name == f"{project}--main--etl--prod")
    assert (tagged.project_name, tagged.branch) == ("tagged", "release-1")
    assert tagged.child_attributes["version"] == "main-abc123"
    assert not any(d.name == f"{project}-not-ours" for d in found)
    assert any(f"'{project}-not-ours'" in r.getMessage() for r in caplog.records)


def test_selective_refetch(project: str, make: Finder) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for flow in ("alpha", "beta"):
            for env in ("dev", "uat"):
                create(client, flow, f"{project}--main--{flow}--{env}", [])
    finder = make()
    everything = mine([DeploymentDetails.from_dict(d) for d in finder()], project)
    assert len(everything) == 4
    alpha = {
        "name": "alpha",
        "original_name": "alpha",
        "description": "",
        "id": "x",
        "source_path": "/p",
        "source_relative": "p",
        "extension_only": True,
    }
    by_flow = [d for d in finder(flows_to_fetch=[alpha]) if d["project_name"] == project]
    assert sorted(d["env"] for d in by_flow) == ["dev", "uat"]
    assert {d["flow_name"] for d in by_flow} == {"alpha"}
    one = everything[0].to_dict()
    assert finder(deployments_to_fetch=[{**one, "unknown": 1}]) == [one]
    assert finder(deployments_to_fetch=[], flows_to_fetch=None) == []
    # A project's finder lists only that project's deployments (either spelling).
    own = make(project.replace("-", "_"))()
    assert sorted(d["id"] for d in own) == sorted(d.id for d in everything)


def test_server_down_names_prefect_api_url(make: Finder) -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    with (
        client_environment({"PREFECT_API_URL": url}),
        pytest.raises(ServerUnavailableError, match=f"PREFECT_API_URL={re.escape(url)}"),
    ):
        make()()


def test_refused_credentials_name_prefect_api_url(make: Finder) -> None:
    with (
        refusing_server(401) as url,
        client_environment({"PREFECT_API_URL": url}),
        pytest.raises(ServerAuthError) as info,
    ):
        make()()
    message = str(info.value)
    assert f"PREFECT_API_URL={url}" in message
    assert "PREFECT_API_KEY" in message
