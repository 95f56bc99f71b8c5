"""Airflow 3's own environment, outside the project's lock, built with uv when missing.

Apache Airflow brings ~135 packages; none of them enter the project's environment or
`uv.lock`. They are pinned exactly in `requirements.txt` beside this file (compiled from
`requirements.in`, see its header), and `airflow_python()` creates a virtualenv from that
file the first time a test needs it: under `~/.cache/acme-portal-sdk-tests/` (or
`$ACME_PORTAL_TEST_CACHE`), in a folder named after the pin file's hash, so a changed pin
file builds a new environment and an unchanged one is reused. The build goes to a temporary
folder that is renamed into place, so an interrupted build is never taken for a finished one,
and a lock file serialises concurrent builders.

It uses the interpreter running the tests (uv never downloads one) and PyPI through uv, the
only network use of the test suite; bytecode is compiled at install time, because the test
environment sets `PYTHONDONTWRITEBYTECODE` and Airflow's imports take 7 s instead of 3 s
without `.pyc` files.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
PINS = HERE / "requirements.txt"
#: Seconds a first build may take (downloads ~135 wheels, then compiles their bytecode).
BUILD_TIMEOUT = 900.0


def cache_root() -> Path:
    """Where test environments are kept between runs."""
    configured = os.environ.get("ACME_PORTAL_TEST_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "acme-portal-sdk-tests"


def pins_hash() -> str:
    """What names the environment: the pin file's bytes and the interpreter's version."""
    digest = hashlib.sha256(PINS.read_bytes())
    digest.update(f"{sys.version_info.major}.{sys.version_info.minor}".encode())
    return digest.hexdigest()[:16]


def _uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def airflow_python() -> Path:
    """The interpreter of the pinned Airflow environment, built first if missing."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"airflow-{pins_hash()}"
    python = target / "bin" / "python"
    if (target / ".complete").exists():
        return python
    with (root / "airflow.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").exists():
            return python
        building = root / f".building-{target.name}-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": ""}
        env.pop("VIRTUAL_ENV")
        steps = [
            [*_uv(), "venv", "--quiet", "--relocatable", "--python", sys.executable, str(building)],
            [
                *_uv(),
                "pip",
                "sync",
                "--quiet",
                "--compile-bytecode",
                "--python",
                str(building / "bin" / "python"),
                str(PINS),
            ],
        ]
        for step in steps:
            result = subprocess.run(
                step, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
            )
            if result.returncode != 0:
                shutil.rmtree(building, ignore_errors=True)
                raise RuntimeError(
                    f"building the Airflow test environment failed: {' '.join(step)}\n"
                    f"{result.stdout}\n{result.stderr}"
                )
        shutil.rmtree(target, ignore_errors=True)
        building.rename(target)
        (target / ".complete").write_text(PINS.read_text())
    return python


def airflow_command(python: Path) -> list[str]:
    """The `airflow` command of the environment of `python`."""
    return [str(python), "-m", "airflow"]


def template_database(python: Path) -> Path:
    """A freshly migrated Airflow metadata database (SQLite), made once per environment."""
    target = python.parent.parent / "template-airflow.db"
    if target.exists():
        return target
    with (python.parent.parent / ".template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        home = python.parent.parent / f".template-home-{os.getpid()}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False")
        result = subprocess.run(
            [*airflow_command(python), "db", "migrate"],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            shutil.rmtree(home, ignore_errors=True)
            raise RuntimeError(f"airflow db migrate failed:\n{result.stdout}\n{result.stderr}")
        partial = target.with_suffix(".partial")
        shutil.copyfile(home / "airflow.db", partial)
        partial.rename(target)
        shutil.rmtree(home, ignore_errors=True)
    return target
