"""Run a command and report its wall time and peak RSS (standard library only).

    python -I -S benchmarks/_wrap.py REPORT -- COMMAND...

The command inherits stdin, stdout and stderr. REPORT gets `{"wall", "cpu", "maxrss_kb",
"returncode"}`: the wall time from just before the fork to the end of the wait, the CPU time
(user + system) of the command and its descendants, and
`getrusage(RUSAGE_CHILDREN).ru_maxrss`, the peak RSS of the largest process among the command
and its descendants. This wrapper exists because Linux carries a process's RSS high-water
mark across `exec`: a command forked straight from the (larger) harness would report at least
the harness's RSS. Forked from this small process, its figure is its own (this wrapper's own
few MB are a floor no Python tool gets under anyway).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: _wrap.py REPORT -- COMMAND...", file=sys.stderr)
        return 2
    report, command = argv[0], argv[2:]
    started = time.perf_counter()
    try:
        process = subprocess.Popen(command)
    except OSError as exc:
        print(f"_wrap.py: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 127
    returncode = process.wait()
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(report, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "wall": wall,
                "cpu": usage.ru_utime + usage.ru_stime,
                "maxrss_kb": usage.ru_maxrss,
                "returncode": returncode,
            },
            handle,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
