"""The pre-commit hooks: the manifest is valid, and a real `git commit` runs the check.

The end-to-end test builds a temporary git repository whose `.pre-commit-config.yaml` holds
this repository's `acme-scan-check` hook definition (from `.pre-commit-hooks.yaml`) as a
`repo: local` hook with `language: system` calling this environment's `acme-scan`: the same
`files`, `types_or`, `pass_filenames` and `require_serial`, without building a hook
environment (no network, seconds not minutes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parent.parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
CONFIG = ".acme_portal_sdk/static_flow_deploy_config.yaml"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def hooks() -> dict[str, dict[str, Any]]:
    from pre_commit.clientlib import load_manifest  # type: ignore[import-untyped]

    return {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}


def test_the_manifest_is_valid() -> None:
    found = hooks()
    assert set(found) == {"acme-scan-check", "acme-scan-fix", "acme-scan-index"}
    fix = found["acme-scan-fix"]
    assert fix["entry"] == "acme-scan check --fix --"
    for key in ("files", "types_or", "pass_filenames", "require_serial", "language"):
        assert fix[key] == found["acme-scan-check"][key], key
    check, index = found["acme-scan-check"], found["acme-scan-index"]
    assert (check["entry"], check["language"]) == ("acme-scan check --", "python")
    assert check["pass_filenames"] is True
    assert index["pass_filenames"] is False
    assert check["require_serial"] is True
    assert index["require_serial"] is True
    assert index["types"] == ["python"]


def test_the_check_hook_matches_python_files_and_the_deploy_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pre_commit.commands.run import Classifier  # type: ignore[import-untyped]

    hook = hooks()["acme-scan-check"]
    names = ["a.py", "pkg/b.py", CONFIG, "other.yaml", "README.md", "setup.cfg"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    monkeypatch.chdir(tmp_path)
    classifier = Classifier(names)
    chosen = classifier.filenames_for_hook(_as_hook(hook))
    assert sorted(chosen) == sorted(["a.py", "pkg/b.py", CONFIG])


def _as_hook(data: dict[str, Any]) -> Any:
    from pre_commit.hook import Hook  # type: ignore[import-untyped]

    fields = {name: data.get(name) for name in Hook._fields}
    fields.update(src="local", prefix=None)
    return Hook(**fields)


@pytest.fixture
def repository(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    return _repository(tmp_path, "acme-scan-check")


def _repository(tmp_path: Path, hook_id: str) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "repo"
    repo.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_", "PRE_COMMIT"))
    }
    env.update(
        HOME=str(home),
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        PRE_COMMIT_COLOR="never",
    )
    hook = dict(hooks()[hook_id])
    acme_scan = Path(sys.executable).with_name("acme-scan")
    assert acme_scan.exists(), acme_scan
    local = {
        "id": hook["id"],
        "name": hook["name"],
        "entry": hook["entry"].replace("acme-scan", str(acme_scan), 1),
        "language": "system",
        "types_or": hook["types_or"],
        "files": hook["files"],
        "pass_filenames": hook["pass_filenames"],
        "require_serial": hook["require_serial"],
    }
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _run(repo, env, "git", "init", "-q")
    _run(repo, env, sys.executable, "-m", "pre_commit", "install")
    return repo, env


def _run(repo: Path, env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0 and command[:2] != ("git", "commit"):
        raise AssertionError(f"{command} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _commit(
    repo: Path, env: dict[str, str], files: dict[str, str], message: str
) -> tuple[int, str]:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    _run(repo, env, "git", "add", "-A")
    result = _run(repo, env, "git", "commit", "-qm", message)
    return result.returncode, result.stdout + result.stderr


def test_pre_commit_refuses_a_duplicate_flow_name(repository: tuple[Path, dict[str, str]]) -> None:
    repo, env = repository
    flow = "from prefect import flow\n\n@flow(name={name!r})\ndef {function}(): ...\n"

    code, output = _commit(repo, env, {"flows/a.py": flow.format(name="etl", function="a")}, "a")
    assert code == 0, output

    # Only b.py is staged: the duplicate with the committed a.py is found all the same.
    code, output = _commit(repo, env, {"flows/b.py": flow.format(name="etl", function="b")}, "b")
    assert code != 0, output
    assert "acme-scan check" in output
    assert (
        "flows/b.py:4:1: AS201 [error] flow name 'etl' is also defined at flows/a.py:4:1" in output
    )
    assert _run(repo, env, "git", "rev-list", "--count", "HEAD").stdout.strip() == "1"

    code, output = _commit(repo, env, {"flows/b.py": flow.format(name="load", function="b")}, "b")
    assert code == 0, output
    assert _run(repo, env, "git", "rev-list", "--count", "HEAD").stdout.strip() == "2"

    # A deploy config naming a flow that does not exist is refused too, then fixed.
    code, output = _commit(repo, env, {CONFIG: "lod:\n  cron: '0 6 * * *'\n"}, "config")
    assert code != 0, output
    assert (
        f"{CONFIG}:1:1: AS302 [error] no flow named 'lod' in the project; did you mean 'load'?"
        in output
    )
    code, output = _commit(repo, env, {CONFIG: "load:\n  cron: '0 6 * * *'\n"}, "config")
    assert code == 0, output

    # The hook updated the (ignored) index and modified no tracked file.
    assert (repo / ".acme_scan" / "index.json").is_file()
    assert _run(repo, env, "git", "status", "--porcelain").stdout == ""


BAD_DECORATOR = "from prefect import flow\n\n@flow('x')\ndef f(): ...\n"


@pytest.mark.parametrize("name", ["-dash.py", "--root=foo.py"])
def test_staged_names_that_look_like_options_are_checked_as_files(
    repository: tuple[Path, dict[str, str]], name: str
) -> None:
    """The entry ends with `--`: pre-commit's file names can never become options (a
    `--root=foo.py` next to a clean folder `foo.py/` must not make the hook check that
    folder instead)."""
    repo, env = repository
    clean = "from prefect import flow\n\n@flow\ndef ok(): ...\n"
    code, output = _commit(repo, env, {"foo.py/clean.py": clean, name: BAD_DECORATOR}, "bad")
    assert code != 0, output
    assert f"{name}:3:1: AS101 [*] [error]" in output
    assert "usage" not in output
    assert _run(repo, env, "git", "rev-list", "--all", "--count").stdout.strip() == "0"


def test_the_fix_hook_fixes_then_lets_the_fixed_commit_through(tmp_path: Path) -> None:
    repo, env = _repository(tmp_path, "acme-scan-fix")
    broken = (
        "from prefect import flow\n\n\n@flow('load')  # named positionally\ndef load(): ...\n\n\n"
        "@flow(\n    retires=3,  # misspelt\n)\ndef retry(): ...\n"
    )
    code, output = _commit(repo, env, {"flows/etl.py": broken}, "etl")
    assert code != 0, output
    assert "files were modified by this hook" in output
    assert "flows/etl.py:4:1: AS101 fixed" in output
    assert "flows/etl.py:8:1: AS106 fixed" in output
    fixed = (repo / "flows/etl.py").read_text()
    assert fixed == broken.replace("@flow('load')", "@flow(name='load')").replace(
        "retires=3", "retries=3"
    )
    assert _run(repo, env, "git", "rev-list", "--all", "--count").stdout.strip() == "0"

    code, output = _commit(repo, env, {}, "etl, fixed")
    assert code == 0, output
    assert _run(repo, env, "git", "rev-list", "--count", "HEAD").stdout.strip() == "1"
    assert _run(repo, env, "git", "status", "--porcelain").stdout == ""

    # What cannot be fixed still refuses the commit, and nothing is modified.
    code, output = _commit(
        repo,
        env,
        {"flows/two.py": "from prefect import flow\n\n@flow('a', 'b')\ndef f(): ...\n"},
        "two",
    )
    assert code != 0, output
    assert "files were modified" not in output
    assert "AS101 not fixed: more than one positional argument" in output
