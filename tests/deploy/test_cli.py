"""`aps deploy`, `aps promote` and `aps deployments` on a real server; exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from acme_portal_sdk import main
from acme_portal_sdk.prefect.local_server import client_environment, free_port
from tests.conftest import git
from tests.deploy.conftest import WORK_POOL, write_config

pytestmark = pytest.mark.usefixtures("prefect_server")


def aps(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_deploy_promote_and_list(
    example_root: Path, project: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(example_root)
    common = ["--root", root, "-project-name", project, "--work-pool", WORK_POOL]
    code, out, err = aps(
        capsys,
        "deploy",
        *common,
        "-env",
        "dev",
        "--flows-to-deploy",
        "hello_world,revenue",
        "--image-uri",
        "img:1",
        "--package-version",
        "3.1",
        "--dry-run",
        "-v",
    )
    assert code == 0, err
    assert f"+ create hello_world/{project}--main--hello-world--dev" in out
    assert '    image: "img:1"' not in out
    assert '"image": "img:1"' in out
    assert (
        out.splitlines()[-1]
        == "Dry run: 2 to create, 0 to update, 0 unchanged. Nothing was changed."
    )

    code, out, err = aps(
        capsys,
        "deploy",
        *common,
        "--env",
        "dev",
        "--flows-to-deploy",
        "hello_world,revenue",
        "--image-uri",
        "img:1",
        "--package-version",
        "3.1",
        "--env-var",
        "A=1",
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "2 deployed, 0 failed."

    code, out, err = aps(
        capsys,
        "promote",
        *common,
        "--source-env",
        "dev",
        "--target-env",
        "uat",
        "--flows-to-deploy",
        "hello_world",
        "--dry-run",
    )
    assert code == 0
    assert f"+ create hello_world/{project}--main--hello-world--uat (from hello_world/" in out
    code, out, err = aps(
        capsys,
        "promote",
        *common,
        "-source-env",
        "dev",
        "-env",
        "uat",
        "--flows-to-deploy",
        "hello_world",
    )
    assert (code, out.splitlines()[-1]) == (0, "1 deployed, 0 failed.")

    code, out, err = aps(capsys, "deployments", "--flow", "hello-world", "--format", "table")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "PROJECT",
        "FLOW",
        "BRANCH",
        "ENV",
        "COMMIT",
        "PACKAGE",
        "UPDATED",
        "URL",
    ]
    commit = git(example_root, "rev-parse", "HEAD").strip()[:10]
    assert [r.split()[:6] for r in lines if r.startswith(project)] == [
        [project, "hello_world", "main", "dev", commit, "3.1"],
        [project, "hello_world", "main", "uat", commit, "3.1"],
    ]
    code, out, err = aps(capsys, "deployments", "--project", project, "--format", "tree")
    assert out.splitlines()[:3] == [
        "hello_world",
        "  Branch: main",
        f"    Environment: dev  {project}--main--hello-world--dev  commit {commit}  "
        + out.splitlines()[2].split()[-1],
    ]
    assert (code, err) == (0, "")


def test_exit_codes(example_root: Path, project: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = ["--root", str(example_root), "--project-name", project]
    code, out, err = aps(
        capsys, "deploy", *root, "--env", "dev", "--branch-name", "a/b", "--work-pool", WORK_POOL
    )
    assert code == 2
    assert "contains /" in err
    assert out == ""

    code, _, err = aps(
        capsys,
        "deploy",
        *root,
        "--env",
        "dev",
        "--flows-to-deploy",
        "nope",
        "--work-pool",
        WORK_POOL,
    )
    assert code == 2
    assert "unknown flow(s): nope" in err

    write_config(example_root, "revenue:\n  work_pool_name: absent-pool\n")
    code, out, err = aps(
        capsys,
        "deploy",
        *root,
        "--env",
        "dev",
        "--work-pool",
        WORK_POOL,
        "--flows-to-deploy",
        "hello_world,revenue",
        "--dry-run",
    )
    assert code == 1
    assert "work pool 'absent-pool' does not exist" in out
    code, out, err = aps(
        capsys,
        "deploy",
        *root,
        "--env",
        "dev",
        "--work-pool",
        WORK_POOL,
        "--flows-to-deploy",
        "hello_world,revenue",
    )
    assert code == 1
    assert "FAILED    revenue/" in out
    assert "created   hello_world/" in out
    assert "1 deployment(s) failed" in err

    code, _, err = aps(capsys, "promote", *root, "--source-env", "dev", "--target-env", "dev")
    assert code == 2
    assert "both 'dev'" in err

    code, _, err = aps(
        capsys,
        "promote",
        *root,
        "--source-env",
        "qa",
        "--target-env",
        "prod",
        "--flows-to-deploy",
        "churn_report",
    )
    assert code == 1
    assert "no deployment churn_report/" in err

    url = f"http://127.0.0.1:{free_port()}/api"
    with client_environment({"PREFECT_API_URL": url}):
        code, _, err = aps(capsys, "deployments")
    assert code == 1
    assert f"PREFECT_API_URL={url}" in err

    assert aps(capsys, "deploy", "--bogus")[0] == 2
    assert aps(capsys, "nope")[0] == 2
    assert aps(capsys, "--help")[0] == 0


def test_dry_run_summary_dirty_tree_and_help(
    example_root: Path, project: str, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--root", str(example_root), "--project-name", project, "--work-pool", WORK_POOL]
    dry = [*common, "--env", "dev", "--flows-to-deploy", "hello_world,revenue", "--dry-run"]
    code, out, err = aps(capsys, "deploy", *dry)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"+ create hello_world/{project}--main--hello-world--dev",
        f"+ create revenue/{project}--main--revenue--dev",
        "Dry run: 2 to create, 0 to update, 0 unchanged. Nothing was changed.",
    ]

    (example_root / "flows" / "scratch.py").write_text("x = 1\n")
    code, out, err = aps(capsys, "deploy", *dry)
    assert code == 0
    assert "the work tree has uncommitted changes (flows/scratch.py)" in err
    assert "pass --require-clean to refuse" in err
    code, out, err = aps(capsys, "deploy", *dry, "--require-clean")
    assert (code, out) == (2, "")
    assert "commit or stash them first (--require-clean)" in err

    code, out, _ = aps(capsys, "deploy", "--help")
    assert code == 0
    assert "--project-name" in out
    assert " -project-name" not in out
    assert "-env" not in out.replace("--env", "")
