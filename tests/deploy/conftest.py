"""One real local Prefect server for the whole session (the helper `aps demo` uses).

The server gets a free loopback port and a temporary `PREFECT_HOME`; health is polled with a
generous timeout; it is stopped by its PID at the end. For the whole session this process
(and every child it starts, e.g. the extension's runner) points at it through
`client_environment`, which also updates Prefect's settings if Prefect was imported earlier:
`get_client` must never start a temporary server of its own.

Tests share the server, so each one uses its own project name (`project` fixture) and
looks only at its own deployments.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from acme_portal_sdk.prefect.local_server import LocalPrefectServer, client_environment
from tests.conftest import end_reaper, git, reap_if_pytest_dies

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "examples" / "acme_prefect"
WORK_POOL = "test-pool"
#: The example's deployable flows, as the extension names them.
EXAMPLE_FLOWS = [
    "acme_daily_sales",
    "acme_backfill_sales",
    "hello_world",
    "revenue",
    "churn_report",
]


@dataclass(frozen=True)
class Server:
    """The session's server."""

    api_url: str
    pid: int
    home: Path


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("prefect-home")
    server = LocalPrefectServer(home, startup_timeout=120.0)
    with server, client_environment(server.environment()):
        assert server.pid is not None
        reaper = reap_if_pytest_dies(server.pid)  # its own session: the group is its pid
        create_work_pool(WORK_POOL)
        yield Server(api_url=server.api_url, pid=server.pid, home=home)
    end_reaper(reaper)


def create_work_pool(name: str) -> None:
    from acme_portal_sdk.cli.demo import create_work_pool as create

    create(name)


@pytest.fixture
def project() -> str:
    """A project name of this test only (deployments of other tests have others)."""
    return f"proj-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def example_root(tmp_path: Path) -> Path:
    """A copy of the example project, committed in a fresh git repository on `main`."""
    root = tmp_path / "acme_prefect"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "example")
    return root


def write_config(root: Path, text: str) -> Path:
    """Write the project's default deploy configuration."""
    path = root / ".acme_portal_sdk" / "static_flow_deploy_config.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
