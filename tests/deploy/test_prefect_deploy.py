"""`aps-prefect-deploy`: acme-prefect's CI command lines (1.2.0's), run on a real server.

The commands are run as the installed console script in a subprocess, from the project's
root, exactly as `.github/workflows/deploy.yml` and `promote.yml` of a 1.x project run them
(only the variables are filled in). The run variables come from the dotenv file
`{app}.{env}.{ver}.env` that `ac fetch` writes in the current directory.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import create_work_pool, write_config

pytestmark = pytest.mark.usefixtures("prefect_server")

SCRIPT = Path(sys.executable).parent / "aps-prefect-deploy"

DEPLOY = (
    "deploy -app-name $PACKAGE_NAME -env $ENV_LABEL -ver-number $ENV_VERSION_NUMBER "
    "-image-uri $IMAGE_URI -branch-name $BRANCH_NAME -commit-hash $COMMIT_HASH "
    "-project-name $PACKAGE_NAME -package-version $PACKAGE_VERSION "
    "--flows-to-deploy $FLOWS_TO_DEPLOY "
    "-static-flow-config-path .acme_portal_sdk/static_flow_deploy_config.yaml"
)
PROMOTE = (
    "promote -app-name $PACKAGE_NAME -env $TARGET_ENV -ver-number $ENV_VERSION_NUMBER "
    "-branch-name $BRANCH_NAME -project-name $PACKAGE_NAME -source-env $SOURCE_ENV "
    "--flows-to-deploy $FLOWS_TO_DEPLOY "
    "-static-flow-config-path .acme_portal_sdk/static_flow_deploy_config.yaml"
)


def command_line(template: str, values: dict[str, str]) -> list[str]:
    """The CI line with its `$VARIABLES` filled in, split as the runner's shell splits it."""
    for key, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
        template = template.replace(f"${key}", value)
    return shlex.split(template)


def run(root: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], cwd=root, capture_output=True, text=True, check=False
    )


def read(flow: str, name: str) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment_by_name(f"{flow}/{name}")


@pytest.fixture
def ecs_pool() -> str:
    """1.x's default work pool (the CI lines name none), on the test server."""
    create_work_pool("ecs-pool")
    return "ecs-pool"


def test_ci_lines_deploy_and_promote_with_the_env_files(
    example_root: Path, project: str, ecs_pool: str
) -> None:
    app = project.replace("-", "_")  # $PACKAGE_NAME is the package's name, with `_`
    write_config(example_root, "revenue:\n  cron: '0 6 * * *'\n")
    (example_root / f"{app}.dev.1.env").write_text(
        "DB_HOST=db.dev.internal\nGREETING='hello world'\nURL=postgres://${DB_HOST}/x\n",
        encoding="utf-8",
    )
    (example_root / f"{app}.uat.1.env").write_text("DB_HOST=db.uat.internal\n", encoding="utf-8")
    values = {
        "PACKAGE_NAME": app,
        "ENV_LABEL": "dev",
        "ENV_VERSION_NUMBER": "01",  # acme-config reads an integer: the file is *.1.env
        "IMAGE_URI": "123.dkr.ecr.eu-west-1.amazonaws.com/acme:0.3.1",
        "BRANCH_NAME": "feature_x",
        "COMMIT_HASH": "abc1234",
        "PACKAGE_VERSION": "0.3.1",
        "FLOWS_TO_DEPLOY": "hello_world,revenue",
        "TARGET_ENV": "uat",
        "SOURCE_ENV": "dev",
    }

    result = run(example_root, command_line(DEPLOY, values))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "2 deployed, 0 failed."
    name = f"{project}--feature-x--hello-world--dev"
    dev = read("hello_world", name)
    assert dev.work_pool_name == ecs_pool
    assert dev.job_variables == {
        "env": {
            "DB_HOST": "db.dev.internal",
            "GREETING": "hello world",
            "URL": "postgres://db.dev.internal/x",
            "DEPLOYMENT_NAME": name,
        },
        "image": values["IMAGE_URI"],
    }
    assert sorted(dev.tags) == sorted(
        [
            f"PROJECT_NAME={project}",
            "BRANCH_NAME=feature-x",
            "COMMIT_HASH=abc1234",
            "PACKAGE_VERSION=0.3.1",
        ]
    )
    assert dev.version == "feature-x-abc1234"
    assert dev.entrypoint == "flows/hello_world.py:hello_world"
    revenue = read("revenue", f"{project}--feature-x--revenue--dev")
    assert [s.schedule.cron for s in revenue.schedules] == ["0 6 * * *"]

    result = run(example_root, command_line(PROMOTE, {**values, "FLOWS_TO_DEPLOY": "hello_world"}))
    assert result.returncode == 0, result.stderr
    uat_name = f"{project}--feature-x--hello-world--uat"
    uat = read("hello_world", uat_name)
    assert uat.job_variables == {
        "env": {"DB_HOST": "db.uat.internal", "DEPLOYMENT_NAME": uat_name},
        "image": values["IMAGE_URI"],
    }
    assert sorted(uat.tags) == sorted(dev.tags)
    assert uat.version == dev.version


