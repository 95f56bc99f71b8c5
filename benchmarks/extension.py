"""The extension's calls, timed through its runner: this SDK against acme-portal-sdk 1.2.0.

    uv run python -m benchmarks.extension [--deployments N] [--runs N] [--no-flows]
        [--no-deployments] [--files N]

Each measurement is one whole `python sdk_object_runner.py ...` process, as the extension
starts it (a copy of its runner, with the workspace as cwd), timed by `_wrap.py`; the best of
`--runs` (default 5) is reported, with the original SDK 1.2.0 in its own throwaway venv in
the same run. `.pyc` caching is on (`PYTHONDONTWRITEBYTECODE` is removed from the children's
environment), as on a user's machine.

- **Flow listing, warm**: `PrefectFlowFinder(root)` on the bundled 10-flow example project
  and on the synthetic project of `benchmarks/generate.py` (`--files`, default 10,000), after
  one untimed listing (so our index is up to date). Also with an `acme-scan watch` holding
  the index's lock (the finder then trusts the live index).
- **Deployment listing**: `PrefectDeploymentFinder()` on a real local Prefect server holding
  `--deployments` (default 250) deployments. The original venv gets `prefect` (the version
  of our lock, so it comes from uv's cache) and `acme-config`, as its `[prefect]` extra.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.run import (
    DEFAULT_CACHE,
    ORIGINAL_SPEC,
    Sample,
    _child_env,
    busy_cpu_seconds,
    ensure_original_venv,
    measure,
    synthetic_corpus,
)

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "acme_prefect"

#: The extension's runner script (v0.0.8), as `tests/sdk/test_package.py` keeps it.
RUNNER = """
import importlib, json, os, sys, traceback
module_name, class_name, output_file = sys.argv[1:4]
kwargs = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
sys.path.insert(0, os.path.join(os.getcwd(), ".acme_portal_sdk"))
try:
    import acme_portal_sdk
    base = getattr(acme_portal_sdk, class_name)
    module = importlib.import_module(module_name)
    obj = next(getattr(module, n) for n in dir(module) if isinstance(getattr(module, n), base))
    with open(output_file, "w") as f:
        json.dump(obj(**kwargs), f)
except Exception as e:
    with open(output_file[: -len(".json")] + "_error.json", "w") as f:
        json.dump({"error_type": type(e).__name__, "error_message": str(e),
                   "module_name": module_name, "class_name": class_name,
                   "traceback": traceback.format_exc()}, f)
    sys.exit(1)
