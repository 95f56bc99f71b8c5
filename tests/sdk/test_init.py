"""`aps init` writes the `.acme_portal_sdk/` files, and `aps check-config` passes on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from acme_portal_sdk import main

APS = [sys.executable, "-c", "import sys; from acme_portal_sdk import main; sys.exit(main())"]
FLOW = 'from prefect import flow\n\n\n@flow\ndef daily_orders():\n    """Orders."""\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "flows").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "my-shop"\n')
    (root / "flows" / "orders.py").write_text(FLOW)
    return root


@pytest.mark.parametrize("kind", ["--prefect", "--github"])
def test_init_then_check_config_passes(
    project: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    assert main(["init", "--root", str(project), kind]) == 0
    out = capsys.readouterr().out
    folder = project / ".acme_portal_sdk"
    names = ["flow_finder.py", "deployment_finder.py", "flow_deploy.py", "deployment_promote.py"]
    for name in [*names, "static_flow_deploy_config.yaml"]:
        assert f"wrote    .acme_portal_sdk/{name}" in out
        assert (folder / name).is_file()
    assert "project_name='my-shop'" in (folder / "deployment_finder.py").read_text()
    deploy = (folder / "flow_deploy.py").read_text()
    assert ("GithubActionsDeployWorkflow" in deploy) == (kind == "--github")
    assert "# daily_orders:" in (folder / "static_flow_deploy_config.yaml").read_text()
    # check-config imports the files as the extension does, from the project's folder.
    result = subprocess.run(
        [*APS, "check-config"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration is complete." in result.stdout
    assert "deploy config" in result.stdout


def test_init_keeps_existing_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = project / ".acme_portal_sdk"
    folder.mkdir()
    (folder / "flow_finder.py").write_text("# mine\n")
    assert main(["init", "--root", str(project)]) == 0
    assert "kept     .acme_portal_sdk/flow_finder.py" in capsys.readouterr().out
    assert (folder / "flow_finder.py").read_text() == "# mine\n"
    assert main(["init", "--root", str(project), "--force"]) == 0
    assert "PrefectFlowFinder" in (folder / "flow_finder.py").read_text()


def test_check_config_falls_back_to_ascii(project: Path) -> None:
    assert main(["init", "--root", str(project)]) == 0
    result = subprocess.run(
        [*APS, "check-config", "--root", str(project)],
        capture_output=True,
        env={"PYTHONIOENCODING": "ascii", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    out = result.stdout.decode("ascii")
    assert result.returncode == 0, out + result.stderr.decode()
    assert "[ok] flow_finder.py" in out
    assert "Traceback" not in result.stderr.decode()
