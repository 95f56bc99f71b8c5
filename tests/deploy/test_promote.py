"""Promotion on a real server: carried values, target settings, refusals, dry runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from acme_portal_sdk.errors import (
    DeploymentValidationError,
    InvalidNameError,
    SameEnvironmentError,
    SourceDeploymentNotFoundError,
)
from acme_portal_sdk.prefect.deploy_info import PrefectDeployInfoPrep
from acme_portal_sdk.prefect.deployer import PrefectFlowDeployer
from acme_portal_sdk.prefect.deployment_promote import PrefectDeploymentPromote
from tests.deploy.conftest import WORK_POOL, write_config
from tests.deploy.test_deploy import COMMIT, exists, prep_infos, read

pytestmark = pytest.mark.usefixtures("prefect_server")


def promoter(root: Path, default_work_pool: str | None = None) -> PrefectDeploymentPromote:
    return PrefectDeploymentPromote(
        flow_deploy_info_prep=PrefectDeployInfoPrep(
            default_work_pool=default_work_pool, root_dir=root
        )
    )


def arguments(project: str, flows: list[str], **overrides: Any) -> dict[str, Any]:
    return {
        "project_name": project,
        "branch_name": "main",
        "source_env": "dev",
        "target_env": "uat",
        "flows_to_deploy": flows,
        **overrides,
    }


def test_promote_carries_the_deployed_code(example_root: Path, project: str) -> None:
    PrefectFlowDeployer().deploy_all(prep_infos(example_root, project, ["hello_world", "revenue"]))
    source = read("hello_world", f"{project}--main--hello-world--dev")
    # The working tree moves on: the promotion still carries what dev runs.
    write_config(
        example_root,
        "hello_world:\n  parameters: {name: uat}\n  cron: '0 7 * * *'\n",
    )
    promote = promoter(example_root)
    report = promote.promote_all(
        **arguments(project, ["hello-world", "revenue"], target_env_vars={"STAGE": "uat"})
    )
    assert [o.action for o in report.deployed] == ["created", "created"]
    target = read("hello_world", f"{project}--main--hello-world--uat")
    assert report.deployed[0].url.endswith(str(target.id))
    assert target.version == source.version == f"main-{COMMIT}"
    assert target.tags == source.tags
    assert target.job_variables == {
        "env": {"STAGE": "uat", "DEPLOYMENT_NAME": f"{project}--main--hello-world--uat"},
        "image": "registry.example/acme:1.0.0",
    }
    assert target.entrypoint == source.entrypoint
    assert target.parameter_openapi_schema == source.parameter_openapi_schema
    assert target.work_pool_name == WORK_POOL  # no setting, no default: the source's pool
    assert target.parameters == {"name": "uat"}  # the target's settings
    assert [s.schedule.cron for s in target.schedules] == ["0 7 * * *"]
    assert read("hello_world", source.name).parameters == source.parameters  # source untouched

    # Idempotent: promoting again changes nothing.
    plan = promote.plan(
        **arguments(project, ["hello_world", "revenue"], target_env_vars={"STAGE": "uat"})
    )
    assert [d.action for d in plan.deployments] == ["unchanged", "unchanged"]
    again = promote.promote_all(
        **arguments(project, ["hello_world", "revenue"], target_env_vars={"STAGE": "uat"})
    )
    assert [o.action for o in again.deployed] == ["unchanged", "unchanged"]
    assert [o.deployment_id for o in again.deployed] == [o.deployment_id for o in report.deployed]


def test_promote_dry_run_changes_nothing(example_root: Path, project: str) -> None:
    PrefectFlowDeployer().deploy_all(prep_infos(example_root, project, ["hello_world"]))
    plan = promoter(example_root).plan(**arguments(project, ["hello_world"], target_env="prod"))
    (only,) = plan.deployments
    assert only.action == "create"
    assert only.source == f"hello_world/{project}--main--hello-world--dev"
    assert {c.field: c.after for c in only.changes}["version"] == f"main-{COMMIT}"
    assert not exists("hello_world", f"{project}--main--hello-world--prod")


def test_same_environment_is_refused(example_root: Path, project: str) -> None:
    with pytest.raises(SameEnvironmentError, match="both 'dev'"):
        promoter(example_root).promote_all(**arguments(project, ["hello_world"], target_env="dev"))


def test_missing_source_is_refused_and_nothing_is_written(example_root: Path, project: str) -> None:
    PrefectFlowDeployer().deploy_all(prep_infos(example_root, project, ["hello_world"]))
    with pytest.raises(SourceDeploymentNotFoundError) as info:
        promoter(example_root).promote_all(**arguments(project, ["hello_world", "revenue"]))
    message = str(info.value)
    assert f"revenue/{project}--main--revenue--dev" in message
    assert "PREFECT_API_URL=" in message
    assert "nothing was promoted" in message
    assert not exists("hello_world", f"{project}--main--hello-world--uat")


def test_invalid_target_settings_are_refused(example_root: Path, project: str) -> None:
    PrefectFlowDeployer().deploy_all(prep_infos(example_root, project, ["hello_world"]))
    write_config(example_root, "hello_world:\n  parameters: {name: [1]}\n")
    with pytest.raises(DeploymentValidationError, match="is not of type 'string'"):
        promoter(example_root).promote_all(**arguments(project, ["hello_world"]))
    with pytest.raises(InvalidNameError, match="ambiguous"):
        promoter(example_root).promote_all(
            **arguments(project, ["hello_world"], target_env="u--at")
        )
    assert not exists("hello_world", f"{project}--main--hello-world--uat")
