"""A hostile repository cannot make the tools write, read, run or leak outside itself.

Every test builds the hostile project on disk (real files, real links, a real FIFO, a real
git repository) and runs the real command line, then checks what changed outside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from acme_scan.cli import main

FLOW = "from prefect import flow\n\n@flow\ndef etl(): ...\n"
ACME_SCAN = Path(sys.executable).with_name("acme-scan")


def project(tmp_path: Path, settings: str = "") -> tuple[Path, Path]:
    """A project folder with one flow, and a folder beside it that stands for `~`."""
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / ".bashrc").write_text("# precious\n")
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "etl.py").write_text(FLOW)
    (root / "$(cd;touch PWNED).py").write_text(FLOW.replace("etl", "other"))
    if settings:
        (root / "pyproject.toml").write_text(f"[tool.acme-scan]\n{settings}\n")
    return root, outside


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else b"<dir>"
        for path in sorted(folder.rglob("*"))
    }


def run(*argv: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACME_SCAN), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "index",
    [
        "../home/.bashrc",
        "../../project/../home/.bashrc",
        "flows/../../home/.bashrc",
        "ROOT/home/.bashrc",  # an absolute path
        "../home/new/folder/index.json",
        "\\u0000x",
        "..",
    ],
)
@pytest.mark.parametrize("command", ["scan", "check", "watch"])
def test_an_index_setting_outside_the_root_is_refused(
    tmp_path: Path, index: str, command: str
) -> None:
    root, outside = project(tmp_path, f'index = "{index.replace("ROOT", str(tmp_path))}"')
    before = snapshot(outside)
    result = run(command, cwd=root, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "'index' must" in result.stderr
    assert snapshot(outside) == before
    assert not (root / ".acme_scan").exists()


def test_the_flow_finder_refuses_it_too(tmp_path: Path) -> None:
    from acme_portal_sdk.errors import AcmePortalError
    from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder

    root, outside = project(tmp_path, 'index = "../home/.bashrc"')
    before = snapshot(outside)
    with pytest.raises(AcmePortalError, match="'index' must stay inside the project root"):
        PrefectFlowFinder(root).list_flows()
    assert snapshot(outside) == before


@pytest.mark.parametrize("command", ["scan", "check", "watch"])
def test_a_committed_link_at_the_index_is_never_written_through(
    tmp_path: Path, command: str
) -> None:
    root, outside = project(tmp_path)
    (root / ".acme_scan").mkdir()
    (root / ".acme_scan" / "index.json").symlink_to(outside / ".bashrc")
    before = snapshot(outside)
    result = run(command, cwd=root, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "is a link" in result.stderr
    assert snapshot(outside) == before
    assert (root / ".acme_scan" / "index.json").is_symlink()


@pytest.mark.parametrize("command", ["scan", "check", "watch"])
def test_a_linked_index_folder_is_never_entered(tmp_path: Path, command: str) -> None:
    root, outside = project(tmp_path, 'index = "out/sub/index.json"')
    (root / "out").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    result = run(command, cwd=root, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "is a link or not a folder" in result.stderr
    assert snapshot(outside) == before  # no folder created out there either


def test_a_linked_acme_scan_folder_is_never_entered(tmp_path: Path) -> None:
    root, outside = project(tmp_path)
    (root / ".acme_scan").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    result = run("scan", cwd=root)
    assert result.returncode == 2, result.stderr
    assert snapshot(outside) == before


def test_a_fifo_as_the_index_neither_hangs_nor_is_written(tmp_path: Path) -> None:
    root, _ = project(tmp_path, 'index = "fifo"')
    os.mkfifo(root / "fifo")
    result = run("scan", cwd=root, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "fifo: is not a regular file" in result.stderr


def test_a_device_as_the_index_is_refused(tmp_path: Path) -> None:
    root, _ = project(tmp_path, 'index = "dev/null"')
    (root / "dev").mkdir()
    (root / "dev" / "null").symlink_to("/dev/null")
    result = run("scan", cwd=root)
    assert result.returncode == 2, result.stderr


def test_the_users_own_output_file_may_go_anywhere(tmp_path: Path) -> None:
    """`-o FILE` is typed by the user, not read from the repository: it is theirs."""
    root, outside = project(tmp_path)
    target = outside / "index.json"
    (outside / "link.json").symlink_to(target)
    assert run("scan", "-o", str(outside / "link.json"), cwd=root).returncode == 0
    assert b'"flows"' in target.read_bytes()


def test_inside_the_root_everything_still_works(tmp_path: Path) -> None:
    root, outside = project(tmp_path, 'index = "build/cache/flows.json"')
    before = snapshot(outside)
    result = run("scan", cwd=root)
    assert result.returncode == 0, result.stderr
    assert b"PWNED" in (root / "build" / "cache" / "flows.json").read_bytes()
    assert run("watch", "--help", cwd=root).returncode == 0
    assert snapshot(outside) == before


SECRET = "https://octocat:ghp_0123456789abcdefghijklmnopqrstuvwxyz@github.com"


@pytest.mark.parametrize("fmt", ["human", "json", "github"])
def test_a_deploy_config_outside_the_root_is_never_read(tmp_path: Path, fmt: str) -> None:
    root, outside = project(tmp_path, 'deploy-config = "../home/.git-credentials"')
    (outside / ".git-credentials").write_text(SECRET + "\n")
    result = run("check", "--format", fmt, cwd=root)
    assert result.returncode == 2, result.stderr
    assert "ghp_" not in result.stdout + result.stderr


@pytest.mark.parametrize("fmt", ["human", "json", "github"])
def test_a_linked_deploy_config_is_never_read(tmp_path: Path, fmt: str) -> None:
    root, outside = project(tmp_path)
    (outside / ".git-credentials").write_text(SECRET + "\n")
    (root / ".acme_portal_sdk").mkdir()
    (root / ".acme_portal_sdk" / "static_flow_deploy_config.yaml").symlink_to(
        outside / ".git-credentials"
    )
    result = run("check", "--format", fmt, cwd=root)
    assert result.returncode == 2, result.stderr
    assert "ghp_" not in result.stdout + result.stderr


def test_values_in_findings_are_cut_short(tmp_path: Path) -> None:
    root, _ = project(tmp_path)
    (root / ".acme_portal_sdk").mkdir()
    (root / ".acme_portal_sdk" / "static_flow_deploy_config.yaml").write_text(
        f"etl:\n  work_pool_name: 5\n  description: 1\n  cron: '{SECRET} * * * *'\n"
    )
    result = run("check", "--format", "github", cwd=root)
    assert result.returncode == 1, result.stderr
    assert "invalid cron" in result.stdout
    assert SECRET not in result.stdout
    assert "…" in result.stdout


def test_the_deploy_command_never_shows_values_of_a_file_outside_the_project(
    tmp_path: Path,
) -> None:
    from acme_portal_sdk.errors import DeployConfigError
    from acme_portal_sdk.prefect.deploy_info import PrefectDeployInfoPrep

    root, outside = project(tmp_path)
    (outside / "config.yaml").write_text(
        f"etl:\n  cron: '{SECRET}'\n  work_pool_name: ['{SECRET}']\n  parameters: '{SECRET}'\n"
    )
    prep = PrefectDeployInfoPrep(str(outside / "config.yaml"), root_dir=root)
    with pytest.raises(DeployConfigError) as raised:
        prep.load_config()
    assert "ghp_" not in str(raised.value)
    assert "are not shown" in str(raised.value)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_repository_fsmonitor_is_never_run(tmp_path: Path) -> None:
    root, outside = project(tmp_path)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(outside)}
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"],
        ["git", "config", "core.fsmonitor", f"touch {outside}/RAN; echo"],
    ):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    # The hook is live: plain git runs it.
    subprocess.run(["git", "ls-files"], cwd=root, env=env, check=True, capture_output=True)
    assert (outside / "RAN").exists()
    (outside / "RAN").unlink()
    (root / "flows" / "new.py").write_text(FLOW.replace("etl", "new"))
    assert run("scan", cwd=root).returncode == 0
    assert run("check", "flows/new.py", cwd=root).returncode == 0
    assert not (outside / "RAN").exists()


#: (`logging`, `hashlib`, `threading` and `traceback` are imported late, when first needed.)
HOSTILE_MODULES = (
    *("pydantic", "orjson", "libcst", "yaml", "pathspec", "typing", "prefect"),
    *("logging", "hashlib", "threading", "traceback"),
)


@pytest.mark.parametrize("package", ["acme_scan", "acme_portal_sdk"])
def test_python_dash_m_imports_nothing_from_the_project(tmp_path: Path, package: str) -> None:
    root, outside = project(tmp_path)
    for name in HOSTILE_MODULES:
        (root / f"{name}.py").write_text(
            f"open({str(outside / name)!r}, 'w').close()\nraise SystemExit('hijacked')\n"
        )
    command = ["check"] if package == "acme_scan" else ["check-config"]
    if package == "acme_scan":  # a damaged index: a warning, so `logging` is loaded late
        (root / ".acme_scan").mkdir(exist_ok=True)
        (root / ".acme_scan" / "index.json").write_text("{not json")
    result = subprocess.run(
        [sys.executable, "-m", package, *command],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "hijacked" not in result.stderr
    assert result.returncode in (0, 1, 2), result.stderr
    assert [name for name in HOSTILE_MODULES if (outside / name).exists()] == []
    if package == "acme_scan":
        assert "acme-scan: WARNING: " in result.stderr


def test_dash_dash_ends_the_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = project(tmp_path)
    (root / "-x.py").write_text("from prefect import flow\n\n@flow('x')\ndef f(): ...\n")
    monkeypatch.chdir(root)
    assert main(["check", "--", "-x.py"]) == 1
    assert "-x.py:3:1: AS101" in capsys.readouterr().out
