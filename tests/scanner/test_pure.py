"""The core does no I/O: `scan_source` opens no file, lists no folder, starts no process and
touches no network, whatever it scans (audited by the interpreter itself, PEP 578).

An audit hook sees every `open`, `os.*`, `socket.*`, `subprocess.*` ... event of the process.
It is installed once the scanner is loaded and warmed up (its imports may read their own
modules); then the fixtures and the examples are scanned again under it, in a scratch
current directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CODE = r"""
import json, os, sys
from pathlib import Path

from acme_scan.scanner import scan_source

probe = sys.argv[1] == "probe"
sources = [
    (path.relative_to(root).as_posix(), path.read_bytes())
    for root in map(Path, sys.argv[2:])
    for path in sorted(root.rglob("*.py"))
]
sources.append(("bad.py", b"\xff\xfe not python ((("))
for rel, data in sources:  # warm up: every lazy import of the scanner happens now
    scan_source(data, rel)

IO = ("open", "os.", "socket.", "subprocess.", "shutil.", "urllib.", "http.", "ftplib.",
      "smtplib.", "sqlite3.", "ctypes.", "glob.", "tempfile.", "pathlib.", "import", "exec",
      "time.sleep", "webbrowser.", "fcntl.", "mmap.", "signal.", "resource.")
seen = []
scanning = ""


def hook(event, args):
    if event.startswith(IO):
        seen.append([event, scanning, str(args[0]) if args else ""])


sys.addaudithook(hook)
for rel, data in sources:
    scanning = rel
    scan_source(data, rel)
    if probe:  # a guard: the hook does see I/O
        os.listdir(".")
scanning = ""
print(json.dumps(seen))
"""


def audited(tmp_path: Path, mode: str) -> list[list[str]]:
    folders = [str(ROOT / "tests" / "fixtures"), str(ROOT / "examples")]
    result = subprocess.run(
        [sys.executable, "-c", CODE, mode, *folders],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    events: list[list[str]] = json.loads(result.stdout)
    return events


def test_scanning_does_no_io(tmp_path: Path) -> None:
    events = audited(tmp_path, "scan")
    # CPython itself (3.10-3.13) tries to open the file named to its parser and compiler to
    # show the line of a syntax error; the scanner names none (see the test below).
    assert [event for event in events if event[:1] + event[2:] != ["open", ""]] == []


def test_a_syntax_error_never_reads_the_scanned_path(tmp_path: Path) -> None:
    """What lies at the scanned path in the current directory changes nothing: CPython is
    told the text comes from "", which no file can be named."""
    events = audited(tmp_path, "scan")
    assert {event[2] for event in events if event[0] == "open"} <= {""}
    source = b"from prefect import flow\n\n@flow\ndef f():\n    x = (1,\n"
    for decoy in (None, b"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n" * 8):
        if decoy is not None:
            (tmp_path / "decoy.py").write_bytes(decoy)
        code = (
            "import json; from acme_scan.scanner import scan_data;"
            f"print(json.dumps(scan_data({source!r}, 'decoy.py')['diagnostics']))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        found = json.loads(result.stdout)
        if decoy is None:
            clean = found
        assert found == clean


def test_the_audit_sees_io(tmp_path: Path) -> None:
    """Guard: with one `os.listdir` per file scanned, the same audit reports them."""
    events = audited(tmp_path, "probe")
    assert {event[0] for event in events} >= {"os.listdir"}
