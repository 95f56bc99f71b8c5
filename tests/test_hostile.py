"""Hostile input outside the scanner core: each is a clear error or a diagnostic, and the
rest of the work completes (issue 14, items 3 and 4)."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest

from acme_portal_sdk._main import main as aps
from acme_scan.cli import main
from acme_scan.globs import gitignore_spec
from tests.conftest import WriteFiles

FLOW = "from prefect import flow\n\n@flow\ndef {name}(): ...\n"
#: 12 stars: exponential for a backtracking matcher on names that almost match.
STARS = "*a" * 12 + "*b.py"


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ('tool = "x"\n', "`tool` must be a table"),
        ('[tool.acme-scan]\ninclude = ["!"]\n', "'include': invalid pattern '!'"),
        ('[tool.acme-scan]\nexclude = ["a", "!"]\n', "'exclude': invalid pattern '!'"),
        ('[tool.acme-scan]\nindex = "\\u0000x"\n', "'index' must be a non-empty path without NUL"),
    ],
)
@pytest.mark.parametrize("command", ["scan", "check"])
def test_invalid_settings_are_usage_errors(
    write_files: WriteFiles,
    pyproject: str,
    message: str,
    command: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = write_files({"pyproject.toml": pyproject, "a.py": FLOW.format(name="a")})
    assert main([command, "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert f"{root / 'pyproject.toml'}: [tool.acme-scan]: {message}" in err
    assert "Traceback" not in err


def test_linear_globs_match_as_pathspec_does() -> None:
    import pathspec

    patterns = ["*a" * 4 + "*b", "*.py", "a*b*c", "**/x*y*z", "src/*a*/b*c*d", "[ab]*?*c", r"\**x*"]
    names = ["aaab", "a" * 40, "xay/zby", "src/xay/bxcxd", "bqqc", "*x", "a/b/xqyqz", "a.py"]
    for pattern in patterns:
        ours, theirs = gitignore_spec([pattern]), pathspec.GitIgnoreSpec.from_lines([pattern])
        for name in names:
            assert ours.match_file(name) == theirs.match_file(name), (pattern, name)


def test_a_twelve_star_glob_is_fast(write_files: WriteFiles) -> None:
    """In `.gitignore` (walked without git) and in `exclude`, on names it almost matches."""
    almost = "a" * 40 + ".py"
    root = write_files(
        {
            ".gitignore": f"{STARS}\n!\n",  # and an invalid line, skipped as git skips it
            "pyproject.toml": f'[tool.acme-scan]\nexclude = ["{STARS}"]\n',
            almost: FLOW.format(name="a"),
            "a" * 12 + "b.py": FLOW.format(name="b"),  # matched by both patterns: excluded
        }
    )
    started = time.perf_counter()
    assert main(["scan", "--root", str(root), "-q", "-o", str(root / "i.json")]) == 0
    assert time.perf_counter() - started < 20  # was minutes; the bound only catches blow-ups
    files = orjson.loads((root / "i.json").read_bytes())["files"]
    assert list(files) == [almost]


def test_empty_selection_is_a_usage_error(
    write_files: WriteFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_files({"a.py": FLOW.format(name="a")})
    assert main(["check", "--root", str(root), "--select", ""]) == 2
    assert "--select: no rule given" in capsys.readouterr().err
    assert main(["check", "--root", str(root), "--select", "AS201", "--ignore", "AS2"]) == 2
    assert "no rule is selected" in capsys.readouterr().err
    (root / "pyproject.toml").write_text("[tool.acme-scan]\nselect = []\n", encoding="utf-8")
    assert main(["check", "--root", str(root)]) == 2
    assert "'select' is empty" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e999"])
def test_reconcile_interval_must_be_finite(
    write_files: WriteFiles, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_files({"a.py": FLOW.format(name="a")})
    with pytest.raises(SystemExit) as raised:
        main(["watch", "--root", str(root), "--reconcile-s", value])
    assert raised.value.code == 2
    assert "--reconcile-s" in capsys.readouterr().err


def test_no_flow_to_deploy_is_a_usage_error(
    write_files: WriteFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_files({"a.py": FLOW.format(name="a")})
    argv = ["deploy", "--env", "dev", "--root", str(root), "--flows-to-deploy", " , ", "--dry-run"]
    assert aps(argv) == 2
    assert "--flows-to-deploy names no flow" in capsys.readouterr().err


def test_a_server_left_by_a_killed_test_process_is_ended(tmp_path: Path) -> None:
    """The session fixtures' servers (Prefect, Airflow) run in sessions of their own, so
    killing pytest would leave them running; `reap_if_pytest_dies` ends them."""
    import signal
    import subprocess
    import sys

    pid_file = tmp_path / "server.pid"
    code = (
        "import subprocess, sys, time\n"
        "from tests.conftest import reap_if_pytest_dies\n"
        "server = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'],"
        " start_new_session=True)\n"
        "reap_if_pytest_dies(server.pid)\n"
        f"open({str(pid_file)!r}, 'w').write(str(server.pid))\n"
        "time.sleep(120)\n"
    )
    fake_pytest = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parent.parent)
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the fake server never started"
        time.sleep(0.05)
    server = int(pid_file.read_text())
    fake_pytest.send_signal(signal.SIGKILL)
    fake_pytest.wait()
    deadline = time.monotonic() + 20
    while True:
        try:
            state = Path(f"/proc/{server}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            break  # ended and reaped
        if state == "Z":
            break  # ended (its new parent has not reaped it yet)
        assert time.monotonic() < deadline, "the server outlived the killed test process"
        time.sleep(0.1)
