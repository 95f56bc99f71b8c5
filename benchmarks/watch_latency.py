"""How fast `acme-scan watch` brings the index up to date after a save, and what it costs idle.

    uv run python -m benchmarks.watch_latency [--files 10000] [--saves 50] [--idle 10]
                                              [--root DIR] [--polling] [--json OUT]

On the synthetic project of `benchmarks/generate.py` (10k files by default, generated in a
temporary folder unless `--root` names one to reuse), `acme-scan watch` runs as a child
process. Then, `--saves` times, one file is saved with a new flow name (a plain write, as
most editors' "save" ends up doing) and the clock runs until the index file holds the new
name: the latency a reader of the index sees, quiet period included. The index is checked
by its (inode, mtime) at 1 ms intervals and read only when it changed.

Idle cost: the CPU time (user + system, all threads, from /proc/<pid>/stat) the watcher
uses over `--idle` seconds with nothing happening and no reconcile due; then the same with
a reconcile every second (`--reconcile-s 1`), which gives the cost of one reconcile.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from benchmarks.generate import TEMPLATES, generate

#: Module i of generate.py uses template i % len(TEMPLATES); this one names its flow
#: `@flow(name="ingest-{i}", ...)`, a literal to change.
NAMED_EVERY = len(TEMPLATES)
NAMED_OFFSET = next(k for k, (source, _) in enumerate(TEMPLATES) if 'name="ingest-' in source)
READY_TIMEOUT = 900.0
UPDATE_TIMEOUT = 30.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idleness measured")
    parser.add_argument("--root", type=Path, help="reuse (or create) the project here")
    parser.add_argument("--polling", action="store_true", help="measure the polling observer")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    scratch = None
    if args.root is None:
        scratch = Path(tempfile.mkdtemp(prefix="acme-scan-watch-bench-"))
        root = scratch / "project"
    else:
        root = args.root
    try:
        if not (root / "proj").is_dir():
            print(f"generating {args.files} files under {root} ...", file=sys.stderr)
            generate(root, args.files)
        results = measure(root, args.files, args.saves, args.idle, args.polling)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    report(results, sys.stdout)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def measure(root: Path, files: int, saves: int, idle: float, polling: bool) -> dict[str, Any]:
    index = root / ".acme_scan" / "index.json"
    extra = ["--polling"] if polling else []
    results: dict[str, Any] = {"files": files, "saves": saves, "polling": polling}
    with Watching(root, [*extra, "--reconcile-s", "3600"]) as watch:
        results["startup_seconds"] = round(watch.startup, 2)
        results["index_bytes"] = index.stat().st_size
        latencies = [save_and_wait(root, index, n, files) for n in range(saves)]
        time.sleep(1.0)  # let the last pass finish before measuring idleness
        results["idle_cpu_seconds"] = round(cpu_over(watch.process.pid, idle), 3)
    results["latency_ms"] = {
        "p50": round(percentile(latencies, 50) * 1000, 1),
        "p95": round(percentile(latencies, 95) * 1000, 1),
        "max": round(max(latencies) * 1000, 1),
        "mean": round(statistics.fmean(latencies) * 1000, 1),
    }
    with Watching(root, [*extra, "--reconcile-s", "1"]) as watch:
        time.sleep(1.0)
        busy = cpu_over(watch.process.pid, idle)
    results["cpu_seconds_per_reconcile"] = round(busy / idle, 3)
    results["idle_seconds"] = idle
    return results


class Watching:
    """`acme-scan watch ROOT ARGS` in a child process, from ready to stopped (SIGTERM)."""

    def __init__(self, root: Path, args: list[str]) -> None:
        self.root = root
        self.args = args
        self.startup = 0.0
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Any:
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "acme_scan", "watch", "-v", str(self.root), *self.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while b"watching" not in self._stderr():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"acme-scan watch did not start: {self._stderr()!r}")
            time.sleep(0.05)
        self.startup = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(60)
        self.log.close()
        if code != 0:
            raise RuntimeError(f"acme-scan watch exited with {code}")

    def _stderr(self) -> bytes:
        self.log.seek(0)
        return self.log.read()


def save_and_wait(root: Path, index: Path, n: int, files: int) -> float:
    """Save a flow under a new name; seconds until the index file holds it."""
    count = max(1, files // NAMED_EVERY)
    i = (n * 7919 % count) * NAMED_EVERY + NAMED_OFFSET  # spread over the packages
    path = root / "proj" / f"pkg_{i // 100:03d}" / f"mod_{i:05d}.py"
    text = path.read_text()
    start = text.index('name="') + len('name="')
    end = text.index('"', start)
    name = f"bench-{n}-{time.monotonic_ns()}"
    wanted = f'"{name}"'.encode()
    before = _key(index)
    path.write_text(text[:start] + name + text[end:])
    saved = time.perf_counter()
    deadline = saved + UPDATE_TIMEOUT
    while True:
        key = _key(index)
        if key != before:
            before = key
            if wanted in index.read_bytes():
                return time.perf_counter() - saved
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the index never showed {name}")
        time.sleep(0.001)


def _key(path: Path) -> tuple[int, int]:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return (0, 0)
    return (stat.st_ino, stat.st_mtime_ns)


def cpu_over(pid: int, seconds: float) -> float:
    """CPU seconds (user + system, all threads) process `pid` uses over `seconds`."""
    before = _cpu(pid)
    time.sleep(seconds)
    return _cpu(pid) - before


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def report(results: dict[str, Any], out: TextIO) -> None:
    latency = results["latency_ms"]
    kind = "polling" if results["polling"] else "native events"
    out.write(
        f"acme-scan watch, {results['files']} files ({results['index_bytes'] / 1e6:.1f} MB "
        f"index), {kind}; ready after {results['startup_seconds']} s\n"
        f"save -> index updated, {results['saves']} saves: p50 {latency['p50']} ms, "
        f"p95 {latency['p95']} ms, max {latency['max']} ms, mean {latency['mean']} ms\n"
        f"idle: {results['idle_cpu_seconds']} CPU s over {results['idle_seconds']} s; "
        f"one reconcile: {results['cpu_seconds_per_reconcile']} CPU s\n"
    )


if __name__ == "__main__":
    sys.exit(main())
