"""Real Airflow 3 for the tests that need it: its pinned environment and two API servers.

`airflow_python` builds (first run) or reuses the pinned environment (`environment.py`),
and a migrated template database kept with it.
`airflow_servers` starts, once per session, two Airflow API servers on loopback, `dev`
and `uat`, one per environment as the SDK's model has it, each with its own AIRFLOW_HOME
and SQLite database, and each with a GitDagBundle `acme` that tracks
`refs/heads/airflow/<env>` of one local bare repository (the project's `origin`) besides the
default `dags-folder` bundle. Both are stopped by PID at the end of the session. Only the
tests that use these fixtures pay for them.

`airflow_project` is the example project (`examples/acme_airflow`), committed in a fresh
git repository whose `origin` is that bare repository. Tests share both servers and the
project, so tests that deploy run in the order of their module.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.airflow.environment import airflow_python as build_airflow_python
from tests.airflow.environment import template_database
from tests.airflow.server import AirflowServer, git_bundle
from tests.conftest import git

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "examples" / "acme_airflow"
ENVIRONMENTS = ("dev", "uat")
BUNDLE = "acme"


@dataclass(frozen=True)
class Servers:
    """The session's Airflow servers, by environment, and the repository their bundles track."""

    by_env: dict[str, AirflowServer]
    remote: Path

    def __getitem__(self, env: str) -> AirflowServer:
        return self.by_env[env]


@pytest.fixture(scope="session")
def airflow_python() -> Path:
    return build_airflow_python()


@pytest.fixture(scope="session")
def airflow_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    remote = tmp_path_factory.mktemp("airflow-remote") / "origin.git"
    remote.parent.mkdir(exist_ok=True)
    git(remote.parent, "init", "-q", "--bare", "-b", "main", str(remote))
    return remote


@pytest.fixture(scope="session")
def airflow_servers(
    airflow_python: Path, airflow_remote: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Servers]:
    template = template_database(airflow_python)
    servers = {
        env: AirflowServer(
            tmp_path_factory.mktemp(f"airflow-{env}"),
            airflow_python,
            template_db=template,
            bundles=[
                {
                    "name": "dags-folder",
                    "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                    "kwargs": {},
                },
                git_bundle(BUNDLE, str(airflow_remote), f"airflow/{env}", "dags"),
            ],
        )
        for env in ENVIRONMENTS
    }
    errors: list[BaseException] = []

    def start(server: AirflowServer) -> None:
        try:
            server.start()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        if errors:
            raise errors[0]
        yield Servers(by_env=servers, remote=airflow_remote)
    finally:
        for server in servers.values():
            server.terminate()
        for server in servers.values():
            server.stop()


@pytest.fixture(scope="session")
def airflow_project(airflow_remote: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project in a git repository on `main`, with `origin` the bundles' remote."""
    root = tmp_path_factory.mktemp("airflow-project") / "acme_airflow"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "example")
    git(root, "remote", "add", "origin", str(airflow_remote))
    git(root, "push", "-q", "origin", "main")
    return root