def test_all_deploys_what_the_projects_flow_finder_lists(
    example_root: Path, project: str, ecs_pool: str
) -> None:
    """1.x deployed `all` as `.acme_portal_sdk/flow_finder.py`'s `find_flows()` names."""
    write_config(example_root, "")
    (example_root / ".acme_portal_sdk" / "flow_finder.py").write_text(
        "from pathlib import Path\n"
        "from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder\n"
        "flow_finder = PrefectFlowFinder(\n"
        "    root_dir=str(Path(__file__).parent.parent / 'flows' / 'reports')\n"
        ")\n",
        encoding="utf-8",
    )
    (example_root / "app.dev.3.env").write_text("", encoding="utf-8")
    args = [
        "deploy",
        "-app-name", "app",
        "-env", "dev",
        "-ver-number", "3",
        "-image-uri", "img",
        "-branch-name", "main",
        "-commit-hash", "c0ffee",
        "-project-name", project,
        "-package-version", "1",
        "-static-flow-config-path", ".acme_portal_sdk/static_flow_deploy_config.yaml",
    ]  # fmt: skip
    result = run(example_root, [*args, "--dry-run"])
    assert result.returncode == 0, result.stderr
    created = sorted(line for line in result.stdout.splitlines() if line.startswith("+ create"))
    assert created == [
        f"+ create churn_report/{project}--main--churn-report--dev",
        f"+ create revenue/{project}--main--revenue--dev",
    ]


def test_missing_env_file_is_a_usage_error(example_root: Path, project: str) -> None:
    write_config(example_root, "")
    args = [
        "promote",
        "-app-name", "acme_prefect",
        "-env", "uat",
        "-ver-number", "2",
        "-branch-name", "main",
        "-project-name", project,
        "-source-env", "dev",
        "-static-flow-config-path", ".acme_portal_sdk/static_flow_deploy_config.yaml",
    ]  # fmt: skip
    result = run(example_root, args)
    assert result.returncode == 2
    assert result.stdout == ""
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith(
        f"aps-prefect-deploy: error: env file {example_root / 'acme_prefect.uat.2.env'} not found"
    )
    assert "ac fetch" in message


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "expected a command: deploy or promote"),
        (["deploy", "-app-name", "a", "-env", "dev"], "the following arguments are required"),
        (["deploy", "-app-name", "a", "-env", "dev", "-ver-number", "x"], "invalid int value"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], expected: str) -> None:
    result = run(tmp_path, args)
    assert result.returncode == 2
    assert expected in result.stderr


def test_exceptions_keep_their_1x_built_in_bases() -> None:
    from acme_portal_sdk.errors import (
        DeployConfigError,
        EnvFileNotFoundError,
        FlowNotFoundError,
        GitHubWorkflowError,
        InputError,
        ServerNotConfiguredError,
    )

    assert issubclass(InputError, ValueError)
    assert issubclass(DeployConfigError, ValueError)
    assert issubclass(FlowNotFoundError, ValueError)
    assert issubclass(ServerNotConfiguredError, ValueError)
    assert issubclass(GitHubWorkflowError, RuntimeError)
    assert issubclass(EnvFileNotFoundError, FileNotFoundError)
    assert str(EnvFileNotFoundError("x.env")) == "env file x.env not found"
