"""The `acme-scan` CLI through its public entry points (in process and as a real process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from acme_scan.cli import main
from tests.conftest import WriteFiles

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "acme_prefect"


def test_scan_writes_index_and_summary(
    write_files: WriteFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_files(
        {
            "flows.py": "from prefect import flow\n\n@flow\ndef etl(): ...\n",
            "broken.py": "from prefect import flow\ndef (:\n",
        }
    )
    assert main(["scan", str(root)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "broken.py:2:5: AS001 [error]" in err
    assert "acme-scan: 1 flows in 1 files; 2 files" in err
    assert f"index written: {root.as_posix()}/.acme_scan/index.json" in err
    data = orjson.loads((root / ".acme_scan" / "index.json").read_bytes())
    assert [f["entrypoint"] for f in data["flows"]] == ["flows.py:etl"]
    assert main(["scan", str(root)]) == 0
    assert "index unchanged" in capsys.readouterr().err


def test_scan_to_stdout_writes_no_file(
    write_files: WriteFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_files({"f.py": "import prefect\n\n@prefect.flow\nasync def job(): ...\n"})
    assert main(["scan", str(root), "--output", "-", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    data = orjson.loads(out)
    assert [(f["name"], f["is_async"]) for f in data["flows"]] == [("job", True)]
    assert not (root / ".acme_scan").exists()


def test_scan_output_option_and_table(
    write_files: WriteFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_files({"f.py": "from prefect import flow\n\n@flow(name='x')\ndef job(): ...\n"})
    target = tmp_path / "out" / "idx.json"
    assert main(["scan", str(root), "-o", str(target), "--format", "table"]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines() == ["NAME  ENTRYPOINT  LINE  ASYNC", "x     f.py:job    4"]
    assert orjson.loads(target.read_bytes())["flows"][0]["name"] == "x"


def test_no_prefilter_parses_everything(
    write_files: WriteFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_files({"plain.py": "def broken(:\n"})
    assert main(["scan", str(root), "-o", "-", "-q"]) == 0
    assert orjson.loads(capsys.readouterr().out)["diagnostics"] == []
    assert main(["scan", str(root), "-o", "-", "-q", "--no-prefilter"]) == 0
    diagnostics = orjson.loads(capsys.readouterr().out)["diagnostics"]
    assert [d["code"] for d in diagnostics] == ["AS001"]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        ([], 2, "usage: acme-scan"),
        (["nope"], 2, "unknown command 'nope'"),
        (["scan", "--bogus"], 2, "unrecognized arguments"),
        (["scan", "/definitely/not/here"], 2, "no such file or directory"),
        (["scan", ".", "-o", "-", "--format", "table"], 2, "both use stdout"),
    ],
)
def test_usage_errors(
    argv: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        result = main(argv)
    except SystemExit as exc:  # argparse exits with 2 itself
        result = int(exc.code or 0)
    assert result == code
    assert message in capsys.readouterr().err


def test_bad_settings_exit_2(write_files: WriteFiles, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_files({"pyproject.toml": "[tool.acme-scan]\nwat = 1\n"})
    assert main(["scan", str(root)]) == 2
    assert "pyproject.toml: [tool.acme-scan]: unknown key 'wat'" in capsys.readouterr().err


def test_schema_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = orjson.loads(capsys.readouterr().out)
    assert schema["title"] == "Index"


def test_console_script_on_the_bundled_example(tmp_path: Path) -> None:
    """The README's first command, as a real process."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "acme_scan",
            "scan",
            "--root",
            str(EXAMPLES),
            "--format",
            "table",
            "--output",
            str(tmp_path / "index.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert names == [
        "acme-daily-sales",
        "acme-backfill-sales",
        "hello-world",
        "revenue",
        "churn-report",
    ]
    assert "5 flows in 3 files" in result.stderr


