"""`scan_source` never runs the code it reads: a module that writes a file and exits on import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from acme_scan.scanner import scan_source
from tests.conftest import python_in_fresh_process

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "side_effects" / "side_effect_flows.py"
DEFAULT_SENTINEL = FIXTURE.with_name("sentinel_written.txt")
RELATIVE = FIXTURE.relative_to(ROOT).as_posix()


@pytest.fixture
def sentinel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "sentinel_written.txt"
    monkeypatch.setenv("ACME_SIDE_EFFECT_SENTINEL", str(path))
    assert not DEFAULT_SENTINEL.exists(), "left over from an earlier import of the fixture"
    return path


def test_importing_the_fixture_really_has_side_effects(tmp_path: Path) -> None:
    """Guard: the fixture is only a proof if importing it does write and exit."""
    sentinel = tmp_path / "imported.txt"
    env = {**os.environ, "ACME_SIDE_EFFECT_SENTINEL": str(sentinel)}
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('side_effect_flows', {str(FIXTURE)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, timeout=60, check=False
    )
    assert completed.returncode == 3
    assert sentinel.read_text(encoding="utf-8") == "this module was imported\n"


def test_scan_finds_flows_without_running_the_module(sentinel: Path) -> None:
    modules_before = set(sys.modules)
    result = scan_source(FIXTURE.read_bytes(), RELATIVE)  # no SystemExit either
    assert result.status == "parsed"
    assert [(f.qualname, f.name, f.entrypoint) for f in result.flows] == [
        ("side_effect_flow", "side-effect-flow", f"{RELATIVE}:side_effect_flow"),
        ("Jobs.method_flow", "method-flow", f"{RELATIVE}:Jobs.method_flow"),
    ]
    assert result.flows[0].description == "Only a static scanner can see this flow."
    assert result.diagnostics == ()
    assert not sentinel.exists()
    assert not DEFAULT_SENTINEL.exists()
    assert not {name for name in set(sys.modules) - modules_before if "side_effect" in name}


def test_scanning_imports_neither_prefect_nor_the_scanned_code(sentinel: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from acme_scan.scanner import scan_source\n"
        f"result = scan_source(Path({str(FIXTURE)!r}).read_bytes(), 'x.py')\n"
        "assert len(result.flows) == 2, result\n"
        "leaked = sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.'))\n"
        "assert not leaked, leaked\n"
        "print('ok')\n"
    )
    completed = python_in_fresh_process(code)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "ok"
    assert not sentinel.exists()
    assert not DEFAULT_SENTINEL.exists()
