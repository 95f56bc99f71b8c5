"""In-process cost of one cold scan's phases per candidate module: parse, compile, analysis.

    uv run python -m benchmarks.analysis CORPUS... [--runs N] [--gc] [--cpu] [--profile N]

For every `.py` file under each CORPUS that a recogniser's prefilter lets through (the
candidates `scan_data` parses), the files are read into memory once, then each phase is timed
over all of them, best of `--runs` (default 5), with the garbage collector disabled (`--gc`
keeps it enabled, as a real scan runs):

- `scan_data`: the whole of `core.scan_data`, as the scan calls it, over every candidate;
- `parse`: the part of it in `_parse.parse` (CPython's `ast.parse`);
- `compile`: the part in `compile()` of the parsed tree (the import check `core._analyse`
  runs on a module with findings);
- `analysis`: the rest (decoding, the walks of every recogniser, the flows' names,
  parameters, schemas and ids, diagnostics, the result).

Each phase is timed inside the same `scan_data` passes (so each runs on a tree just built,
as in a real scan); the best of the runs is shown for each.

`--cpu` times with this process's CPU clock instead of the wall clock (other processes on a
busy machine disturb it less). `--profile N` prints the N costliest functions (cProfile) of
one `scan_data` pass. Figures from a shared machine vary by about a quarter from run to run:
compare runs taken close together, and trust the best of several.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from acme_scan.scanner import _parse, core


def candidates(root: Path) -> list[tuple[str, bytes]]:
    """(POSIX path relative to `root`, bytes) of each file the prefilter lets through."""
    found: list[tuple[str, bytes]] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = Path(folder, name)
            data = path.read_bytes()
            if core.could_define_flows(data):
                found.append((path.relative_to(root).as_posix(), data))
    return found


@contextmanager
def _collector(enabled: bool) -> Iterator[None]:
    was = gc.isenabled()
    gc.collect()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


def measure(root: Path, runs: int, *, collect: bool, cpu: bool = False) -> dict[str, float]:
    """Seconds per phase (best of `runs`) over the candidates of `root`.

    Each run is one pass of `scan_data` over every candidate, the parse and compile steps
    timed inside it (so every phase runs on a tree just built, as in a real scan).
    """
    files = candidates(root)
    spent = {"parse": 0.0, "compile": 0.0}
    clock = time.process_time if cpu else time.perf_counter

    def timed_parse(text: str, path: str) -> Any:
        started = clock()
        try:
            return _parse.parse(text, path)
        finally:
            spent["parse"] += clock() - started

    def timed_compile(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        try:
            return _parse.compile_error(*args, **kwargs)
        finally:
            spent["compile"] += clock() - started

    flows = sum(len(core.scan_data(data, path)["flows"]) for path, data in files)
    rows: list[dict[str, float]] = []
    with (
        mock.patch.object(core, "parse", timed_parse),
        mock.patch.object(core, "compile_error", timed_compile),
    ):
        for _ in range(runs):
            spent.update(parse=0.0, compile=0.0)
            with _collector(collect):
                started = clock()
                for path, data in files:
                    core.scan_data(data, path)
                total = clock() - started
            rows.append(
                {
                    "parse": spent["parse"],
                    "compile": spent["compile"],
                    "analysis": total - spent["parse"] - spent["compile"],
                    "scan_data": total,
                }
            )
    result: dict[str, float] = {
        "files": len(files),
        "flows": flows,
        "bytes": sum(len(data) for _, data in files),
    }
    for key in ("parse", "compile", "analysis", "scan_data"):
        result[key] = min(row[key] for row in rows)
    return result


def profile(root: Path, top: int) -> None:
    files = candidates(root)
    profiler = cProfile.Profile()
    with _collector(False):
        profiler.enable()
        for path, data in files:
            core.scan_data(data, path)
        profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    stats.print_callers(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gc", action="store_true", help="keep the garbage collector on")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="CPU time of this process, not wall time (a busy machine disturbs it less)",
    )
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    print(
        f"best of {args.runs}, gc {'on' if args.gc else 'off'}; "
        f"{'CPU' if args.cpu else 'wall'} seconds\n"
        f"{'corpus':<24} {'files':>6} {'flows':>6} {'MB':>6} {'parse':>8} {'compile':>8} "
        f"{'analysis':>8} {'scan_data':>9} {'analysis/parse':>14}"
    )
    for root in args.corpus:
        if args.profile:
            profile(root, args.profile)
            continue
        row = measure(root, args.runs, collect=args.gc, cpu=args.cpu)
        print(
            f"{root.name:<24} {row['files']:>6} {row['flows']:>6} {row['bytes'] / 1e6:>6.2f} "
            f"{row['parse']:>8.3f} {row['compile']:>8.3f} {row['analysis']:>8.3f} "
            f"{row['scan_data']:>9.3f} {row['analysis'] / row['parse']:>14.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
