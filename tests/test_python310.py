"""The package on Python 3.10 (its oldest supported version), when this machine has one.

The suite itself runs on the locked interpreter. This test builds a Python 3.10 virtualenv
with uv from the lock file (`uv export`: the same pins, 3.10's markers), installs the
package into it as a wheel, and runs there: the CLI scan of the example project, the SDK
imports, the `aps-prefect-deploy` entry point, and a part of this suite (scanner, SDK,
extension protocol, shell quoting). The interpreter is `ACME_TEST_PYTHON310`, else what
`uv python find 3.10` or pyenv offers; uv never downloads one (no network but package
registries). Without a 3.10 interpreter the test is skipped, saying so.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests._prebuild import key_of_venv, prebuilt
from tests.conftest import EXPECT_COMPILED

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "acme_prefect"
#: The part of the suite run again on 3.10 (no Prefect server: those are the slow ones).
SUITE = [
    "tests/scanner/test_spellings.py",
    "tests/scanner/test_branches.py",
    "tests/index/test_golden.py",
    "tests/cli/test_cli.py",
    "tests/sdk",
    "tests/test_hostile.py",  # the linear globs: atomic groups are 3.11+ syntax
]


def uv_executable() -> str | None:
    """The uv these tests run (`UV`, else the one on PATH), or None."""
    return os.environ.get("UV") or shutil.which("uv")


def find_python310() -> str | None:
    """A Python 3.10 interpreter of this machine, or None."""
    return find_python("3.10", os.environ.get("ACME_TEST_PYTHON310", ""))


def find_python(version: str, given: str = "") -> str | None:
    """An interpreter of Python `version` ("3.10"): `given`, else uv's (never downloaded),
    pyenv's or the system's; None when this machine has none."""
    candidates = [given]
    uv = uv_executable()
    if uv is not None:
        found = subprocess.run(
            [uv, "python", "find", version],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        )
        candidates.append(found.stdout.strip() if found.returncode == 0 else "")
    pattern = f"~/.pyenv/versions/{version}*/bin/python{version}"
    candidates += sorted(glob.glob(os.path.expanduser(pattern)))
    candidates.append(f"/usr/bin/python{version}")
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        said = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if said.stdout.strip() == version:
            return candidate
    return None


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-3000:]}{result.stderr}"
    return result


@pytest.fixture(scope="module")
def venv310(tmp_path_factory: pytest.TempPathFactory) -> Path:
    python = find_python310()
    uv = uv_executable()
    if python is None or uv is None:
        pytest.skip("no Python 3.10 interpreter (or no uv) here: set ACME_TEST_PYTHON310")
    return prebuilt(key_of_venv("3.10", dev=True), tmp_path_factory.mktemp("py310"))


def wheel_venv(python: str, uv: str, work: Path, *, dev: bool) -> Path:
    """A virtualenv of `python` at `work/venv` holding the lock's pins (the dev group too,
    with `dev`) and the package as a wheel, its scanner compiled by mypyc (as users with a
    C compiler get it: the same source as Python runs here, under 3.11)."""
    venv = work / "venv"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT"}
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    requirements = work / "requirements.txt"
    run([uv, "venv", "--quiet", "--python", python, str(venv)], ROOT, env)
    export = [uv, "export", "--frozen", "--no-hashes", "--no-emit-project", "--quiet"]
    run([*export, *([] if dev else ["--no-dev"]), "-o", str(requirements)], ROOT, env)
    installed = {**env, "VIRTUAL_ENV": str(venv)}
    run([uv, "pip", "install", "--quiet", "-r", str(requirements)], ROOT, installed)
    compiled = {**installed, "ACME_SCAN_COMPILE": "1"}
    run([uv, "pip", "install", "--quiet", "--no-deps", str(ROOT)], ROOT, compiled)
    return venv


def test_cli_sdk_and_entry_points_on_python_310(venv310: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    bin_dir = venv310 / "bin"
    project = tmp_path / "acme_prefect"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__"))

    version = run([str(bin_dir / "acme-scan"), "--version"], tmp_path, env)
    assert version.stdout.endswith("(scanner compiled by mypyc)\n"), version.stdout
    scan = run(
        [str(bin_dir / "acme-scan"), "scan", "--root", str(project), "-o", "-", "-q"], tmp_path, env
    )
    index = json.loads(scan.stdout)
    here = subprocess.run(
        [sys.executable, "-m", "acme_scan", "scan", "--root", str(project), "-o", "-", "-q"],
        capture_output=True,
        text=True,
        check=True,
    )
    ours = json.loads(here.stdout)
    assert index["flows"] == ours["flows"]  # same flows, same bytes, on 3.10 and here
    assert len(index["flows"]) == 5

    check = run(
        [
            str(bin_dir / "python"),
            "-c",
            "import sys, acme_portal_sdk, acme_scan\n"
            "from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder\n"
            "from acme_portal_sdk.errors import InputError\n"
            "assert sys.version_info[:2] == (3, 10)\n"
            "assert 'site-packages' in acme_scan.__file__\n"
            "assert issubclass(InputError, ValueError)\n"
            "print(len(PrefectFlowFinder(sys.argv[1])()))\n",
            str(project),
        ],
        tmp_path,
        env,
    )
    assert check.stdout.strip() == "5"

    legacy = subprocess.run(
        [str(bin_dir / "aps-prefect-deploy"), "promote", "-app-name", "a", "-env", "uat",
         "-ver-number", "1", "-branch-name", "b", "-project-name", "p", "-source-env", "dev",
         "-static-flow-config-path", "x.yaml"],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert legacy.returncode == 2
    assert "a.uat.1.env not found" in legacy.stderr


def test_part_of_the_suite_passes_on_python_310(venv310: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env[EXPECT_COMPILED] = "1"  # the venv's scanner is compiled (see venv310)
    result = subprocess.run(
        [str(venv310 / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]
