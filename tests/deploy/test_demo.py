"""`aps demo` end to end, and that it leaves no process behind (also on Ctrl-C).

A process is "left behind" if any process still has the demo's `PREFECT_HOME` in its
environment (read from /proc): that finds the server and anything it started.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/environ").exists(), reason="reads process environments from /proc"
)

ROOT = Path(__file__).parent.parent.parent
APS = [sys.executable, "-c", "import sys; from acme_portal_sdk import main; sys.exit(main())"]


def demo_environment() -> dict[str, str]:
    """A user's shell: no Prefect settings of the test session."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def processes_with(marker: str) -> list[int]:
    """Pids of processes whose environment mentions `marker`."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


def test_demo_end_to_end() -> None:
    result = subprocess.run(
        [*APS, "demo"],
        cwd=ROOT,
        env=demo_environment(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    print(out)
    home = re.search(r"PREFECT_HOME=(\S+)\)", out)
    assert home is not None
    assert "5 deployed, 0 failed." in out
    assert "created   hello_world/acme-prefect--main--hello-world--uat" in out
    tree = out.split("as the acme-portal extension shows them")[1]
    assert "hello_world  (flows/hello_world.py:12)\n  Branch: main\n    Environment: dev" in tree
    assert "    Environment: uat  acme-prefect--main--hello-world--uat" in tree
    for flow in ("acme_daily_sales", "acme_backfill_sales", "revenue", "churn_report"):
        assert f"\n{flow}  (flows/" in tree
    assert out.rstrip().endswith("Done: the server is stopped and its temporary folder removed.")
    assert not Path(home.group(1)).exists()
    assert processes_with(home.group(1)) == []


def test_ctrl_c_stops_the_server() -> None:
    process = subprocess.Popen(
        [*APS, "demo"],
        cwd=ROOT,
        env=demo_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        home = None
        for line in process.stdout:
            match = re.search(r"PREFECT_HOME=(\S+)\)", line)
            if match:
                home = match.group(1)
                break
        assert home is not None
        deadline = time.monotonic() + 60
        while not (server := [p for p in processes_with(home) if p != process.pid]):
            assert time.monotonic() < deadline, "the server never started"
            time.sleep(0.05)
        assert server
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, out + err
    assert "interrupted" in err
    # The server was waited for; what it started got SIGKILL, which a loaded machine may
    # take a moment to deliver: poll, with a deadline.
    deadline = time.monotonic() + 30
    while processes_with(home) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [_describe(pid) for pid in processes_with(home)] == []
    assert not Path(home).exists()


def _describe(pid: int) -> str:
    """A left-over process, for the failure message: its pid, state and command line."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return f"{pid} (gone)"
    state = next((line for line in status.splitlines() if line.startswith("State:")), "")
    return f"{pid} {state} {cmdline}"


def test_demo_on_another_project_keeps_the_server(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    (project / "flows").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "my-shop"\nversion = "0.1.0"\n')
    (project / "flows" / "daily.py").write_text(
        'from prefect import flow\n\n\n@flow\ndef daily_orders():\n    """Orders."""\n'
    )
    (project / ".acme_portal_sdk").mkdir()
    (project / ".acme_portal_sdk" / "static_flow_deploy_config.yaml").write_text(
        "daily_orders:\n  work_pool_name: ecs-pool\n"
    )
    result = subprocess.run(
        [*APS, "demo", "--project", str(project), "--keep"],  # 2.0 spelling of --root
        env=demo_environment(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    out = result.stdout
    pid_match = re.search(r"keeps running \(pid (\d+)\)", out)
    home_match = re.search(r"PREFECT_HOME=(\S+)\)", out)
    assert home_match is not None, out + result.stderr
    home = home_match.group(1)
    try:
        assert result.returncode == 0, out + result.stderr
        assert pid_match is not None, out
        assert "'demo-pool', 'ecs-pool'" in out
        assert "created   daily_orders/my-shop--main--daily-orders--uat" in out
        url = re.search(r"export PREFECT_API_URL=(\S+) PREFECT_HOME=", out)
        assert url is not None
        assert processes_with(home), "the server should still run"
        listed = subprocess.run(
            [*APS, "deployments", "--format", "json"],
            env={**demo_environment(), "PREFECT_API_URL": url.group(1), "PREFECT_HOME": home},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert listed.returncode == 0, listed.stdout + listed.stderr
        assert "my-shop--main--daily-orders--dev" in listed.stdout
        assert f"kill -- -{pid_match.group(1)}" in out
    finally:
        if pid_match is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(pid_match.group(1)), signal.SIGTERM)
        deadline = time.monotonic() + 60
        while processes_with(home) and time.monotonic() < deadline:
            time.sleep(0.1)
        shutil.rmtree(Path(home).parent, ignore_errors=True)
    assert processes_with(home) == []
