"""A real Airflow 3 API server on loopback, for the tests: SQLite, a temporary AIRFLOW_HOME.

`AirflowServer(home, python)` runs every Airflow command with the pinned environment's
interpreter (`environment.airflow_python()`) and an environment of its own: nothing
`AIRFLOW__*` from the caller leaks in; examples off; the simple auth manager with one fixed
user `admin` / `admin` (its passwords file); `min_serialized_dag_update_interval` 0 (a
re-parse within 30 s would otherwise skip the serialized DAG); the DAG bundles given.

`start()` migrates the database (or copies a migrated one), starts `airflow api-server`
in a session of its own, and polls `/api/v2/monitor/health` with a generous deadline;
`stop()` terminates that session by the server's PID (then kills it), also when the
start failed. `process_dags()` runs one pass of the real dag-processor, which refreshes
the bundles and parses their files, as the dag-processor of a real deployment would.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tests.airflow.environment import airflow_command
from tests.conftest import end_reaper, reap_if_pytest_dies

HOST = "127.0.0.1"
USERNAME = "admin"
PASSWORD = "admin"
STARTUP_TIMEOUT = 180.0
COMMAND_TIMEOUT = 300.0
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def git_bundle(name: str, repo_url: str, tracking_ref: str, subdir: str = "") -> dict[str, Any]:
    """A GitDagBundle configuration entry (a local repository needs no connection)."""
    kwargs: dict[str, Any] = {"repo_url": repo_url, "tracking_ref": tracking_ref}
    if subdir:
        kwargs["subdir"] = subdir
    return {
        "name": name,
        "classpath": "airflow.providers.git.bundles.git.GitDagBundle",
        "kwargs": kwargs,
    }


class AirflowServer:
    """One Airflow API server with its own home; a context manager."""

    def __init__(
        self,
        home: Path,
        python: Path,
        *,
        bundles: Sequence[Mapping[str, Any]] | None = None,
        template_db: Path | None = None,
    ) -> None:
        self.home = home
        self.python = python
        self.bundles = list(bundles or [])
        self.template_db = template_db
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.reaper: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def dags_folder(self) -> Path:
        return self.home / "dags"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        passwords = self.home / "passwords.json"
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "0",
                "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH": str(self.home / "bundles"),
                "AIRFLOW__API__HOST": HOST,
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "no_proxy": "*",
                "NO_PROXY": "*",
            }
        )
        if self.bundles:
            env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"] = json.dumps(self.bundles)
        return env

    def airflow(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> str:
        """Run an `airflow` command in this server's environment; its output."""
        result = subprocess.run(
            [*airflow_command(self.python), *args],
            env=self.environment(),
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"airflow {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result.stdout

    def prepare(self) -> None:
        """The home folder, its password file and a migrated database (a copy of
        `template_db` when given: migrating takes ~5 s)."""
        self.dags_folder.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({USERNAME: PASSWORD}))
        if self.template_db is not None:
            shutil.copyfile(self.template_db, self.home / "airflow.db")
        else:
            self.airflow("db", "migrate")

    def start(self) -> None:
        self.prepare()
        log = (self.home / "api-server.log").open("wb")
        self.process = subprocess.Popen(
            [*airflow_command(self.python), "api-server", "--host", HOST, "--port", str(self.port)],
            env=self.environment(),
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.reaper = reap_if_pytest_dies(self.process.pid)
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Airflow API server exited:\n{self.log()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the Airflow API server was not healthy in time:\n{self.log()[-4000:]}")

    def log(self) -> str:
        path = self.home / "api-server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def terminate(self) -> None:
        """Ask the server to stop (SIGTERM to its session); `stop()` waits for it."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        self._stop_server()
        reaper, self.reaper = self.reaper, None
        if reaper is not None:
            end_reaper(reaper)

    def _stop_server(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
        except ProcessLookupError:
            process.wait(timeout=STOP_TIMEOUT)

    def process_dags(self, bundle: str = "acme") -> None:
        """One pass of the dag-processor over one bundle: refresh it, parse its files.

        (One pass over several bundles may end before it has parsed all of them.)
        """
        self.airflow("dag-processor", "-n", "1", "-B", bundle)

    def token(self) -> str:
        request = urllib.request.Request(
            f"{self.url}/auth/token",
            data=json.dumps({"username": USERNAME, "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            token: str = json.load(response)["access_token"]
            return token

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