def test_hostile_nesting_is_as001_and_scan_and_check_complete(write_files: WriteFiles) -> None:
    """3,000 nested parentheses once crashed LibCST's native parser and the whole scan."""
    padding = "from prefect import flow\n\n" + "".join(
        f"def helper_{i}(x):\n    return x + {i}\n\n" for i in range(80)
    )
    files: dict[str, str | bytes] = {f"pad/m{i:03d}.py": padding for i in range(450)}
    files["deep.py"] = "from prefect import flow\nx = " + "(" * 3000 + ")" * 3000 + "\n"
    files["flows.py"] = "from prefect import flow\n\n@flow\ndef fine(): ...\n"
    root = write_files(files)
    scan = subprocess.run(
        [sys.executable, "-m", "acme_scan", "scan", str(root), "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert scan.returncode == 0, scan.stderr
    index = orjson.loads((root / ".acme_scan" / "index.json").read_bytes())
    [diagnostic] = index["files"]["deep.py"]["diagnostics"]
    assert diagnostic["code"] == "AS001"
    assert "too many nested parentheses" in diagnostic["message"]
    assert [flow["qualname"] for flow in index["flows"]] == ["fine"]
    assert len(index["files"]) == 452
    check = subprocess.run(
        [sys.executable, "-m", "acme_scan", "check", "--root", str(root), "--no-write"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1, check.stdout + check.stderr  # findings, not a crash
    assert "AS001" in check.stdout
    assert "Traceback" not in check.stderr


def test_logging_loads_only_for_a_record_and_keeps_the_cli_format(tmp_path: Path) -> None:
    """`logging` (and `threading`, `traceback`) is loaded only when a record is emitted
    (`acme_scan._log`): a scan that warns of nothing never loads it. A warning in a fresh
    process still goes through the CLI's handler, and `-v` shows info records."""
    from tests.conftest import cli_in_fresh_process

    (tmp_path / "flows.py").write_text("from prefect import flow\n\n@flow\ndef etl(): ...\n")
    heavy: tuple[str, ...] = ("logging", "traceback")
    if sys.version_info >= (3, 11):  # 3.10's `platform` (which orjson loads) imports it
        heavy += ("threading",)
    for argv in (["scan", str(tmp_path), "-q", "--cold"], ["scan", str(tmp_path), "-q"]):
        code, loaded, _ = cli_in_fresh_process(argv, heavy)
        assert (code, loaded) == (0, [])

    def scan(*options: str) -> list[str]:
        command = [sys.executable, "-m", "acme_scan", "scan", str(tmp_path), "-q", *options]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return [line for line in done.stderr.splitlines() if line.startswith("acme-scan: ")]

    index = tmp_path / ".acme_scan" / "index.json"
    index.write_text("{not json", encoding="utf-8")
    [warning] = scan()
    assert warning.startswith("acme-scan: WARNING: ")
    assert "index.json" in warning
    data = orjson.loads(index.read_bytes())
    index.write_bytes(orjson.dumps({**data, "settings_hash": "0" * 16}))
    assert "acme-scan: INFO: index written by another scanner version or settings; " in "\n".join(
        scan("-v")
    )
    assert data["flows"][0]["entrypoint"] == "flows.py:etl"


def test_lazy_loggers_name_the_line_that_logged(caplog: pytest.LogCaptureFixture) -> None:
    """`acme_scan._log` forwards to `logging` from a frame of its own: each record still
    names the file, function and line of the call, at every level."""
    import logging

    from acme_scan import _log

    logger = _log.get("acme_scan.test_lazy")
    caplog.set_level(logging.DEBUG, logger="acme_scan.test_lazy")
    for level in ("debug", "info", "warning", "error"):
        line = sys._getframe().f_lineno + 1
        getattr(logger, level)(level)
    try:
        raise ValueError("x")
    except ValueError:
        logger.exception("x")
    records = [r for r in caplog.records if r.name == "acme_scan.test_lazy"]
    assert [(r.levelname, r.filename, r.funcName) for r in records] == [
        (level, "test_cli.py", "test_lazy_loggers_name_the_line_that_logged")
        for level in ("DEBUG", "INFO", "WARNING", "ERROR", "ERROR")
    ]
    assert [r.lineno for r in records[:4]] == [line] * 4
    assert records[4].exc_info is not None


def test_console_script_exits_at_once_with_all_output_and_its_code(
    write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m acme_scan` (the console script's `console()`) ends with `os._exit`: all
    that was printed still arrives, a warning logged on the way too, and each command's exit
    code is kept."""
    files: dict[str, str | bytes] = {
        f"pkg/m{i:03d}.py": f"from prefect import flow\n\n@flow(name='f-{i}')\ndef f_{i}(): ...\n"
        for i in range(400)
    }
    root = write_files(files)
    # Buffered as in a user's pipe (this environment sets PYTHONUNBUFFERED).
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "acme_scan", *args]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    dumped = run("scan", "--root", str(root), "-o", "-", "-q")
    assert dumped.returncode == 0, dumped.stderr
    assert len(dumped.stdout) > 200_000  # several pipe buffers
    assert len(orjson.loads(dumped.stdout)["flows"]) == 400
    table = run("scan", str(root), "--format", "table")
    assert table.returncode == 0, table.stderr
    rows = table.stdout.splitlines()  # printed: in the buffer until `console` flushes it
    assert len(rows) == 401, rows[-3:]
    assert rows[-1].startswith("f-399 ")
    written = (root / ".acme_scan" / "index.json").read_bytes()
    assert orjson.loads(written)["flows"] == orjson.loads(dumped.stdout)["flows"]
    (root / ".acme_scan" / "index.json").write_text("{not json")
    warned = run("scan", str(root), "-q")
    assert warned.returncode == 0, warned.stderr
    assert "acme-scan: WARNING: " in warned.stderr  # logged, then flushed before the exit
    assert (root / ".acme_scan" / "index.json").read_bytes() == written
    usage = run("scan", "--format", "nope")
    assert usage.returncode == 2
    assert "invalid choice" in usage.stderr
    (root / "broken.py").write_text("from prefect import flow\ndef (:\n")
    findings = run("check", "--root", str(root), "--no-write")
    assert findings.returncode == 1, findings.stderr
    assert "AS001" in findings.stdout


#: `console()` run with its `os._exit` reporting, first, how many objects `_exit` kept.
_COUNTING_CONSOLE = """
import os, sys
from acme_scan import _exit, cli

real_exit = os._exit

def report(code):
    kept = _exit._Kept.objects
    sys.stdout.write(f"exit {code} kept {'none' if kept is None else len(kept)}\\n")
    sys.stdout.flush()
    real_exit(code)

os._exit = report
sys.argv = ["acme-scan", *sys.argv[1:]]
cli.console()
"""


def test_one_shot_commands_leave_their_data_to_the_exit_and_others_keep_nothing(
    tmp_path: Path,
) -> None:
    """`scan` and `check` run from the console script leave the index's data for `os._exit`
    to free (`acme_scan._exit`); `watch`, which runs until stopped, keeps nothing, and
    neither does an in-process caller (`cli.main`, the SDK)."""
    from acme_scan import _exit

    def run(*args: str) -> str:
        command = [sys.executable, "-c", _COUNTING_CONSOLE, *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        return done.stdout.splitlines()[-1]

    index = str(tmp_path / "index.json")
    for args in (("scan", "-o", index), ("check", "--no-write")):
        last = run(*args, "--root", str(EXAMPLES), "-q")
        code, kept = last.split()[1], int(last.split()[3])
        assert code in ("0", "1"), last
        assert kept >= 2, last  # the scan's data (and check's views of it)
    assert run("watch", "--root", str(tmp_path / "missing")) == "exit 2 kept none"
    assert main(["scan", "--root", str(EXAMPLES), "-q", "-o", str(tmp_path / "i.json")]) == 0
    assert main(["check", "--root", str(EXAMPLES), "-q", "--no-write"]) in (0, 1)
    assert _exit._Kept.objects is None
