"""Deployment listing over REST (`httpx`, no Prefect import): same output, settings, timeouts."""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from acme_portal_sdk.errors import InputError, ServerNotConfiguredError, ServerUnavailableError
from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder
from acme_portal_sdk.prefect.naming import deployment_tags
from acme_portal_sdk.prefect.rest import DEFAULT_TIMEOUT, RestClient, rest_settings

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_rest_and_prefect_clients_list_the_same(project: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule

    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("rest_flow")
        for i, env in enumerate(("dev", "uat", "prod")):
            client.create_deployment(
                flow_id=flow_id,
                name=f"{project}--main--rest-flow--{env}",
                tags=deployment_tags(project, "main", f"{i:07x}", "1.0"),
                version=f"main-{i:07x}",
                work_pool_name="test-pool",
                paused=env == "prod",
                schedules=[
                    DeploymentScheduleCreate(schedule=CronSchedule(cron="0 6 * * *")),
                    DeploymentScheduleCreate(
                        schedule=IntervalSchedule(interval=dt.timedelta(hours=1))
                    ),
                ],
            )
    rest = PrefectDeploymentFinder(project, api="rest")()
    prefect = PrefectDeploymentFinder(project, api="prefect")()
    assert len(rest) == 3
    assert rest == prefect
    prod = next(d for d in rest if d["env"] == "prod")
    assert prod["child_attributes"] == {
        "version": "main-0000002",
        "work_pool_name": "test-pool",
        "work_queue_name": "default",
        "paused": True,
        "cron": "0 6 * * *",
    }


def test_listing_through_the_runner_does_not_import_prefect(tmp_path: Path, project: str) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("runner_flow")
        client.create_deployment(flow_id=flow_id, name=f"{project}--main--runner-flow--dev")
    config = tmp_path / ".acme_portal_sdk"
    config.mkdir()
    (config / "deployment_finder.py").write_text(
        "from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder\n"
        f"deployment_finder = PrefectDeploymentFinder(project_name={project!r})\n",
        encoding="utf-8",
    )
    (tmp_path / "check.py").write_text(
        "import json, sys\n"
        "sys.path.insert(0, '.acme_portal_sdk')\n"
        "from deployment_finder import deployment_finder\n"
        "found = deployment_finder()\n"
        "print(json.dumps({'found': found,\n"
        "    'prefect': sorted(m for m in sys.modules if m.split('.')[0] == 'prefect')}))\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["prefect"] == []
    assert [d["name"] for d in data["found"]] == [f"{project}--main--runner-flow--dev"]
    assert data["found"] == PrefectDeploymentFinder(project, api="prefect")()


@contextmanager
def silent_server() -> Iterator[str]:
    """A socket that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api"


def test_every_request_has_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    with silent_server() as url:
        monkeypatch.setenv("PREFECT_API_URL", url)
        started = time.monotonic()
        with pytest.raises(ServerUnavailableError, match="ReadTimeout"):
            PrefectDeploymentFinder(api="rest", timeout=0.5)()
        assert time.monotonic() - started < 10
        monkeypatch.setenv("PREFECT_API_REQUEST_TIMEOUT", "0.3")
        with pytest.raises(ServerUnavailableError, match="ReadTimeout"):
            PrefectDeploymentFinder(api="rest")()


@contextmanager
def recording_server(seen: list[dict[str, Any]]) -> Iterator[str]:
    """Answers `[]` to every POST and records its path, headers and JSON body."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(
                {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_settings_from_the_active_profile_and_credentials(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    with recording_server(seen) as url:
        (tmp_path / "profiles.toml").write_text(
            'active = "work"\n'
            f'[profiles.work]\nPREFECT_API_URL = "{url}"\nPREFECT_API_AUTH_STRING = "u:p"\n'
            f'[profiles.cloud]\nPREFECT_API_URL = "{url}"\nPREFECT_API_KEY = "pnu_x"\n',
            encoding="utf-8",
        )
        environ = {"PREFECT_HOME": str(tmp_path)}
        settings = rest_settings(environ, cwd=tmp_path)
        assert settings is not None
        assert settings.server.api_url == url
        assert settings.timeout == DEFAULT_TIMEOUT
        with RestClient(settings) as client:
            assert client.post("deployments/filter", {"limit": 1}, "listing") == []
        cloud = rest_settings({**environ, "PREFECT_PROFILE": "cloud"}, cwd=tmp_path)
        assert cloud is not None
        with RestClient(cloud) as client:
            client.post("deployments/filter", {"limit": 1}, "listing")
    basic = base64.b64encode(b"u:p").decode()
    assert [s["headers"]["Authorization"] for s in seen] == [f"Basic {basic}", "Bearer pnu_x"]
    assert seen[0]["path"] == "/api/deployments/filter"
    # The environment wins over the profile.
    over = rest_settings({**environ, "PREFECT_API_URL": "http://x/api"}, cwd=tmp_path)
    assert over is not None
    assert over.server.api_url == "http://x/api"


def test_sources_only_prefect_reads_fall_back_to_prefect(tmp_path: Path) -> None:
    environ = {"PREFECT_HOME": str(tmp_path), "PREFECT_API_URL": "http://x/api"}
    assert rest_settings(environ, cwd=tmp_path) is not None
    (tmp_path / "pyproject.toml").write_text("[tool.prefect]\napi.url = 'http://y/api'\n")
    assert rest_settings(environ, cwd=tmp_path) is None
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "prefect.toml").write_text("[api]\nurl = 'http://y/api'\n")
    assert rest_settings(environ, cwd=tmp_path) is None
    (tmp_path / "prefect.toml").unlink()
    (tmp_path / "profiles.toml").write_text('active = "missing"\n')
    assert rest_settings(environ, cwd=tmp_path) is None
    (tmp_path / "profiles.toml").write_text("not toml [")
    assert rest_settings(environ, cwd=tmp_path) is None


def test_no_server_configured_and_bad_settings(tmp_path: Path) -> None:
    with pytest.raises(ServerNotConfiguredError):
        rest_settings({"PREFECT_HOME": str(tmp_path)}, cwd=tmp_path)
    base = {"PREFECT_HOME": str(tmp_path), "PREFECT_API_URL": "http://x/api"}
    with pytest.raises(InputError, match="PREFECT_API_REQUEST_TIMEOUT"):
        rest_settings({**base, "PREFECT_API_REQUEST_TIMEOUT": "soon"}, cwd=tmp_path)
    with pytest.raises(InputError, match="PREFECT_CLIENT_CUSTOM_HEADERS"):
        rest_settings({**base, "PREFECT_CLIENT_CUSTOM_HEADERS": "[1]"}, cwd=tmp_path)
    with pytest.raises(ValueError, match="timeout"):
        PrefectDeploymentFinder(timeout=0)
    with pytest.raises(ValueError, match="api"):
        PrefectDeploymentFinder(api="grpc")


def test_a_credential_from_another_source_than_the_url_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from acme_portal_sdk.errors import CredentialSourceError

    (tmp_path / "profiles.toml").write_text(
        'active = "p"\n[profiles.p]\nPREFECT_API_KEY = "pnu_secret"\n', encoding="utf-8"
    )
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.setenv("PREFECT_API_URL", "http://elsewhere.example/api")
    monkeypatch.delenv("PREFECT_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CredentialSourceError, match="PREFECT_API_KEY"):
        rest_settings()


def test_a_dot_env_only_prefect_reads_means_prefects_settings(tmp_path: Path) -> None:
    environ = {"PREFECT_HOME": str(tmp_path), "PREFECT_API_URL": "http://x/api"}
    (tmp_path / ".env").write_text("PREFECT_API_KEY=k\nOTHER=1\n", encoding="utf-8")
    assert rest_settings(environ, cwd=tmp_path) is None
    assert rest_settings({**environ, "PREFECT_API_KEY": "k"}, cwd=tmp_path) is not None
