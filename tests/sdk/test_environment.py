"""The `.env` file is loaded on import, never overriding the environment."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from acme_portal_sdk._environment import find_env_file, load_env_file

NEW = "ACME_SDK_TEST_NEW_VARIABLE"
SET = "ACME_SDK_TEST_ALREADY_SET"
REF = "ACME_SDK_TEST_REFERENCE"

ENV_FILE = f"""\
# a comment
export {NEW}="from file"
{SET}=from-file
{REF}=${{{SET}}}-suffix
"""


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset the test variables; monkeypatch removes whatever a test loads into them."""
    for name in (NEW, SET, REF):
        monkeypatch.setenv(name, "placeholder")  # recorded, so restored (removed) afterwards
        monkeypatch.delenv(name)


@pytest.mark.usefixtures("clean_environment")
def test_loads_new_variables_and_never_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(ENV_FILE)
    monkeypatch.setenv(SET, "from-environment")
    assert load_env_file(tmp_path) == tmp_path / ".env"
    assert os.environ[NEW] == "from file"
    assert os.environ[SET] == "from-environment"
    assert os.environ[REF] == "from-environment-suffix"


@pytest.mark.usefixtures("clean_environment")
def test_an_empty_existing_value_is_not_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(ENV_FILE)
    monkeypatch.setenv(SET, "")
    load_env_file(tmp_path)
    assert os.environ[SET] == ""


def test_found_in_the_project_root_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / ".env").write_text(ENV_FILE)
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_env_file(nested) == tmp_path / ".env"


def test_never_above_the_project_root(tmp_path: Path) -> None:
    """A `.env` in a folder holding the project (a parent checkout) is not the project's."""
    (tmp_path / ".env").write_text(ENV_FILE)
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    assert find_env_file(project / "src") is None
    assert find_env_file(project) is None


def test_never_above_the_git_work_tree(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'outer'\n")
    (tmp_path / ".env").write_text(ENV_FILE)
    clone = tmp_path / "clone"
    (clone / ".git").mkdir(parents=True)
    assert find_env_file(clone) is None


def test_a_shared_folder_above_is_never_trusted(tmp_path: Path) -> None:
    """A world-writable folder (a shared /tmp) cannot plant a project root above ours."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    (shared / "pyproject.toml").write_text("[tool.acme-scan]\n")
    (shared / ".env").write_text(ENV_FILE)
    mine = shared / "mine"
    mine.mkdir()
    assert find_env_file(mine) is None
    (mine / ".env").write_text("")
    assert find_env_file(mine) == mine / ".env"


@pytest.mark.usefixtures("clean_environment")
def test_an_undecodable_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"\xff\xfe\x00bad=\xff\n")
    assert load_env_file(tmp_path) is None


def test_import_loads_the_cwd_env_file_without_overriding(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(ENV_FILE)
    env = {k: v for k, v in os.environ.items() if k not in (NEW, REF)}
    env[SET] = "from-environment"
    code = f"import os, acme_portal_sdk; print(os.environ['{NEW}'], os.environ['{SET}'])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "from file from-environment\n"
    assert result.stderr == ""


class _Listener:
    """A TCP server on loopback standing for a server a hostile `.env` names; records
    every request it receives (and answers none)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                with contextlib.suppress(OSError):
                    self.requests.append(connection.recv(65536))

    def close(self) -> None:
        # Closing a listening socket does not wake a thread blocked in accept(); shutting
        # it down does (accept fails), so the serving thread ends here.
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        self.socket.close()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive()


LIST_DEPLOYMENTS = """\
from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder
try:
    PrefectDeploymentFinder()()
except Exception as exc:
    print(type(exc).__name__, exc)
"""


@pytest.mark.parametrize("allowed", [False, True])
def test_an_api_url_from_env_never_gets_the_profiles_key(tmp_path: Path, allowed: bool) -> None:
    listener = _Listener()
    try:
        project = tmp_path / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
        (project / ".env").write_text(f"PREFECT_API_URL=http://127.0.0.1:{listener.port}/api\n")
        profiles = tmp_path / "profiles.toml"
        profiles.write_text(
            'active = "mine"\n[profiles.mine]\nPREFECT_API_KEY = "pnu_users_own_secret"\n'
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ACME_"))}
        env.update(PREFECT_HOME=str(tmp_path / "home"), PREFECT_PROFILES_PATH=str(profiles))
        if allowed:
            env["ACME_PORTAL_SDK_ALLOW_MIXED_CREDENTIALS"] = "1"
        env["PREFECT_CLIENT_MAX_RETRIES"] = "0"
        result = subprocess.run(
            [sys.executable, "-c", LIST_DEPLOYMENTS],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        listener.close()
    sent = b"".join(listener.requests)
    if allowed:  # the opt-in really lets the key go: so the refusal is what protects it
        assert b"pnu_users_own_secret" in sent, result.stdout + result.stderr
    else:
        assert result.stdout.startswith("CredentialSourceError PREFECT_API_URL comes from ")
        assert "but PREFECT_API_KEY from your profile" in result.stdout
        assert sent == b""


def test_an_airflow_url_from_env_never_gets_the_users_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from acme_portal_sdk import _environment
    from acme_portal_sdk.airflow.environments import from_process_environment
    from acme_portal_sdk.errors import CredentialSourceError

    monkeypatch.setattr(_environment, "_from_env_file", {})
    for name in ("AIRFLOW_DEV_URL", "AIRFLOW_DEV_TOKEN", "AIRFLOW_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(_environment.ALLOW_MIXED_SOURCES, raising=False)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / ".env").write_text("AIRFLOW_DEV_URL=http://127.0.0.1:9\n")
    monkeypatch.setenv("AIRFLOW_TOKEN", "users-own-token")
    monkeypatch.chdir(tmp_path)
    assert load_env_file(tmp_path) == tmp_path / ".env"
    monkeypatch.setenv("AIRFLOW_DEV_URL", os.environ["AIRFLOW_DEV_URL"])  # restored after
    with pytest.raises(CredentialSourceError, match=r"AIRFLOW_DEV_URL comes from .* AIRFLOW_TOKEN"):
        from_process_environment("dev")
    monkeypatch.setenv(_environment.ALLOW_MIXED_SOURCES, "1")
    assert from_process_environment("dev").token == "users-own-token"