"""


def _env() -> dict[str, str]:
    env = _child_env(isolated=True)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def workspace(parent: Path, files: dict[str, str]) -> Path:
    """A workspace folder: the runner and `.acme_portal_sdk/` holding `files`."""
    parent.mkdir(parents=True, exist_ok=True)
    (parent / "sdk_object_runner.py").write_text(RUNNER, encoding="utf-8")
    config = parent / ".acme_portal_sdk"
    config.mkdir(exist_ok=True)
    for name, text in files.items():
        (config / name).write_text(text, encoding="utf-8")
    return parent


@dataclass
class Timing:
    """Best wall and best CPU time of a runner call over the runs, and what it returned."""

    wall: float
    cpu: float
    items: int


def time_runner(
    python: Path, root: Path, module: str, cls: str, runs: int, env: dict[str, str]
) -> Timing:
    """`runs` runner calls after one untimed call (which builds our index and listing,
    warms the page cache and writes the `.pyc` files)."""
    out = root / "out.json"
    command = [str(python), "sdk_object_runner.py", module, cls, str(out)]
    samples: list[Sample] = []
    items = 0
    for _ in range(runs + 1):
        sample = measure(command, root, env=env, sample_memory=False, cwd=root)
        if sample.returncode != 0:
            error = root / "out_error.json"
            detail = error.read_text(encoding="utf-8") if error.exists() else sample.stderr_tail
            raise RuntimeError(f"{python} {module}: {detail[-2000:]}")
        items = len(json.loads(out.read_text(encoding="utf-8")))
        samples.append(sample)
    timed = samples[1:]
    return Timing(min(s.wall for s in timed), min(s.cpu for s in timed), items)


def finder_file(root: Path) -> dict[str, str]:
    return {
        "flow_finder.py": (
            "from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder\n"
            f"flow_finder = PrefectFlowFinder({str(root)!r})\n"
        )
    }


@contextlib.contextmanager
def watching(root: Path) -> Iterator[None]:
    """An `acme-scan watch` of `root`, holding its index's lock, for the block."""
    lock = root / ".acme_scan" / "index.json.lock"
    process = subprocess.Popen(
        [sys.executable, "-m", "acme_scan", "watch", str(root)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (lock.exists() and lock.read_text().strip() == str(process.pid)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("acme-scan watch did not start")
            time.sleep(0.1)
        time.sleep(1.0)  # its first update is done
        yield
    finally:
        process.terminate()
        process.wait(30)


Row = tuple[str, Timing, Timing]


def bench_flows(cache: Path, work: Path, files: int, runs: int, original: Path) -> list[Row]:
    rows = []
    example = work / "example"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__"))
    corpus = synthetic_corpus(cache, files)
    ours_python = Path(sys.executable)
    for label, root in (("example, 10 flows", example), (corpus.label, corpus.root)):
        ours_ws = workspace(work / f"ours-{root.name}", finder_file(root))
        orig_ws = workspace(work / f"orig-{root.name}", finder_file(root))
        call = ("flow_finder", "FlowFinder", runs, _env())
        ours = time_runner(ours_python, ours_ws, *call)
        orig = time_runner(original, orig_ws, *call)
        rows.append((f"flows, warm: {label}", ours, orig))
        with watching(root):
            live = time_runner(ours_python, ours_ws, *call)
        rows.append((f"flows, acme-scan watch running: {label}", live, orig))
        # The floor: the runner writing the same list from a finder that has it at hand.
        floor_ws = workspace(work / f"floor-{root.name}", floor_file(ours_ws / "out.json"))
        floor = time_runner(ours_python, floor_ws, *call)
        rows.append((f"floor, runner dumping that list: {label}", floor, orig))
    return rows


def floor_file(listing: Path) -> dict[str, str]:
    return {
        "flow_finder.py": (
            "import orjson\n"
            "from acme_portal_sdk import FlowFinder\n"
            f"DATA = orjson.loads(open({str(listing)!r}, 'rb').read())\n"
            "class Floor(FlowFinder):\n"
            "    def list_flows(self): return []\n"
            "    def __call__(self, **kwargs): return DATA\n"
            "flow_finder = Floor()\n"
        )
    }


def ensure_original_prefect_venv(cache: Path) -> Path:
    """A venv with the original SDK, its `[prefect]` extra and our lock's Prefect version."""
    import importlib.metadata

    venv = cache / "orig-prefect-venv"
    python = venv / "bin" / "python"
    prefect = importlib.metadata.version("prefect")
    spec = f"{ORIGINAL_SPEC} acme-config==0.0.14 prefect=={prefect}"
    ok = venv / ".bench-ok"
    if ok.exists() and python.exists() and ok.read_text(encoding="utf-8") == spec:
        return python
    if venv.exists():
        shutil.rmtree(venv)
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv not found (run the benchmark with `uv run`)")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    env = {**_child_env(isolated=True), "VIRTUAL_ENV": str(venv)}
    for command in (
        [uv, "venv", "--quiet", "--python", version, str(venv)],
        [uv, "pip", "install", "--quiet", *spec.split()],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"`{' '.join(command[1:])}` failed: {done.stderr.strip()}")
    ok.write_text(spec, encoding="utf-8")
    return python


def bench_deployments(cache: Path, work: Path, count: int, runs: int) -> list[Row]:
    from acme_portal_sdk.prefect.local_server import LocalPrefectServer, client_environment
    from acme_portal_sdk.prefect.naming import deployment_tags

    original = ensure_original_prefect_venv(cache)
    server = LocalPrefectServer(work / "prefect-home", startup_timeout=180.0)
    with server, client_environment(server.environment()):
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            flow_ids = [client.create_flow_from_name(f"flow_{i}") for i in range(10)]
            for i in range(count):
                branch = f"branch-{i // 30}"
                label = ("dev", "uat", "prod")[i % 3]
                client.create_deployment(
                    flow_id=flow_ids[i % 10],
                    name=f"bench--{branch}--flow-{i % 10}--{label}-{i}",
                    tags=deployment_tags("bench", branch, f"{i:040x}", "1.0"),
                    version=f"{branch}-{i:040x}",
                )
        files = {
            "deployment_finder.py": (
                "from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder\n"
                "deployment_finder = PrefectDeploymentFinder()\n"
            )
        }
        env = {**_env(), **server.environment()}
        ours_ws = workspace(work / "ours-deployments", files)
        orig_ws = workspace(work / "orig-deployments", files)
        call = ("deployment_finder", "DeploymentFinder", runs, env)
        ours = time_runner(Path(sys.executable), ours_ws, *call)
        orig = time_runner(original, orig_ws, *call)
    return [(f"deployments: {count} on a local server", ours, orig)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.extension", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--deployments", type=int, default=250)
    parser.add_argument("--no-flows", action="store_true")
    parser.add_argument("--no-deployments", action="store_true")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    busy_before = busy_cpu_seconds()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="acme-ext-bench-") as tmp:
        work = Path(tmp)
        if not args.no_flows:
            original = ensure_original_venv(args.cache)
            rows += bench_flows(args.cache, work, args.files, args.runs, original)
        if not args.no_deployments:
            rows += bench_deployments(args.cache, work, args.deployments, args.runs)
    busy_after = busy_cpu_seconds()
    elapsed = time.monotonic() - started
    print(
        f"best of {args.runs} runner calls each (wall and CPU separately); "
        f"CPython {sys.version.split()[0]}; {elapsed:.0f} s"
    )
    if busy_before and busy_after:
        others = (busy_after[0] - busy_before[0]) - (busy_after[1] - busy_before[1])
        print(f"other processes kept {others / elapsed:.1f} cores busy on average meanwhile")
    print(
        f"{'call':52} {'ours':>7} {'1.2.0':>7} {'ratio':>6}   {'CPU ours':>8} {'1.2.0':>7} "
        f"{'ratio':>6}  items (ours / 1.2.0)"
    )
    for label, ours, orig in rows:
        print(
            f"{label:52} {ours.wall:6.3f}s {orig.wall:6.3f}s {ours.wall / orig.wall:6.2f}   "
            f"{ours.cpu:7.3f}s {orig.cpu:6.3f}s {ours.cpu / orig.cpu:6.2f}  "
            f"{ours.items} / {orig.items}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
