"""The compiled build: a wheel whose scanner mypyc compiled (`hatch_build.py`) behaves as the
source does.

The wheel is built as a release builds it (`ACME_SCAN_COMPILE=1 uv build --wheel`), unpacked,
and put first on `PYTHONPATH`; the scanner's and the index's suites then run against it (tests
that patch the scanner's Python code are skipped there: `pure_python`), and so does the
example's scan, whose index must be the bytes the source writes.
"""

from __future__ import annotations

import ast
import importlib.machinery
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests._prebuild import prebuilt
from tests.conftest import EXPECT_COMPILED

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "acme_prefect"


def _run(
    command: list[str], env: dict[str, str], cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled wheel, unpacked: the folder to put on `PYTHONPATH`."""
    return prebuilt("compiled", tmp_path_factory.mktemp("compiled"))


def build_compiled(work: Path) -> Path:
    """Build the compiled wheel into `work` and unpack it there (see `compiled`)."""
    built = _build({"ACME_SCAN_COMPILE": "1"}, work)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = work.glob("*.whl")
    unpacked = work / "unpacked"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    return unpacked


def _build(env: dict[str, str], into: Path) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("no uv here")
    clean = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    command = [uv, "build", "--wheel", "--python", sys.executable, "-o", str(into)]
    return _run(command, {**clean, **env})


def test_without_a_c_compiler_the_wheel_is_pure_and_says_why(tmp_path: Path) -> None:
    built = _build({"ACME_SCAN_COMPILE": "auto", "CC": "false"}, tmp_path)
    assert built.returncode == 0, built.stderr[-3000:]
    assert "the scanner was not compiled, the wheel is pure Python" in built.stderr
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "acme_scan/scanner/engine.py" in names
    assert not [name for name in names if name.endswith((".so", ".pyd"))]


def test_a_required_compilation_that_fails_fails_the_build(tmp_path: Path) -> None:
    built = _build({"ACME_SCAN_COMPILE": "1", "CC": "false"}, tmp_path)
    assert built.returncode != 0
    assert "mypyc failed" in built.stderr
    assert not list(tmp_path.glob("*.whl"))


def _env(compiled: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(compiled), EXPECT_COMPILED: "1"}


def _indexes(
    project: Path, compiled: Path, work: Path, exit_codes: tuple[int, ...]
) -> tuple[bytes, bytes]:
    """The index bytes a cold scan of `project` writes with the source, then compiled."""
    scan = [sys.executable, "-m", "acme_scan", "scan", "--root", str(project), "--cold", "-q"]
    source_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    indexes = []
    for env, name in ((source_env, "source.json"), (_env(compiled), "compiled.json")):
        done = _run([*scan, "-o", str(work / name)], env)
        assert done.returncode in exit_codes, done.stderr
        indexes.append((work / name).read_bytes())
    return indexes[0], indexes[1]


def test_the_wheel_holds_every_scanner_module_compiled_but_the_lowering(compiled: Path) -> None:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    scanner = compiled / "acme_scan" / "scanner"
    sources = {path.stem for path in scanner.glob("*.py")}
    extensions = {path.name.removesuffix(suffix) for path in scanner.glob(f"*{suffix}")}
    assert extensions == sources - {"__init__", "_lower"}
    version = _run([sys.executable, "-m", "acme_scan", "--version"], _env(compiled))
    assert version.stdout.endswith("(scanner compiled by mypyc)\n"), version.stdout


def test_the_compiled_scanner_writes_the_index_the_source_writes(
    compiled: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__"))
    from_source, from_compiled = _indexes(project, compiled, tmp_path, exit_codes=(0,))
    assert from_source == from_compiled
    assert from_source.count(b'"entrypoint"') == 5


def test_the_scanner_and_index_suites_pass_compiled(compiled: Path) -> None:
    suites = ["tests/scanner", "tests/index"]
    done = _run(
        [sys.executable, "-m", "pytest", *suites, "-q", "-p", "no:cacheprovider", "-x"],
        _env(compiled),
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert " passed" in done.stdout


#: Values put in place of each decorator argument and parameter default: every kind of
#: expression a typed variable of the analysis could meet.
REPLACEMENTS = (
    "1",
    "-2.5",
    "None",
    "True",
    "'text'",
    "b'bytes'",
    "f'x{y}'",
    "[1, 'a']",
    "(1,)",
    "{'a': 1}",
    "{1, 2}",
    "name",
    "module.attr",
    "call(1)",
    "lambda: 0",
    "1j",
    "...",
    "*args",
)


def _mutants(source: str) -> list[str]:
    """`source` with, in turn, each keyword argument of a call and each parameter default
    replaced by each of `REPLACEMENTS` (those that make a valid module)."""
    tree = ast.parse(source)
    slots: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            slots += [keyword.value for keyword in node.keywords]
            slots += node.args
        elif isinstance(node, ast.arguments):
            slots += [d for d in node.defaults + node.kw_defaults if d is not None]
    mutants = []
    for slot in slots:
        if not hasattr(slot, "end_col_offset") or slot.lineno != slot.end_lineno:
            continue
        lines = source.splitlines(keepends=True)
        line = lines[slot.lineno - 1]
        start = len(line.encode()[: slot.col_offset].decode())
        end = len(line.encode()[: slot.end_col_offset].decode())
        for replacement in REPLACEMENTS:
            lines[slot.lineno - 1] = line[:start] + replacement + line[end:]
            mutant = "".join(lines)
            try:
                ast.parse(mutant)
            except SyntaxError:
                continue
            mutants.append(mutant)
    return mutants


def test_mutated_fixtures_scan_the_same_compiled(compiled: Path, tmp_path: Path) -> None:
    """Every fixture's calls and defaults given every kind of value: the compiled scanner
    (whose typed variables check what they hold) writes the index the source writes."""
    project = tmp_path / "mutants"
    written = 0
    for fixture in sorted((ROOT / "tests" / "fixtures").rglob("*.py")):
        try:
            source = fixture.read_text(encoding="utf-8")
            mutants = _mutants(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for number, mutant in enumerate(mutants):
            target = project / fixture.parent.name / f"{fixture.stem}_{number:04d}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(mutant, encoding="utf-8")
            written += 1
    assert written > 2000
    from_source, from_compiled = _indexes(project, compiled, tmp_path, exit_codes=(0, 1))
    assert b'"AS000"' not in from_compiled
    assert from_source == from_compiled
