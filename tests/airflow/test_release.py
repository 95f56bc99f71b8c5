"""Deploy and promote on Airflow 3, against two real API servers (dev, uat) and git.

Each server's GitDagBundle tracks `refs/heads/airflow/<env>` of the project's `origin`;
`process_dags()` runs the real dag-processor once, as a deployment's processor would on its
refresh interval. The tests of this module run in order on the session's servers.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from acme_portal_sdk.airflow.deployment_finder import AirflowDeploymentFinder
from acme_portal_sdk.airflow.deployment_promote import (
    AirflowDeploymentPromote,
    AirflowPromoteWorkflow,
)
from acme_portal_sdk.airflow.environments import AirflowEnvironment
from acme_portal_sdk.airflow.flow_deploy import AirflowDeployWorkflow
from acme_portal_sdk.airflow.release import read_release
from acme_portal_sdk.deployment_finder import DeploymentDetails
from acme_portal_sdk.errors import AirflowUnavailableError, FlowNotFoundError, ReleaseError
from tests.airflow.conftest import Servers
from tests.airflow.server import PASSWORD, USERNAME, free_port
from tests.conftest import git

PROJECT = "acme-airflow"
DAGS = ["acme_daily_sales", "raw_orders", "weekly_revenue_report"]


def environments(servers: Servers) -> dict[str, AirflowEnvironment]:
    return {
        env: AirflowEnvironment(env, servers[env].url, username=USERNAME, password=PASSWORD)
        for env in ("dev", "uat")
    }


def deployer(project: Path, servers: Servers, env: str = "dev") -> AirflowDeployWorkflow:
    return AirflowDeployWorkflow(root_dir=project, env=env, environments=environments(servers))


def promoter(project: Path, servers: Servers) -> AirflowPromoteWorkflow:
    return AirflowPromoteWorkflow(root_dir=project, environments=environments(servers))


def listed(servers: Servers, env: str) -> dict[str, DeploymentDetails]:
    finder = AirflowDeploymentFinder(
        environments={env: environments(servers)[env]}, project_name=PROJECT
    )
    return {d.name: d for d in finder.get_deployments()}


def remote_ref(servers: Servers, env: str) -> str | None:
    out = git(
        servers.remote.parent,
        "--git-dir",
        str(servers.remote),
        "for-each-ref",
        "--format=%(objectname)",
        f"refs/heads/airflow/{env}",
    )
    return out.strip() or None


def patch_paused(servers: Servers, env: str, dag_id: str, paused: bool) -> None:
    request = urllib.request.Request(
        f"{servers[env].url}/api/v2/dags/{dag_id}",
        data=json.dumps({"is_paused": paused}).encode(),
        headers={
            "Authorization": f"Bearer {servers[env].token()}",
            "Content-Type": "application/json",
        },
        method="PATCH",
    )
    urllib.request.urlopen(request, timeout=30).close()


def test_plan_changes_nothing(airflow_project: Path, airflow_servers: Servers) -> None:
    before = remote_ref(airflow_servers, "dev")
    plan = deployer(airflow_project, airflow_servers).plan(["acme_daily_sales"], "main")
    commit = git(airflow_project, "rev-parse", "main").strip()
    assert plan.release.commit == commit
    assert (plan.release.branch, plan.release.project, plan.release.package_version) == (
        "main",
        PROJECT,
        "0.1.0",
    )
    text = "\n".join(plan.lines())
    move = (
        f"already at {commit[:12]}"
        if before == commit
        else f"{(before or 'absent')[:12]} -> {commit[:12]}"
    )
    assert f"refs/heads/airflow/dev: {move}" in text
    assert any(
        line.strip().startswith(("+ acme_daily_sales: new", "~ acme_daily_sales: ", "= acme_daily"))
        for line in plan.lines()
    ), text
    assert remote_ref(airflow_servers, "dev") == before


def test_deploy_ships_the_commit_and_never_unpauses(
    airflow_project: Path, airflow_servers: Servers
) -> None:
    url = deployer(airflow_project, airflow_servers).run(["acme_daily_sales"], "main")
    commit = git(airflow_project, "rev-parse", "main").strip()
    assert url == f"{airflow_servers['dev'].url}/dags/acme_daily_sales"
    assert remote_ref(airflow_servers, "dev") == commit
    airflow_servers["dev"].process_dags()
    found = listed(airflow_servers, "dev")
    assert set(found) >= set(DAGS)  # the bundle ships the project, not one file
    sales = found["acme_daily_sales"]
    assert (sales.env, sales.branch, sales.commit_hash, sales.project_name) == (
        "dev",
        "main",
        commit,
        PROJECT,
    )
    assert sales.package_version == "0.1.0"
    assert sales.tags == ["sales", "warehouse"]
    assert sales.child_attributes["is_paused"] is True  # new DAGs start paused
    record = read_release(environments(airflow_servers)["dev"].client(), PROJECT)
    assert record is not None
    assert (record.commit, record.dags) == (commit, ("acme_daily_sales",))


def test_redeploy_moves_the_code_and_keeps_the_pause_state(
    airflow_project: Path, airflow_servers: Servers
) -> None:
    patch_paused(airflow_servers, "dev", "acme_daily_sales", False)
    sales = airflow_project / "dags" / "sales.py"
    sales.write_text(sales.read_text().replace("into the warehouse", "into the lake"))
    git(airflow_project, "commit", "-qam", "lake")
    commit = git(airflow_project, "rev-parse", "HEAD").strip()
    plan = deployer(airflow_project, airflow_servers).plan(["acme_daily_sales"], "main")
    assert [d.action for d in plan.dags if d.dag_id == "acme_daily_sales"] == ["update"]
    deployer(airflow_project, airflow_servers).run(["acme_daily_sales"], "main")
    airflow_servers["dev"].process_dags()
    found = listed(airflow_servers, "dev")["acme_daily_sales"]
    assert found.commit_hash == commit
    assert found.child_attributes["is_paused"] is False  # 1.2.0 re-set it on every deploy


def test_promote_ships_what_the_source_runs(
    airflow_project: Path, airflow_servers: Servers
) -> None:
    running = listed(airflow_servers, "dev")["acme_daily_sales"].commit_hash
    git(airflow_project, "commit", "-q", "--allow-empty", "-m", "not deployed anywhere")
    url = promoter(airflow_project, airflow_servers).run(["acme_daily_sales"], "dev", "uat", "main")
    assert url == f"{airflow_servers['uat'].url}/dags/acme_daily_sales"
    assert remote_ref(airflow_servers, "uat") == running  # not the newer HEAD
    airflow_servers["uat"].process_dags()
    found = listed(airflow_servers, "uat")["acme_daily_sales"]
    assert (found.env, found.branch, found.commit_hash) == ("uat", "main", running)


def test_promote_through_the_1_2_0_class(airflow_project: Path, airflow_servers: Servers) -> None:
    promote = AirflowDeploymentPromote(
        source_airflow_url=airflow_servers["dev"].url,
        target_airflow_url=airflow_servers["uat"].url,
        source_username=USERNAME,
        source_password=PASSWORD,
        target_username=USERNAME,
        target_password=PASSWORD,
        root_dir=airflow_project,
    )
    with pytest.raises(ReleaseError, match=r"dev runs branch main .* not release"):
        promote.promote(PROJECT, "release", "dev", "uat", ["acme_daily_sales"])
    promote.promote(PROJECT, "main", "dev", "uat", ["acme_daily_sales"])  # unchanged: no-op


def test_errors_are_loud_and_change_nothing(
    airflow_project: Path, airflow_servers: Servers
) -> None:
    before = remote_ref(airflow_servers, "dev")
    with pytest.raises(FlowNotFoundError, match="no_such_dag"):
        deployer(airflow_project, airflow_servers).run(["no_such_dag"], "main")
    (airflow_project / "dags" / "fresh.py").write_text(
        "from airflow.sdk import DAG\nwith DAG('fresh_uncommitted'):\n    pass\n"
    )
    try:
        with pytest.raises(ReleaseError, match=r"does not contain the file of fresh_uncommitted"):
            deployer(airflow_project, airflow_servers).run(["fresh_uncommitted"], "main")
    finally:
        (airflow_project / "dags" / "fresh.py").unlink()
    (airflow_project / "dags" / "late.py").write_text(
        "from airflow.sdk import DAG\nwith DAG('late_dag'):\n    pass\n"
    )
    git(airflow_project, "add", "dags/late.py")
    git(airflow_project, "commit", "-qm", "late")
    with pytest.raises(ReleaseError, match="late_dag is not on the dev server"):
        promoter(airflow_project, airflow_servers).run(["late_dag"], "dev", "uat", "main")
    down = AirflowDeployWorkflow(
        root_dir=airflow_project,
        env="dev",
        environments={"dev": f"http://127.0.0.1:{free_port()}"},
        timeout=5,
    )
    with pytest.raises(AirflowUnavailableError, match="cannot reach"):
        down.run(["acme_daily_sales"], "main")
    with pytest.raises(ReleaseError, match="names no commit"):
        deployer(airflow_project, airflow_servers).run(["acme_daily_sales"], "no-such-branch")
    assert remote_ref(airflow_servers, "dev") == before
