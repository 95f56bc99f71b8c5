"""Cold scans of two versions of acme-scan and the original SDK, interleaved round by round.

    uv run python -m benchmarks.interleaved --base REV [--rounds N] [--corpus KEY ...] [--compiled]

`run.py` takes each tool's best of three in turn; on a VM whose speed moves by ±20 % from
minute to minute (more on its second core than its first), its ratios move with it. Here
each round runs, one after the other on the same corpus, `acme-scan scan --cold -q` of the
source at REV (extracted with `git archive`), of the working tree's source, and the
original SDK (`run.py`'s venv and child), and prints the median over rounds of each one's
wall time and of its ratio to the original in the same round. Whole processes, `.pyc`
caching on (run it under `env -u PYTHONDONTWRITEBYTECODE`), no wrapper. `--compiled` adds,
in each round, the working tree's wheel with its scanner compiled by mypyc
(`run.compiled_build`).

Corpora (default all but site-packages): `synthetic-30`, `synthetic-1000`, `synthetic-10000`,
`large-80`, `site-packages`; built and cached as `run.py` builds them.
"""

from __future__ import annotations

import argparse
import compileall
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import run

REPO = run.HERE.parent
CORPORA: dict[str, Callable[[Path], run.Corpus]] = {
    "synthetic-30": lambda cache: run.synthetic_corpus(cache, 30),
    "synthetic-1000": lambda cache: run.synthetic_corpus(cache, 1000),
    "synthetic-10000": lambda cache: run.synthetic_corpus(cache, 10000),
    "large-80": lambda cache: run.large_corpus(cache, 80),
    "site-packages": run.real_tree_corpus,
}
DEFAULT_CORPORA = ("synthetic-30", "synthetic-1000", "synthetic-10000", "large-80")


def extract_source(revision: str, into: Path) -> Path:
    """`src/` of `revision`, written below `into` and compiled; the folder to put on
    `PYTHONPATH`."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "src"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    # Its bytecode is compiled now, so that no round pays for it (the working tree's is).
    compileall.compile_dir(into / "src", quiet=1)
    return into / "src"


def timed(command: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` failed: {done.stderr.decode()[-2000:]}")
    return elapsed


def rounds_of(
    corpus: run.Corpus, sources: dict[str, Path], original: Path, rounds: int, work: Path
) -> dict[str, list[float]]:
    """Wall seconds of each version (by label) and of the original, round by round."""
    isolated = run._child_env(isolated=True)
    scan = [sys.executable, "-m", "acme_scan", "scan", str(corpus.root), "--cold", "-q"]
    scan += ["-o", str(work / "index.json")]
    walls: dict[str, list[float]] = {label: [] for label in [*sources, "original"]}
    for _ in range(rounds):
        for label, source in sources.items():
            env = {**isolated, "PYTHONPATH": str(source)}
            walls[label].append(timed(scan, env, work))
        command = [str(original), "-I", str(run.CHILD), "original", str(corpus.root)]
        walls["original"].append(timed([*command, str(work / "result.json")], isolated, work))
    return walls


def report(corpus: run.Corpus, walls: dict[str, list[float]]) -> str:
    original = walls["original"]
    parts = [f"{corpus.label:24s}"]
    for label, values in walls.items():
        median = statistics.median(values)
        if label == "original":
            parts.append(f"original {median:.3f} s")
        else:
            ratio = statistics.median(v / o for v, o in zip(values, original, strict=True))
            parts.append(f"{label} {median:.3f} s ({ratio:.2f}x)")
    return "  ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA))
    parser.add_argument("--cache", type=Path, default=run.DEFAULT_CACHE)
    parser.add_argument(
        "--compiled", action="store_true", help="also the working tree's compiled wheel"
    )
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    original = run.ensure_original_venv(args.cache)
    with tempfile.TemporaryDirectory(prefix="acme-scan-interleaved-") as temp:
        work = Path(temp)
        sources = {args.base: extract_source(args.base, work / "base"), "now": REPO / "src"}
        if args.compiled:
            sources["compiled"] = run.compiled_build(args.cache)
        print(
            f"median of {args.rounds} rounds; (x): median of each round's ratio to the "
            f"original; PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE')}"
        )
        for key in args.corpus or DEFAULT_CORPORA:
            corpus = CORPORA[key](args.cache)
            print(report(corpus, rounds_of(corpus, sources, original, args.rounds, work)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
