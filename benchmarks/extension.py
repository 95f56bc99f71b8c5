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
from pathlib import Path

from benchmarks.run import (
    DEFAULT_CACHE,
    ORIGINAL_SPEC,
    Best,
    Sample,
    _child_env,
    best_of,
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


def time_runner(
    python: Path, root: Path, module: str, cls: str, runs: int, env: dict[str, str]
) -> tuple[Best, int]:
    """Best of `runs` runner calls; also the number of items the call returned."""
    out = root / "out.json"
    command = [str(python), "sdk_object_runner.py", module, cls, str(out)]
    counts: list[int] = []

    def once() -> Sample:
        sample = measure(command, root, env=env, sample_memory=False, cwd=root)
        if sample.returncode == 0:
            counts.append(len(json.loads(out.read_text(encoding="utf-8"))))
        else:
            error = root / "out_error.json"
            detail = error.read_text(encoding="utf-8") if error.exists() else sample.stderr_tail
            raise RuntimeError(f"{python} {module}: {detail[-2000:]}")
        return sample

    once()  # untimed: builds our index, warms the page cache and the .pyc files
    best = best_of(once, runs)
    return best, counts[-1]


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


def bench_flows(
    cache: Path, work: Path, files: int, runs: int, original: Path
) -> list[tuple[str, float, float, int, int]]:
    rows = []
    example = work / "example"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__"))
    corpus = synthetic_corpus(cache, files)
    for label, root in (("example, 10 flows", example), (corpus.label, corpus.root)):
        ours_ws = workspace(work / f"ours-{root.name}", finder_file(root))
        orig_ws = workspace(work / f"orig-{root.name}", finder_file(root))
        ours, ours_count = time_runner(
            Path(sys.executable), ours_ws, "flow_finder", "FlowFinder", runs, _env()
        )
        orig, orig_count = time_runner(original, orig_ws, "flow_finder", "FlowFinder", runs, _env())
        rows.append(
            (f"flows warm: {label}", ours.sample.wall, orig.sample.wall, ours_count, orig_count)
        )
        with watching(root):
            live, live_count = time_runner(
                Path(sys.executable), ours_ws, "flow_finder", "FlowFinder", runs, _env()
            )
        rows.append(
            (
                f"flows, watch running: {label}",
                live.sample.wall,
                orig.sample.wall,
                live_count,
                orig_count,
            )
        )
    return rows


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


def bench_deployments(
    cache: Path, work: Path, count: int, runs: int
) -> list[tuple[str, float, float, int, int]]:
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
        ours, ours_count = time_runner(
            Path(sys.executable), ours_ws, "deployment_finder", "DeploymentFinder", runs, env
        )
        orig, orig_count = time_runner(
            original, orig_ws, "deployment_finder", "DeploymentFinder", runs, env
        )
    return [
        (
            f"deployments: {count} on a local server",
            ours.sample.wall,
            orig.sample.wall,
            ours_count,
            orig_count,
        )
    ]


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
    rows = []
    with tempfile.TemporaryDirectory(prefix="acme-ext-bench-") as tmp:
        work = Path(tmp)
        if not args.no_flows:
            rows += bench_flows(
                args.cache, work, args.files, args.runs, ensure_original_venv(args.cache)
            )
        if not args.no_deployments:
            rows += bench_deployments(args.cache, work, args.deployments, args.runs)
    print(f"best of {args.runs} runner calls each; CPython {sys.version.split()[0]}")
    print(f"{'call':45} {'ours':>8} {'1.2.0':>8} {'ratio':>6}  items (ours / 1.2.0)")
    for label, ours, orig, ours_count, orig_count in rows:
        print(
            f"{label:45} {ours:7.3f}s {orig:7.3f}s {ours / orig:6.2f}  {ours_count} / {orig_count}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
