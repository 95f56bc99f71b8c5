"""The REST v2 client and the deployment finder against a real Airflow 3 API server."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

import pytest

from acme_portal_sdk.airflow.client import AirflowClient
from acme_portal_sdk.airflow.deployment_finder import AirflowDeploymentFinder, js_timestamp
from acme_portal_sdk.airflow.environments import AirflowEnvironment
from acme_portal_sdk.errors import (
    AirflowAuthError,
    AirflowError,
    AirflowNotConfiguredError,
    AirflowNotFoundError,
    AirflowUnavailableError,
)
from tests.airflow.conftest import Servers
from tests.airflow.server import PASSWORD, USERNAME, free_port

#: More DAGs than one page holds (the server's maximum page is 100).
MANY = 123


@pytest.fixture(scope="module")
def dev_dags(airflow_servers: Servers) -> Servers:
    """DAGs in dev's `dags-folder` bundle (unversioned): a tagged one and MANY more."""
    server = airflow_servers["dev"]
    (server.dags_folder / "plain.py").write_text(
        textwrap.dedent(
            """
            from airflow.sdk import DAG
            with DAG("plain_tagged", description="Plain", schedule="@hourly",
                     tags=["team-a", "PROJECT_NAME=x"]):
                pass
            for i in range(MANY):
                globals()[f"g{i}"] = DAG(f"plain_many_{i:03d}")
            """.replace("MANY", str(MANY))
        )
    )
    server.process_dags("dags-folder")
    return airflow_servers


def client(servers: Servers, **kwargs: Any) -> AirflowClient:
    options: dict[str, Any] = {"username": USERNAME, "password": PASSWORD, **kwargs}
    return AirflowClient(servers["dev"].url, **options)


def test_token_from_credentials_and_given_token(dev_dags: Servers) -> None:
    logged_in = client(dev_dags)
    assert logged_in.request("GET", "/api/v2/dags/plain_tagged")["dag_id"] == "plain_tagged"
    token = logged_in.login()
    given = AirflowClient(dev_dags["dev"].url, token=token)
    assert given.dag("plain_tagged") is not None


def test_errors_name_what_and_where(dev_dags: Servers) -> None:
    url = dev_dags["dev"].url
    with pytest.raises(AirflowNotFoundError, match=rf"GET {url}/api/v2/dags/nope: 404 .*nope"):
        client(dev_dags).request("GET", "/api/v2/dags/nope")
    assert client(dev_dags).dag("nope") is None
    with pytest.raises(AirflowError, match=r"PATCH .*plain_tagged: 422 body.is_paused"):
        client(dev_dags).request("PATCH", "/api/v2/dags/plain_tagged", body={"is_paused": "x"})
    with pytest.raises(AirflowAuthError, match=r"refused to log in user 'admin'.*401"):
        client(dev_dags, password="wrong").dags()
    with pytest.raises(AirflowAuthError, match=r"401 Not authenticated"):
        AirflowClient(url).dags()
    with pytest.raises(AirflowAuthError, match=r"403 Invalid JWT token"):
        AirflowClient(url, token="not-a-jwt").dags()
    with pytest.raises(AirflowUnavailableError, match="cannot reach the Airflow API server"):
        AirflowClient(f"http://127.0.0.1:{free_port()}", timeout=5).dags()


def test_finder_lists_every_page_with_v2_tags_and_iso_times(dev_dags: Servers) -> None:
    finder = AirflowDeploymentFinder(dev_dags["dev"].url, USERNAME, PASSWORD, env="dev")
    found = {d.name: d for d in finder.get_deployments()}
    assert {f"plain_many_{i:03d}" for i in range(MANY)} <= set(found)
    tagged = found["plain_tagged"]
    assert tagged.tags == ["PROJECT_NAME=x", "team-a"]
    assert (tagged.env, tagged.flow_name, tagged.flow_id) == ("dev", "plain_tagged", "plain_tagged")
    assert tagged.id == "dev:plain_tagged"
    assert tagged.url == f"{dev_dags['dev'].url}/dags/plain_tagged"
    assert tagged.commit_hash == ""  # a LocalDagBundle is not versioned
    assert tagged.branch == "unknown"
    assert tagged.child_attributes["bundle_name"] == "dags-folder"
    assert tagged.child_attributes["schedule"] == "0 * * * *"
    for stamp in (tagged.created_at, tagged.updated_at):
        parsed = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
        assert js_timestamp(stamp) == stamp
        assert abs(dt.datetime.now() - parsed) < dt.timedelta(hours=1)


def test_finder_selects_like_the_extension(dev_dags: Servers) -> None:
    finder = AirflowDeploymentFinder(dev_dags["dev"].url, USERNAME, PASSWORD)
    flows = [
        {
            "name": "plain_tagged",
            "original_name": "plain_tagged",
            "description": "",
            "id": "x",
            "source_path": "/x/plain.py",
            "source_relative": "plain.py",
        }
    ]
    (only,) = finder(flows_to_fetch=flows, deployments_to_fetch=None)
    assert only["name"] == "plain_tagged"


def test_environments_from_the_process_environment(
    dev_dags: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_URL", raising=False)
    monkeypatch.delenv("AIRFLOW_DEV_URL", raising=False)
    with pytest.raises(AirflowNotConfiguredError, match="set AIRFLOW_DEV_URL"):
        AirflowDeploymentFinder().get_deployments()
    monkeypatch.setenv("AIRFLOW_DEV_URL", dev_dags["dev"].url)
    monkeypatch.setenv("AIRFLOW_USERNAME", USERNAME)
    monkeypatch.setenv("AIRFLOW_PASSWORD", PASSWORD)
    names = {d.name for d in AirflowDeploymentFinder(env_names=["dev"]).get_deployments()}
    assert "plain_tagged" in names
    environment = AirflowEnvironment(name="dev", url=dev_dags["dev"].url, token="bad")
    with pytest.raises(AirflowAuthError):
        AirflowDeploymentFinder(environments={"dev": environment}).get_deployments()
