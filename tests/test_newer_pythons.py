"""The compiled wheel on Python 3.13 (and 3.12 when asked), when this machine has them.

The suite runs on the locked interpreter (3.11), and `test_python310` covers the oldest
supported version. Here the wheel is built under each newer interpreter with its scanner
compiled by mypyc (`ACME_SCAN_COMPILE=1`: as a release builds it), installed into a fresh
virtualenv of that interpreter with the lock's pins, and must write byte for byte the index
the source writes here, for the example project and for every test fixture (PEP 695 and
PEP 701 syntax included, which those interpreters parse natively and 3.11 through LibCST).
The builds (~50 s each) run in the suite's background process (`tests._prebuild`), or here,
at once, when this module runs alone. A missing interpreter is skipped, saying so; uv never
downloads one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests._prebuild import key_of_venv, prebuilt
from tests.test_python310 import ROOT, find_python, run, uv_executable

#: The newest supported interpreter by default: 3.12 lies between it and 3.11, and each build
#: costs ~50 s of the suite (`ACME_TEST_NEWER_PYTHONS=3.12,3.13` builds both, at once).
VERSIONS = tuple(os.environ.get("ACME_TEST_NEWER_PYTHONS", "3.13").split(","))
EXAMPLE = ROOT / "examples" / "acme_prefect"
FIXTURES = ROOT / "tests" / "fixtures"
#: Syntax newer than 3.11 (PEP 695 and PEP 701): parsed natively there, through LibCST here.
NEWER_SYNTAX = {
    "generic.py": (
        "from prefect import flow\n\n"
        "type Pair[T] = tuple[T, T]\n\n"
        "@flow(name='generic')\n"
        "def generic[T](items: list[T], n: int = 3) -> list[T]:\n"
        '    """A generic flow."""\n'
        "    return items[:n]\n\n"
        "class Box[T]:\n"
        "    @flow\n"
        "    def unpack(self) -> None: ...\n"
    ),
    "fstrings.py": (
        "from prefect import flow\n\n"
        "label = f\"{'nested' + f\"{'quotes'}\"}\"\n\n"
        '@flow(name=f"report-{\'daily\'}", description=f"{"x"!r}")\n'
        "def report(day: str = f\"{'mon'}\") -> None: ...\n"
    ),
}


@pytest.fixture(scope="module")
def venvs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | None]:
    """A venv holding the compiled wheel per newer version (None: no such interpreter)."""
    if uv_executable() is None:
        pytest.skip("no uv here")
    work = tmp_path_factory.mktemp("newer")
    pythons = {version: find_python(version) for version in VERSIONS}

    with ThreadPoolExecutor(len(VERSIONS)) as pool:  # those not built in the background: at once
        built = {
            version: pool.submit(prebuilt, key_of_venv(version, dev=False), work / version)
            for version, python in pythons.items()
            if python is not None
        }
        return {v: built[v].result() if v in built else None for v in VERSIONS}


def _index(python: str, project: Path) -> bytes:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    command = [python, "-m", "acme_scan", "scan", "--root", str(project), "--cold", "-o", "-", "-q"]
    result = subprocess.run(command, capture_output=True, env=env, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("tree", [EXAMPLE, FIXTURES, None], ids=["example", "fixtures", "newer"])
def test_the_compiled_wheel_writes_the_index_the_source_writes_here(
    venvs: dict[str, Path | None], version: str, tree: Path | None, tmp_path: Path
) -> None:
    venv = venvs[version]
    if venv is None:
        pytest.skip(f"no Python {version} interpreter here")
    python = str(venv / "bin" / "python")
    said = run([python, "-m", "acme_scan", "--version"], tmp_path, dict(os.environ))
    assert said.stdout.endswith("(scanner compiled by mypyc)\n"), said.stdout
    where = run(
        [python, "-c", "import sys, acme_scan; print(sys.version_info[:2], acme_scan.__file__)"],
        tmp_path,
        dict(os.environ),
    )
    assert where.stdout.startswith(f"({version.replace('.', ', ')})"), where.stdout
    assert "site-packages" in where.stdout
    if tree is None:
        project = tmp_path / "newer"
        project.mkdir()
        for name, text in NEWER_SYNTAX.items():
            (project / name).write_text(text)
    else:
        project = tmp_path / tree.name
        shutil.copytree(tree, project, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__"))
    theirs = _index(python, project)
    ours = _index(sys.executable, project)
    assert theirs == ours
    assert b'"flows":[\n{' in ours  # flows were found (the bytes are not trivially equal)
