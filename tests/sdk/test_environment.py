"""The `.env` file is loaded on import, never overriding the environment."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_found_in_a_parent_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(ENV_FILE)
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_env_file(nested) == tmp_path / ".env"


def test_the_nearest_file_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(ENV_FILE)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".env").write_text("")
    assert find_env_file(tmp_path / "a") == tmp_path / "a" / ".env"


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
