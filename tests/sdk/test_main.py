"""`aps check-config`: the project's `.acme_portal_sdk` files, checked as the extension does."""

from __future__ import annotations

from pathlib import Path

import pytest

from acme_portal_sdk import main
from acme_portal_sdk._main import check_project_configuration

FILES = {
    "flow_finder.py": """
from acme_portal_sdk import FlowFinder
from helper import FLOWS  # a sibling module, importable as under the extension

class F(FlowFinder):
    def list_flows(self):
        return FLOWS

finder = F()
""",
    "helper.py": "FLOWS = []\n",
    "deployment_finder.py": """
from acme_portal_sdk import DeploymentFinder

class D(DeploymentFinder):
    def list_deployments(self):
        return []

finder = D()
""",
    "flow_deploy.py": """
from acme_portal_sdk import DeployWorkflow

class W(DeployWorkflow):
    def run(self, *args, **kwargs):
        return None

workflow = W()
""",
    "deployment_promote.py": """
from acme_portal_sdk import PromoteWorkflow

class P(PromoteWorkflow):
    def run(self, *args, **kwargs):
        return None

workflow = P()
""",
}


def make_project(root: Path, files: dict[str, str]) -> Path:
    config = root / ".acme_portal_sdk"
    config.mkdir()
    for name, text in files.items():
        (config / name).write_text(text)
    return root


def test_complete_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(tmp_path, FILES)
    complete, messages = check_project_configuration(tmp_path)
    assert complete, messages
    assert main(["check-config", "--root", str(tmp_path)]) == 0
    assert "Configuration is complete." in capsys.readouterr().out


def test_incomplete_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {
        **FILES,
        "flow_deploy.py": "x = 1\n",
        "deployment_promote.py": "raise ValueError('boom')\n",
    }
    del files["deployment_finder.py"]
    make_project(tmp_path, files)
    complete, messages = check_project_configuration(tmp_path)
    assert not complete
    assert messages[0].startswith("\u2705")
    assert messages[1].startswith("\u274c")
    assert "missing file" in messages[1]
    assert "no instance of a DeployWorkflow subclass" in messages[2]
    assert "ValueError: boom" in messages[3]
    assert main(["check-config", "--project-dir", str(tmp_path)]) == 1
    capsys.readouterr()


@pytest.mark.parametrize("exit_call", ["import sys\nsys.exit(0)\n", "raise SystemExit\n"])
def test_a_module_exiting_fails_loudly(
    tmp_path: Path, exit_call: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path, {**FILES, "flow_deploy.py": exit_call})
    assert main(["check-config", "--project-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "flow_deploy.py: importing" in out
    assert "failed: SystemExit" in out
    assert "Configuration is incomplete." in out


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "check-config" in capsys.readouterr().out


FINDER = (
    "from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder\n"
    "finder = PrefectFlowFinder({root!r})\n"
)


def test_finder_root_index_and_deploy_config_are_checked(tmp_path: Path) -> None:
    project = make_project(tmp_path, {**FILES, "flow_finder.py": FINDER.format(root="src")})
    (project / "src").mkdir()
    complete, messages = check_project_configuration(project)
    assert complete, messages
    assert any("not built yet" in line for line in messages)
    index = project / "src" / ".acme_scan" / "index.json"
    index.parent.mkdir()
    index.write_text("{not json")
    config = project / ".acme_portal_sdk" / "static_flow_deploy_config.yaml"
    config.write_text("hello_world: [unclosed\n")
    complete, messages = check_project_configuration(project)
    assert not complete
    failed = [line for line in messages if line.startswith("\u274c")]
    assert any("index" in line and "not valid JSON" in line for line in failed), messages
    assert any("deploy config" in line for line in failed), messages


def test_missing_finder_root_is_reported(tmp_path: Path) -> None:
    project = make_project(tmp_path, {**FILES, "flow_finder.py": FINDER.format(root="nope")})
    complete, messages = check_project_configuration(project)
    assert not complete
    assert any(line.startswith("\u274c flow finder root") for line in messages), messages
