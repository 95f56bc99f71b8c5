"""Deploying to a real Prefect server: the full state, redeploys, dry runs, every error."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from acme_portal_sdk.errors import (
    DeployConfigError,
    DeploymentsFailedError,
    DeploymentValidationError,
    FlowNotFoundError,
    InvalidNameError,
    ServerNotConfiguredError,
    ServerUnavailableError,
    WorkPoolNotFoundError,
)
from acme_portal_sdk.prefect.deploy_info import PrefectDeployInfo, PrefectDeployInfoPrep
from acme_portal_sdk.prefect.deployer import PrefectFlowDeployer
from acme_portal_sdk.prefect.local_server import client_environment, free_port
from tests.deploy.conftest import EXAMPLE_FLOWS, WORK_POOL, Server, write_config

COMMIT = "c0ffee0000000000000000000000000000000000"

pytestmark = pytest.mark.usefixtures("prefect_server")


def prep_infos(
    root: Path, project: str, flows: list[str] | None = None, **overrides: Any
) -> list[PrefectDeployInfo]:
    prep = PrefectDeployInfoPrep(default_work_pool=WORK_POOL, root_dir=root)
    arguments: dict[str, Any] = {
        "project_name": project,
        "branch_name": "main",
        "commit_hash": COMMIT,
        "image_uri": "registry.example/acme:1.0.0",
        "package_version": "1.0.0",
        "env": "dev",
        "flows_to_deploy": prep.all_flow_names() if flows is None else flows,
        "env_vars": {"LOG_LEVEL": "INFO"},
        **overrides,
    }
    return prep.prep_deploy_info(**arguments)


def read(flow: str, name: str) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment_by_name(f"{flow}/{name}")


def exists(flow: str, name: str) -> bool:
    from prefect.exceptions import ObjectNotFound

    try:
        read(flow, name)
    except ObjectNotFound:
        return False
    return True


CONFIG = """
hello_world:
  parameters: {name: config}
  cron: "0 6 * * *"
  concurrency_limit: {limit: 3, collision_strategy: CANCEL_NEW}
  work_queue_name: fast
  description: From the config.
acme-daily-sales:
  paused: true
  parameters: {regions: [eu, us], dry_run: true}
