"""The deploy config is validated once, by `acme-scan check`'s validator, before any server.

No server runs here: every problem must be found (and the command fail) before one is needed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from acme_portal_sdk import main as aps
from acme_scan.cli import main as acme_scan
from tests.conftest import git
from tests.deploy.conftest import EXAMPLE, write_config

#: Four different problems: a wrong type, an out-of-range cron, an unknown key, an unknown flow.
FOUR_PROBLEMS = """\
hello_world:
  work_pool_name: ''
  cron: "61 * * * *"
revenue:
  work_pool: pool-a
no_such_flow:
  paused: true
"""


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "acme_prefect"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__"))
    monkeypatch.chdir(root)
    # Pointing at a port nothing listens on: any server call would fail the test loudly.
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    return root


def check_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert acme_scan(["check", "--quiet"]) == 1
    out = capsys.readouterr().out
    # `[*]` (a fix exists) is check's only addition to the words aps prints.
    return [line.replace(" [*] ", " ") for line in out.splitlines() if line]


@pytest.mark.parametrize("command", ["deploy", "promote"])
def test_every_problem_in_one_run_with_checks_wording(
    root: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    write_config(root, FOUR_PROBLEMS)
    expected = check_lines(capsys)
    assert len(expected) == 4
    assert [line.split(": ", 2)[1].split()[0] for line in expected] == [
        "AS304",
        "AS305",
        "AS303",
        "AS302",
    ]
    envs = (
        ["--env", "dev"] if command == "deploy" else ["--source-env", "dev", "--target-env", "uat"]
    )
    code = aps(
        [command, *envs, "--dry-run", "--branch-name", "main", "--commit-hash", "abc"]
        if command == "deploy"
        else [command, *envs, "--dry-run", "--branch-name", "main"]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert "invalid deploy configuration" in err
    assert "4 problem(s)" in err
    for line in expected:
        assert line in err
    assert out == ""


def test_check_config_reports_them_too(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(root, FOUR_PROBLEMS)
    expected = check_lines(capsys)
    assert aps(["check-config"]) == 1
    out = capsys.readouterr().out
    for line in expected:
        assert line in out


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
                for i in range(8)
            ),
            "expand to more than 100000 values",
        ),
        ("a: " + "[" * 200 + "]" * 200 + "\n", "nests deeper than 64 levels"),
        ("".join(" " * i + "k:\n" for i in range(300)), "nests deeper than 64 levels"),
    ],
)
def test_bounded_yaml_is_a_clear_error(
    root: Path, capsys: pytest.CaptureFixture[str], text: str, fragment: str
) -> None:
    write_config(root, text)
    assert acme_scan(["check", "--quiet"]) == 1
    assert fragment in capsys.readouterr().out
    code = aps(["deploy", "--env", "dev", "--dry-run", "--branch-name", "m", "--commit-hash", "c"])
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err


def test_outside_git_the_error_says_what_to_pass(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not (root / ".git").exists()
    os.environ["GIT_CEILING_DIRECTORIES"] = str(root.parent)
    try:
        code = aps(["deploy", "--env", "dev", "--dry-run", "--work-pool", "p"])
    finally:
        del os.environ["GIT_CEILING_DIRECTORIES"]
    err = capsys.readouterr().err
    assert code == 2
    assert "is not inside a git repository" in err
    assert "--branch-name and --commit-hash" in err
    git(root, "init", "-q", "-b", "main")
    assert aps(["deploy", "--env", "dev", "--dry-run", "--work-pool", "p"]) == 2
    assert "has no commit yet" in capsys.readouterr().err
