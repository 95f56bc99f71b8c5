"""A throwaway local Prefect server, for `aps demo` and the test suite.

`LocalPrefectServer` runs `prefect server start --host 127.0.0.1 --port <free port> --no-ui
--analytics-off` with its own `PREFECT_HOME` (a SQLite database there), waits until
`GET /api/health` answers `true`, and stops it by its PID: the server runs in a new process
group (session) which is terminated, then killed if it does not exit, so nothing it started
outlives it. The server sees none of the caller's other `PREFECT_*` variables (a configured
database or profile must not leak into a throwaway server).

`client_environment` points this process (its environment and Prefect's already-loaded
settings) and its children at such a server.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import IO

from acme_portal_sdk.errors import LocalServerError
from acme_scan._compat import Self

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
#: Seconds to wait for a healthy server (a fresh database takes ~11 s on 2 cores).
STARTUP_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0
POLL_INTERVAL = 0.2
#: Set for the server and every client, whatever the caller's environment says.
QUIET_ENVIRONMENT = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_ENABLED": "false",
}


def free_port(host: str = HOST) -> int:
    """A TCP port free on `host` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class LocalPrefectServer:
    """A local Prefect server with its own home folder; a context manager.

    Nothing happens until `start()` (or `with`); `stop()` is idempotent and also runs when
    the `with` block ends by an exception or Ctrl-C.
    """

    def __init__(
        self,
        home: str | os.PathLike[str],
        *,
        port: int | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        self.home = Path(home)
        self.port = port
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def api_url(self) -> str:
        """The server's API URL (`PREFECT_API_URL`)."""
        if self.port is None:
            raise LocalServerError("the server has no port yet: start it first")
        return f"http://{HOST}:{self.port}/api"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return None if self.process is None else self.process.pid

    @property
    def log_path(self) -> Path:
        """Where the server's output goes."""
        return self.home / "server.log"

    def environment(self) -> dict[str, str]:
        """The variables pointing a client (or the server) at this server."""
        return {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            **QUIET_ENVIRONMENT,
        }

    def command(self) -> list[str]:
        """The server's command line."""
        return [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--no-ui",
            "--analytics-off",
        ]

    def start(self) -> Self:
        """Start the server and wait until it is healthy; `LocalServerError` otherwise."""
        if self.process is not None:
            return self
        self.home.mkdir(parents=True, exist_ok=True)
        if self.port is None:
            self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(self.environment())
        self._log = self.log_path.open("ab")
        options: dict[str, object] = (
            {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
            if os.name == "nt"
            else {"start_new_session": True}
        )
        logger.info("starting a Prefect server at %s (home %s)", self.api_url, self.home)
        self.process = subprocess.Popen(  # type: ignore[call-overload]
            self.command(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            **options,
        )
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def healthy(self) -> bool:
        """Whether `GET /api/health` answers `true` now."""
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                return bool(response.read().strip() == b"true")
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def wait_healthy(self) -> None:
        """Poll the health endpoint until `true`, the process exits, or the deadline."""
        started = time.monotonic()
        deadline = started + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise LocalServerError(
                    f"the Prefect server exited with code {self.process.returncode} while "
                    f"starting; its output:\n{self.log_tail()}"
                )
            if self.healthy():
                logger.info("Prefect server healthy after %.1f s", time.monotonic() - started)
                return
            time.sleep(POLL_INTERVAL)
        raise LocalServerError(
            f"the Prefect server at {self.api_url} was not healthy after "
            f"{self.startup_timeout:.0f} s; its output:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's output."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server and everything it started (by its PID / process group)."""
        process, self.process = self.process, None
        if process is not None:
            logger.info("stopping the Prefect server (pid %d)", process.pid)
            _terminate(process)
            _kill_stragglers(f"PREFECT_HOME={self.home}")
        if self._log is not None:
            self._log.close()
            self._log = None

    def detach(self) -> int:
        """Leave the running server running after this process exits; its pid.

        `stop()` (and the end of a `with` block) then does nothing; stop the server with
        `kill -- -PID` (it leads its own process group on POSIX).
        """
        process, self.process = self.process, None
        if process is None:
            raise LocalServerError("the server is not running: start it first")
        # Dropping a running Popen makes it warn at collection ("still running"): it is
        # meant to run on, so mark it as reaped for Python's bookkeeping only.
        process.returncode = 0
        if self._log is not None:
            self._log.close()
            self._log = None
        return process.pid

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Terminate `process` and its group; kill them when they do not exit in time."""
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            subprocess.run(
                ["taskkill", "/T", "/F", "/PID", str(process.pid)], capture_output=True, check=False
            )
            process.wait()
        return
    group = process.pid  # the server leads its own session: its group id is its pid
    _signal_group(group, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        logger.warning("the Prefect server did not stop in %.0f s: killing it", STOP_TIMEOUT)
        _signal_group(group, signal.SIGKILL)
        process.wait()
    # Whatever the server started and left behind goes too.
    _signal_group(group, signal.SIGKILL)


def _kill_stragglers(marker: str) -> None:
    """SIGKILL what still runs with `marker` in its environment (Linux: `/proc`).

    The server's own process group is already gone; this catches a child that left the
    group (a new session of its own) while the server was starting or stopping.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return
    needle = marker.encode() + b"\0"
    me = os.getpid()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if needle in (entry / "environ").read_bytes() + b"\0":
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):  # gone, or not ours
            continue


def _signal_group(group: int, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(group, sig)


@contextmanager
def client_environment(env: Mapping[str, str]) -> Iterator[None]:
    """Point this process at a server: set `env` in `os.environ` and in a Prefect settings
    context (Prefect reads its settings once, at import: the environment alone is not seen
    by an already imported Prefect).

    Everything is restored when the block ends. Children started inside inherit `env`.
    """
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        with ExitStack() as stack:
            import prefect.settings

            updates = {}
            for key, value in env.items():
                try:
                    updates[getattr(prefect.settings, key)] = value
                except AttributeError:  # not a Prefect setting (e.g. DO_NOT_TRACK)
                    continue
            stack.enter_context(prefect.settings.temporary_settings(updates=updates))
            yield
    finally:
        for key, previous in saved.items():
            if previous is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = previous