"""


def test_deploy_the_example_project(example_root: Path, project: str) -> None:
    write_config(example_root, CONFIG)
    infos = prep_infos(example_root, project)
    started = time.perf_counter()
    report = PrefectFlowDeployer().deploy_all(infos)
    elapsed = time.perf_counter() - started
    print(f"deployed the example's {len(infos)} flows in {elapsed:.2f} s")

    assert [o.flow_name for o in report.deployed] == EXAMPLE_FLOWS
    assert {o.action for o in report.deployed} == {"created"}
    assert report.failed == []
    hello = read("hello_world", f"{project}--main--hello-world--dev")
    assert report.deployed[2].url.endswith(f"/deployments/deployment/{hello.id}")
    assert hello.tags == [
        f"PROJECT_NAME={project}",
        "BRANCH_NAME=main",
        f"COMMIT_HASH={COMMIT}",
        "PACKAGE_VERSION=1.0.0",
    ]
    assert hello.version == f"main-{COMMIT}"
    assert hello.entrypoint == "flows/hello_world.py:hello_world"
    assert hello.path == "."
    assert hello.work_pool_name == WORK_POOL
    assert hello.work_queue_name == "fast"
    assert hello.parameters == {"name": "config"}
    assert hello.description == "From the config."
    assert hello.job_variables == {
        "env": {"LOG_LEVEL": "INFO", "DEPLOYMENT_NAME": f"{project}--main--hello-world--dev"},
        "image": "registry.example/acme:1.0.0",
    }
    assert [s.schedule.cron for s in hello.schedules] == ["0 6 * * *"]
    assert hello.global_concurrency_limit.limit == 3
    assert hello.concurrency_options.collision_strategy == "CANCEL_NEW"
    assert hello.parameter_openapi_schema["properties"]["name"]["type"] == "string"
    assert hello.enforce_parameter_schema is True
    sales = read("acme_daily_sales", f"{project}--main--acme-daily-sales--dev")
    assert sales.paused is True
    assert sales.parameters == {"regions": ["eu", "us"], "dry_run": True}
    assert sales.description.startswith("Extract, transform and load")
    revenue = read("revenue", f"{project}--main--revenue--dev")
    assert revenue.entrypoint == "flows/reports/monthly.py:Reports.revenue"
    assert revenue.global_concurrency_limit.limit == 1  # the 1.x default


def test_redeploy_keeps_the_exact_state(example_root: Path, project: str) -> None:
    write_config(example_root, CONFIG)
    infos = prep_infos(example_root, project, ["hello_world"])
    deployer = PrefectFlowDeployer()
    first = deployer.deploy_all(infos).deployed[0]
    before = read("hello_world", first.deployment_name).model_dump(mode="json")

    second = deployer.deploy_all(prep_infos(example_root, project, ["hello_world"]))
    assert second.deployed[0].action == "unchanged"
    assert second.deployed[0].deployment_id == first.deployment_id
    after = read("hello_world", first.deployment_name).model_dump(mode="json")
    volatile = {"updated", "schedules", "global_concurrency_limit", "updated_by"}
    assert {k: v for k, v in after.items() if k not in volatile} == {
        k: v for k, v in before.items() if k not in volatile
    }
    assert [s["schedule"] for s in after["schedules"]] == [
        s["schedule"] for s in before["schedules"]
    ]
    assert after["global_concurrency_limit"]["limit"] == 3
    assert deployer.plan(infos).deployments[0].action == "unchanged"

    # A changed configuration replaces exactly what changed; nothing else is lost.
    write_config(example_root, "hello_world:\n  parameters: {name: other}\n")
    third = deployer.deploy_all(prep_infos(example_root, project, ["hello_world"]))
    assert third.deployed[0].action == "updated"
    changed = read("hello_world", first.deployment_name)
    assert changed.parameters == {"name": "other"}
    assert changed.schedules == []
    assert changed.work_queue_name == "default"
    assert changed.description.startswith("Greet someone.")  # the docstring again
    assert changed.job_variables == before["job_variables"]
    assert changed.tags == before["tags"]
    assert changed.entrypoint == before["entrypoint"]
    assert changed.parameter_openapi_schema == before["parameter_openapi_schema"]


def test_dry_run_changes_nothing(example_root: Path, project: str) -> None:
    deployer = PrefectFlowDeployer()
    infos = prep_infos(example_root, project, ["hello_world", "revenue"])
    plan = deployer.plan(infos)
    assert [d.action for d in plan.deployments] == ["create", "create"]
    fields = [c.field for c in plan.deployments[0].changes]
    assert fields[:4] == ["version", "description", "work_pool_name", "work_queue_name"]
    assert not exists("hello_world", infos[0].name)
    assert "Nothing was changed." in plan.lines()[-1]

    deployer.deploy_all(infos[:1])
    before = read("hello_world", infos[0].name).model_dump(mode="json")
    changed = prep_infos(example_root, project, ["hello_world"], commit_hash="beef")
    plan = deployer.plan(changed)
    (only,) = plan.deployments
    assert only.action == "update"
    assert {c.field: (c.before, c.after) for c in only.changes} == {
        "version": (f"main-{COMMIT}", "main-beef"),
        "tags": (before["tags"], [*before["tags"][:2], "COMMIT_HASH=beef", before["tags"][3]]),
    }
    assert only.url is not None
    assert only.url.endswith(before["id"])
    assert read("hello_world", infos[0].name).model_dump(mode="json") == before


def test_missing_work_pool_fails_only_its_flow(example_root: Path, project: str) -> None:
    write_config(example_root, "revenue:\n  work_pool_name: no-such-pool\n")
    infos = prep_infos(example_root, project, ["hello_world", "revenue", "churn_report"])
    plan = PrefectFlowDeployer().plan(infos)
    assert plan.problems == [
        f"revenue/{infos[1].name}: "
        + str(WorkPoolNotFoundError("no-such-pool", api_url=plan_api()))
    ]
    with pytest.raises(DeploymentsFailedError) as info:
        PrefectFlowDeployer().deploy_all(infos)
    report = info.value.report
    assert [o.flow_name for o in report.deployed] == ["hello_world", "churn_report"]
    assert [(f.flow_name, f.error_type) for f in report.failed] == [
        ("revenue", "WorkPoolNotFoundError")
    ]
    assert "work pool 'no-such-pool' does not exist" in report.failed[0].message
    assert "PREFECT_API_URL=" in report.failed[0].message
    assert not exists("revenue", infos[1].name)
    assert exists("churn_report", infos[2].name)


def plan_api() -> str:
    from acme_portal_sdk.prefect.connection import current_settings

    return current_settings().api_url


def test_unknown_flow_is_refused_before_the_server(example_root: Path, project: str) -> None:
    with pytest.raises(FlowNotFoundError) as info:
        prep_infos(example_root, project, ["hello_world", "helo_world", "nope"])
    message = str(info.value)
    assert "unknown flow(s): helo_world (did you mean hello_world?), nope" in message
    assert "hello_world" in message.split("are:")[1]
    assert not exists("hello_world", f"{project}--main--hello-world--dev")


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"branch_name": "feature/x"}, "contains /"),
        ({"env": "   "}, "environment name is empty"),
        ({"project_name": "a--b"}, "ambiguous"),
        ({"env": "dev<1>"}, "contains < >"),
        ({"commit_hash": ""}, "commit hash is empty"),
    ],
)
def test_invalid_names_are_refused(
    example_root: Path, project: str, overrides: dict[str, str], fragment: str
) -> None:
    with pytest.raises(InvalidNameError) as info:
        prep_infos(example_root, project, ["hello_world"], **overrides)
    assert fragment in str(info.value)
    assert "nothing was deployed" in str(info.value)


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ("hello_world:\n  parameters: {name: 3}\n", "3 is not of type 'string'"),
        ("revenue:\n  parameters: {month: march}\n", "'march' is not of type 'integer'"),
        (
            "hello_world:\n  triggers: {DeploymentEventTrigger: {posture: Sideways}}\n",
            "invalid triggers",
        ),
    ],
)
def test_invalid_settings_are_refused(
    example_root: Path, project: str, config: str, fragment: str
) -> None:
    write_config(example_root, config)
    with pytest.raises(DeploymentValidationError) as info:
        prep_infos(example_root, project, ["hello_world", "revenue"])
    assert fragment in str(info.value)


def test_invalid_config_file(example_root: Path, project: str) -> None:
    write_config(example_root, "hello_world:\n  work_pool: x\n")
    with pytest.raises(DeployConfigError, match="unknown key 'work_pool'"):
        prep_infos(example_root, project, ["hello_world"])


def test_no_work_pool_at_all(example_root: Path, project: str) -> None:
    prep = PrefectDeployInfoPrep(root_dir=example_root)
    with pytest.raises(DeploymentValidationError, match="no work pool"):
        prep.prep_deploy_info(project, "main", COMMIT, None, "1", "dev", ["hello_world"])


def test_triggers_become_automations(example_root: Path, project: str) -> None:
    write_config(
        example_root,
        "hello_world:\n  triggers:\n    DeploymentEventTrigger: {expect: [acme.ping]}\n",
    )
    (outcome,) = (
        PrefectFlowDeployer()
        .deploy_all(prep_infos(example_root, project, ["hello_world"]))
        .deployed
    )

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        owned = client.read_resource_related_automations(
            f"prefect.deployment.{outcome.deployment_id}"
        )
    assert len(owned) == 1
    assert "acme.ping" in owned[0].trigger.model_dump_json()


@pytest.fixture
def down_server() -> Iterator[str]:
    url = f"http://127.0.0.1:{free_port()}/api"
    with client_environment({"PREFECT_API_URL": url}):
        yield url


def test_server_down_names_prefect_api_url(
    example_root: Path, project: str, down_server: str, prefect_server: Server
) -> None:
    infos = prep_infos(example_root, project, ["hello_world", "revenue"])
    with pytest.raises(DeploymentsFailedError) as info:
        PrefectFlowDeployer().deploy_all(infos)
    report = info.value.report
    assert report.deployed == []
    first, second = report.failed
    assert first.error_type == "ServerUnavailableError"
    assert f"PREFECT_API_URL={down_server}" in first.message
    assert "is the server running" in first.message
    assert (second.attempted, second.message.startswith("not attempted")) == (False, True)
    with pytest.raises(ServerUnavailableError, match=f"PREFECT_API_URL={down_server}"):
        PrefectFlowDeployer().plan(infos)


def test_no_server_configured(example_root: Path, project: str) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    infos = prep_infos(example_root, project, ["hello_world"])
    with (
        temporary_settings(restore_defaults={PREFECT_API_URL}),
        pytest.raises(ServerNotConfiguredError, match="PREFECT_API_URL is not set"),
    ):
        PrefectFlowDeployer().deploy_all(infos)
