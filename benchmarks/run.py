"""Benchmark acme-scan end to end against the original SDK, Prefect's own search and I/O floors.

    uv run python -m benchmarks.run [--quick] [--json OUT] [--runs N] [--no-original] [--no-prefect]

Every measurement is one whole subprocess (interpreter start-up, imports, the work, exit), so
its wall time is what a user waits for. It runs under a tiny wrapper (`_wrap.py`) that times
it and reports `getrusage(RUSAGE_CHILDREN).ru_maxrss`: the peak RSS of the largest process of
the tool's tree. Meanwhile the summed proportional set size (PSS) of the tool's whole process
tree is sampled, which counts forked workers once each without double-counting the pages they
share. The operating system's page cache is warm for every measurement (each corpus is read
once before timing): "cold" means "no acme-scan index", not "cold disk".

Corpora: (a) a copy of this project's venv site-packages (thousands of real files, few flows);
(b) the synthetic flow-dense project of `benchmarks/generate.py` at 1k and 10k files. Both are
cached under the system temp folder (`acme-scan-bench/`), as is the throwaway venv holding
`acme-portal-sdk==1.2.0` (it shares our import name, so it never goes into our venv).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime
import hashlib
import importlib.metadata
import itertools
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import _child
from benchmarks.generate import generate, generate_large

HERE = Path(__file__).resolve().parent
CHILD = HERE / "_child.py"
WRAP = HERE / "_wrap.py"
DEFAULT_JSON = HERE / "results" / "latest.json"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "acme-scan-bench"
ORIGINAL_SPEC = "acme-portal-sdk==1.2.0"
#: How often the process tree's memory is sampled.
SAMPLE_INTERVAL = 0.05
#: A tool running longer than this is killed and reported as failed.
TIMEOUT = 900.0

COLD = "acme-scan cold"
WARM = "acme-scan warm, no change"
CHANGED = "acme-scan 1 file changed"
CHECK = "acme-scan check, warm"
ORIGINAL = "original SDK 1.2.0"
PREFECT = "prefect search, import+call"
PREFECT_CALL = "prefect search, call only"
READ = "floor: read all .py"
STAT = "floor: stat walk"
PARSE = "floor: ast.parse candidates"


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    """One run of one subprocess."""

    wall: float
    maxrss_mb: float
    pss_mb: float | None
    returncode: int
    stderr_tail: str
    result: dict[str, Any] = field(default_factory=dict)
    stdout_matches: int = 0
    cpu: float = 0.0


def _process_tree(root: int) -> list[int]:
    """`root` and its live descendants, from /proc (empty when /proc is unavailable)."""
    children: dict[int, list[int]] = {}
    try:
        entries = list(os.scandir("/proc"))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _pss_kb(pid: int) -> int:
    """Proportional set size of one process (its RSS when smaps_rollup is unavailable)."""
    for path, key in ((f"/proc/{pid}/smaps_rollup", b"Pss:"), (f"/proc/{pid}/status", b"VmRSS:")):
        try:
            with open(path, "rb") as handle:
                for line in handle:
                    if line.startswith(key):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return 0


class _MemorySampler:
    """Samples the summed PSS of the descendants of `pid` until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            # The tree below the wrapper: the command and its workers.
            total = sum(_pss_kb(pid) for pid in _process_tree(self.pid)[1:])
            if total:
                self.samples += 1
                self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(SAMPLE_INTERVAL)

    def stop(self) -> float | None:
        """Peak in MB, or None when too few samples were taken to mean anything."""
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024 if self.samples >= 3 else None


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def measure(
    command: Sequence[str],
    work: Path,
    *,
    env: dict[str, str] | None = None,
    result_path: Path | None = None,
    count_stdout_prefix: bytes | None = None,
    sample_memory: bool = True,
    timeout: float = TIMEOUT,
    cwd: Path | None = None,
) -> Sample:
    """Run `command` once, through `_wrap.py`, in its own session, and measure it.

    The wrapper times the command and reports its peak RSS (see `_wrap.py` for why a
    wrapper); this process samples the PSS of the command's process tree meanwhile. stdout
    and stderr go to files in `work` (the original SDK prints a line per file, and tracebacks
    for files it cannot parse); `result_path` is read as the child's JSON result.
    """
    out_path, err_path, report_path = work / "stdout.txt", work / "stderr.txt", work / "wrap.json"
    for stale in (result_path, report_path):
        if stale is not None:
            stale.unlink(missing_ok=True)
    wrapped = [sys.executable, "-I", "-S", str(WRAP), str(report_path), "--", *command]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen(
            wrapped,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        sampler = _MemorySampler(process.pid) if sample_memory else None
        timer = threading.Timer(timeout, _kill_group, (process.pid,))
        timer.start()
        try:
            wrapper_status = process.wait()
        except BaseException:
            _kill_group(process.pid)
            process.wait()
            raise
        finally:
            timer.cancel()
            pss = sampler.stop() if sampler is not None else None
    report: dict[str, Any] = {}
    if wrapper_status == 0 and report_path.exists():
        report = json.loads(report_path.read_text(encoding="utf-8"))
    returncode = int(report.get("returncode", wrapper_status or -1))
    result: dict[str, Any] = {}
    if result_path is not None and result_path.exists():
        result = json.loads(result_path.read_text(encoding="utf-8"))
    matches = 0
    if count_stdout_prefix is not None:
        with open(out_path, "rb") as handle:
            matches = sum(1 for line in handle if line.startswith(count_stdout_prefix))
    with open(err_path, "rb") as handle:
        handle.seek(max(0, err_path.stat().st_size - 2000))
        tail = handle.read().decode("utf-8", "replace")
    return Sample(
        wall=float(report.get("wall", 0.0)),
        maxrss_mb=int(report.get("maxrss_kb", 0)) / 1024,  # kB on Linux
        pss_mb=pss,
        returncode=returncode,
        stderr_tail=tail,
        result=result,
        stdout_matches=matches,
        cpu=float(report.get("cpu", 0.0)),
    )


@dataclass
class Best:
    """The best (lowest wall) of `runs` successful samples; memory is the worst of them."""

    sample: Sample
    runs: int
    maxrss_mb: float
    pss_mb: float | None

    @property
    def ok(self) -> bool:
        return self.sample.returncode == 0


def default_runs(first_wall: float) -> int:
    """Repetitions when not fixed: best of 3 under 10 s, of 2 under 20 s, else a single run."""
    return 3 if first_wall < 10.0 else 2 if first_wall < 20.0 else 1


def best_of(run_once: Callable[[bool], Sample], runs: int | None) -> Best:
    """The best of `runs` calls of `run_once(sample_memory)`. Only the first samples the
    memory of the process tree: the sampler reads `/proc/PID/smaps_rollup` of each process
    every 50 ms, which walks its page tables under its memory lock, and so slows a tool of
    several processes more than a single-process one. The wall time is the best of the
    other runs when there are any."""
    samples = [run_once(True)]
    wanted = runs if runs is not None else default_runs(samples[0].wall)
    while len(samples) < wanted and samples[-1].returncode == 0:
        samples.append(run_once(False))
    good = [s for s in samples if s.returncode == 0]
    if not good:
        failed = samples[-1]
        return Best(failed, len(samples), failed.maxrss_mb, failed.pss_mb)
    pss = [s.pss_mb for s in good if s.pss_mb is not None]
    timed = good[1:] if len(good) > 1 and good[0] is samples[0] else good
    return Best(
        sample=min(timed, key=lambda s: s.wall),
        runs=len(good),
        maxrss_mb=max(s.maxrss_mb for s in good),
        pss_mb=max(pss) if pss else None,
    )


# --------------------------------------------------------------------------- corpora


@dataclass
class Corpus:
    key: str
    label: str
    root: Path
    files: int
    expected: int | None  # None: "what acme-scan's cold scan finds"


def _marker(root: Path) -> Path:
    return root.parent / f"{root.name}.json"


def _editing(root: Path) -> Path:
    """Present while a benchmark has a file of `root` edited (a crash leaves it behind)."""
    return root.parent / f"{root.name}.editing"


def _cached(root: Path, identity: dict[str, Any]) -> dict[str, Any] | None:
    marker = _marker(root)
    if not root.is_dir() or not marker.is_file() or _editing(root).exists():
        return None
    try:
        data: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("identity") == identity else None


def _store(root: Path, build: Callable[[Path], dict[str, Any]], identity: dict[str, Any]) -> Any:
    """(Re)build `root` atomically with `build(tmp)` and record `identity` next to it."""
    for stale in (root, root.parent / f"{root.name}.tmp"):
        if stale.exists():
            shutil.rmtree(stale)
    _marker(root).unlink(missing_ok=True)
    _editing(root).unlink(missing_ok=True)
    tmp = root.parent / f"{root.name}.tmp"
    tmp.mkdir(parents=True)
    data = {"identity": identity, **build(tmp)}
    tmp.rename(root)
    _marker(root).write_text(json.dumps(data), encoding="utf-8")
    return data


def synthetic_corpus(cache: Path, files: int) -> Corpus:
    """The generated flow-dense project with `files` modules (regenerated when stale)."""
    root = cache / f"synthetic-{files}"
    generator = (HERE / "generate.py").read_bytes()
    identity = {"files": files, "generator": hashlib.sha256(generator).hexdigest()}
    data = _cached(root, identity)
    if data is None:
        data = _store(root, lambda tmp: {"expected": generate(tmp, files)}, identity)
    count = _child.stat_walk(str(root))["files"]
    label = f"synthetic {files // 1000}k" if files % 1000 == 0 else f"synthetic {files}"
    return Corpus(f"synthetic-{files}", label, root, count, int(data["expected"]))


def large_corpus(cache: Path, files: int) -> Corpus:
    """Large pipeline modules (~20 KB, helpers, classes, 12 flows each), like real repositories."""
    root = cache / f"large-{files}"
    generator = (HERE / "generate.py").read_bytes()
    identity = {"files": files, "generator": hashlib.sha256(generator).hexdigest()}
    data = _cached(root, identity)
    if data is None:
        data = _store(root, lambda tmp: {"expected": generate_large(tmp, files)}, identity)
    count = _child.stat_walk(str(root))["files"]
    return Corpus(f"large-{files}", f"large modules {files}", root, count, int(data["expected"]))


def real_tree_corpus(cache: Path) -> Corpus:
    """A copy of this venv's site-packages (copied once; recopied when its packages change)."""
    source = Path(sysconfig.get_paths()["purelib"])
    names = sorted(os.listdir(source))
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    digest = hashlib.sha256("\n".join([version, str(source), *names]).encode()).hexdigest()
    identity = {"source": str(source), "fingerprint": digest}
    # Not named `site-packages`: acme-scan and Prefect both skip folders of that name.
    root = cache / f"realtree-py{version}-{digest[:10]}"
    if _cached(root, identity) is None:
        for old in cache.glob("realtree-*"):
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()

        def copy(tmp: Path) -> dict[str, Any]:
            shutil.copytree(source, tmp, symlinks=True, dirs_exist_ok=True)
            return {}

        _store(root, copy, identity)
    count = _child.stat_walk(str(root))["files"]
    return Corpus("site-packages", f"site-packages (py{version})", root, count, None)


# --------------------------------------------------------------------------- tools


@dataclass
class Row:
    corpus: str
    tool: str
    files: int
    runs: int = 0
    wall: float | None = None  # None: the tool failed
    maxrss_mb: float | None = None
    pss_mb: float | None = None
    flows: int | None = None
    expected: int | None = None
    notes: list[str] = field(default_factory=list)
    vs_original: float | None = None
    vs_cold: float | None = None
    vs_stat: float | None = None

    @property
    def files_per_second(self) -> float | None:
        return self.files / self.wall if self.wall else None


def _row(corpus: Corpus, tool: str, best: Best, wall: float | None = None) -> Row:
    row = Row(corpus.label, tool, corpus.files, runs=best.runs, expected=corpus.expected)
    if best.ok:
        row.wall = best.sample.wall if wall is None else wall
        row.maxrss_mb, row.pss_mb = best.maxrss_mb, best.pss_mb
    else:
        tail = best.sample.stderr_tail.strip().splitlines()
        row.notes.append(
            f"FAILED (exit {best.sample.returncode}): {tail[-1] if tail else 'no stderr'}"
        )
    return row


def acme_scan_command() -> list[str]:
    """The `acme-scan` console script of this venv (as a user runs it), else `-m`."""
    script = Path(sys.executable).parent / "acme-scan"
    return [str(script)] if script.exists() else [sys.executable, "-m", "acme_scan"]


def read_index(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    return data


def _index_notes(index: dict[str, Any]) -> list[str]:
    files = index.get("files", {})
    failed = sum(1 for record in files.values() if record.get("status") == "failed")
    internal = sum(1 for d in index.get("diagnostics", []) if d.get("code") == "AS000")
    notes = []
    if failed:
        notes.append(f"{failed} files failed")
    if internal:
        notes.append(f"{internal} AS000 internal errors")
    return notes


def _changed_target(index: dict[str, Any]) -> str:
    """The file to edit: the first with flows, else the first parsed, else the first."""
    files: dict[str, dict[str, Any]] = index["files"]
    for wanted in ("flows", "parsed", None):
        for rel, record in sorted(files.items()):
            if (
                wanted is None
                or (wanted == "flows" and record.get("flows"))
                or (wanted == "parsed" and record.get("status") == "parsed")
            ):
                return rel
    raise ValueError("the index lists no files")


@contextlib.contextmanager
def _editing_file(root: Path, rel: str) -> Iterator[bytes]:
    """Yield the original bytes of `root/rel`; restore them afterwards, whatever happens."""
    path = root / rel
    original = path.read_bytes()
    _editing(root).write_text(rel, encoding="utf-8")
    try:
        yield original
    finally:
        path.write_bytes(original)
        _editing(root).unlink(missing_ok=True)


def bench_acme_scan(
    corpus: Corpus, work: Path, runs: int | None, env: dict[str, str] | None = None
) -> list[Row]:
    """Cold, warm (no change) and one-file-changed scans through the CLI (`env`: the
    environment, whose `PYTHONPATH` chooses the build)."""
    # The default location, as users have it (the corpora are throwaway copies).
    index_path = corpus.root / ".acme_scan" / "index.json"
    base = [*acme_scan_command(), "scan", str(corpus.root), "-q"]

    cold = best_of(
        lambda memory: measure([*base, "--cold"], work, env=env, sample_memory=memory), runs
    )
    cold_row = _row(corpus, COLD, cold)
    if not cold.ok or not index_path.exists():
        return [cold_row]
    cold_bytes = index_path.read_bytes()
    index = read_index(index_path)
    cold_row.flows = len(index["flows"])
    cold_row.notes += _index_notes(index)
    if corpus.expected is None:
        corpus.expected = cold_row.flows
        cold_row.expected = corpus.expected
        cold_row.notes.append("expected := this scan's flows")

    warm = best_of(lambda memory: measure(base, work, env=env, sample_memory=memory), runs)
    warm_row = _row(corpus, WARM, warm)
    if warm.ok:
        warm_row.flows = len(read_index(index_path)["flows"])
        if index_path.read_bytes() != cold_bytes:
            warm_row.notes.append("the index CHANGED without a change to the files")

    # The pre-commit hook's command on the up-to-date index (findings are not a failure).
    findings = work / "findings.txt"
    check_command = [*acme_scan_command(), "check", str(corpus.root), "-q", "--exit-zero"]
    check = best_of(
        lambda memory: measure(
            [*check_command, "-o", str(findings)], work, env=env, sample_memory=memory
        ),
        runs,
    )
    check_row = _row(corpus, CHECK, check)
    if check.ok:
        check_row.flows = warm_row.flows

    target = _changed_target(index)
    with _editing_file(corpus.root, target) as original:
        edits = itertools.count(1)
        sizes: list[int] = []

        def change_once(memory: bool) -> Sample:
            edited = original + f"\n# acme-scan benchmark edit {next(edits)}\n".encode()
            (corpus.root / target).write_bytes(edited)
            sizes.append(len(edited))
            return measure(base, work, env=env, sample_memory=memory)

        changed = best_of(change_once, runs)
        changed_row = _row(corpus, CHANGED, changed)
        if changed.ok:
            after = read_index(index_path)
            changed_row.flows = len(after["flows"])
            changed_row.notes.append(f"edited {target}")
            if after["files"].get(target, {}).get("size") != sizes[-1]:
                changed_row.notes.append("the edit is NOT in the index")
    return [cold_row, warm_row, changed_row, check_row]


def _child_env(isolated: bool) -> dict[str, str]:
    if not isolated:
        return dict(os.environ)
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    return {key: value for key, value in os.environ.items() if key not in drop}


def bench_floors(corpus: Corpus, work: Path, runs: int | None) -> list[Row]:
    """The floors: `ast.parse` of the candidate files, a bare read of every `.py` file, and a
    bare stat walk."""
    rows = []
    result = work / "result.json"
    for kind, tool in (("parse", PARSE), ("read", READ), ("stat", STAT)):
        command = [sys.executable, str(CHILD), kind, str(corpus.root), str(result)]

        def run_once(memory: bool, command: list[str] = command) -> Sample:
            return measure(command, work, result_path=result, sample_memory=memory)

        best = best_of(run_once, runs)
        row = _row(corpus, tool, best)
        row.expected = None
        if best.ok and best.sample.result.get("files") != corpus.files:
            row.notes.append(f"saw {best.sample.result.get('files')} files")
        if best.ok and "candidates" in best.sample.result:
            row.notes.append(f"{best.sample.result['candidates']:,} candidate files")
        rows.append(row)
    return rows


def _uv() -> str:
    """The uv that builds the benchmark's venv and wheel."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv not found (run the benchmark with `uv run`)")
    return uv


def ensure_original_venv(cache: Path) -> Path:
    """The python of a throwaway venv holding the original SDK (created once, then reused)."""
    venv = cache / "orig-venv"
    python = venv / "bin" / "python"
    ok = venv / ".bench-ok"
    if ok.exists() and python.exists():
        return python
    if venv.exists():
        shutil.rmtree(venv)
    uv = _uv()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    env = {**_child_env(isolated=True), "VIRTUAL_ENV": str(venv)}
    for command in (
        [uv, "venv", "--quiet", "--python", version, str(venv)],
        [uv, "pip", "install", "--quiet", ORIGINAL_SPEC],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"`{' '.join(command[1:])}` failed: {done.stderr.strip()}")
    ok.write_text(ORIGINAL_SPEC, encoding="utf-8")
    return python


def bench_original(corpus: Corpus, work: Path, runs: int | None, python: Path) -> list[Row]:
    """`PrefectFlowFinder(root)()` of acme-portal-sdk 1.2.0, in its own venv."""
    result = work / "result.json"
    command = [str(python), "-I", str(CHILD), "original", str(corpus.root), str(result)]
    best = best_of(
        lambda memory: measure(
            command,
            work,
            env=_child_env(isolated=True),
            result_path=result,
            count_stdout_prefix=b"Error scanning",
            sample_memory=memory,
        ),
        runs,
    )
    row = _row(corpus, ORIGINAL, best)
    if best.ok:
        row.flows = best.sample.result.get("flows")
        module_file = str(best.sample.result.get("module_file", ""))
        if not module_file.startswith(str(python.parent.parent)):
            row.notes.append(f"WRONG acme_portal_sdk imported: {module_file}")
        if best.sample.stdout_matches:
            row.notes.append(f"{best.sample.stdout_matches} files unparsable (tracebacks)")
    return [row]


def bench_prefect(corpus: Corpus, work: Path, runs: int | None) -> list[Row]:
    """Prefect's `search_for_flow_functions` (what `prefect deploy` runs), in our venv."""
    result = work / "result.json"
    command = [sys.executable, str(CHILD), "prefect", str(corpus.root), str(result)]
    best = best_of(
        lambda memory: measure(command, work, result_path=result, sample_memory=memory), runs
    )
    whole = _row(corpus, PREFECT, best)
    call = _row(corpus, PREFECT_CALL, best)
    if best.ok:
        data = best.sample.result
        whole.flows = call.flows = data.get("flows")
        call.wall = float(data["call_seconds"])
        whole.notes.append(f"import prefect {float(data['import_seconds']):.2f}s")
        call.notes.append("timed in-process")
    return [whole, call]


# --------------------------------------------------------------------------- report


def add_ratios(rows: list[Row]) -> list[Row]:
    """Fill the ratio columns from the reference rows of the same corpus."""
    by_corpus: dict[str, dict[str, Row]] = {}
    for row in rows:
        by_corpus.setdefault(row.corpus, {})[row.tool] = row

    def ratio(row: Row, reference: str) -> float | None:
        ref = by_corpus[row.corpus].get(reference)
        if row.wall is None or ref is None or not ref.wall:
            return None
        return row.wall / ref.wall

    for row in rows:
        row.vs_original = ratio(row, ORIGINAL)
        row.vs_cold = ratio(row, COLD)
        row.vs_stat = ratio(row, STAT)
        if row.expected is not None and row.flows is not None and row.flows != row.expected:
            row.notes.append(f"{row.flows - row.expected:+d} flows vs expected")
    return rows


COLUMNS = (
    "corpus",
    "tool",
    "files",
    "runs",
    "wall s",
    "files/s",
    "peak RSS MB",
    "tree PSS MB",
    "flows",
    "expected",
    "vs orig",
    "vs cold",
    "vs stat",
    "notes",
)


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}x" if value < 0.1 else f"{value:.2f}x"


def format_table(rows: Sequence[Row]) -> str:
    cells = [list(COLUMNS)]
    for row in rows:
        cells.append(
            [
                row.corpus,
                row.tool,
                f"{row.files:,}",
                str(row.runs),
                _num(row.wall, ".3f"),
                _num(row.files_per_second, ",.0f"),
                _num(row.maxrss_mb, ".0f"),
                _num(row.pss_mb, ".0f"),
                "-" if row.flows is None else f"{row.flows:,}",
                "-" if row.expected is None else f"{row.expected:,}",
                _ratio(row.vs_original),
                _ratio(row.vs_cold),
                _ratio(row.vs_stat),
                "; ".join(row.notes),
            ]
        )
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    left = {0, 1, len(COLUMNS) - 1}
    lines = []
    for n, line in enumerate(cells):
        text = "  ".join(
            cell.ljust(widths[i]) if i in left else cell.rjust(widths[i])
            for i, cell in enumerate(line)
        )
        lines.append(text.rstrip())
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=HERE.parent, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def busy_cpu_seconds() -> tuple[float, float] | None:
    """(CPU seconds the whole machine was busy, CPU seconds of this process and its children)
    so far; their deltas over a run tell how much other processes ran meanwhile."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(value) for value in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal ...: all but idle and iowait are busy.
    busy = sum(fields[:3]) + sum(fields[5:8])
    own = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy / os.sysconf("SC_CLK_TCK"), sum(r.ru_utime + r.ru_stime for r in own)


def background_load(before: tuple[float, float] | None, seconds: float) -> float | None:
    """The share of the machine's CPUs that other processes used since `before`."""
    after = busy_cpu_seconds()
    if before is None or after is None or seconds <= 0:
        return None
    others = (after[0] - before[0]) - (after[1] - before[1])
    return max(0.0, others) / (seconds * (os.cpu_count() or 1))


def source_fingerprint() -> str:
    """A digest of the project's `src/` Python files (to notice code changing mid-run)."""
    digest = hashlib.sha256()
    src = HERE.parent / "src"
    for path in sorted(src.rglob("*.py")):
        digest.update(path.relative_to(src).as_posix().encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def compiled_build(cache: Path) -> Path:
    """The working tree's wheel with the scanner compiled by mypyc (`hatch_build.py`, as a
    release builds it), unpacked under `cache` and byte-compiled: the folder to put on
    `PYTHONPATH`. Built once per source digest."""
    fingerprint = hashlib.sha256(
        (source_fingerprint() + (HERE.parent / "hatch_build.py").read_text()).encode()
    ).hexdigest()[:12]
    folder = cache / f"compiled-{fingerprint}"
    ok = folder / ".bench-ok"
    if ok.exists():
        return folder / "unpacked"
    shutil.rmtree(folder, ignore_errors=True)
    uv = _uv()
    env = {**_child_env(isolated=True), "ACME_SCAN_COMPILE": "1"}
    command = [uv, "build", "--wheel", "--python", sys.executable, "-o", str(folder)]
    done = subprocess.run(
        command, cwd=HERE.parent, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"`uv build` of the compiled wheel failed: {done.stderr[-2000:]}")
    (wheel,) = folder.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(folder / "unpacked")
    compileall.compile_dir(folder / "unpacked", quiet=1)
    version = subprocess.run(
        [sys.executable, "-m", "acme_scan", "--version"],
        env={**os.environ, "PYTHONPATH": str(folder / "unpacked")},
        capture_output=True,
        text=True,
        check=False,
    )
    if "compiled" not in version.stdout:
        raise RuntimeError(f"the built wheel's scanner is not compiled: {version.stdout!r}")
    ok.write_text(wheel.name, encoding="utf-8")
    return folder / "unpacked"


def machine_facts() -> dict[str, Any]:
    status = _git("status", "--porcelain", "--", "src")
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "kernel": f"{platform.system()} {platform.release()}",
        "acme_scan": _version("acme-portal-sdk"),
        "prefect": _version("prefect"),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "src_modified": None if status is None else bool(status),
        "src_fingerprint": source_fingerprint(),
        "load_average_before": os.getloadavg(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def format_facts(facts: dict[str, Any]) -> str:
    memory = facts["memory_gb"]
    src = {True: " (src/ has uncommitted changes)", False: "", None: ""}[facts["src_modified"]]
    return (
        f"machine: {facts['nproc']} CPUs ({facts['usable_cpus']} usable), {facts['cpu_model']}, "
        f"{'?' if memory is None else f'{memory:.0f}'} GB RAM, {facts['kernel']}\n"
        f"python {facts['python']}; acme-scan {facts['acme_scan']} at "
        f"{facts['git_commit']}{src}, src digest {facts['src_fingerprint']}, "
        f"{facts.get('build', 'source')} build;\n"
        f"prefect {facts['prefect']}; original: {ORIGINAL_SPEC}"
    )


LEGEND = (
    "wall: whole process (start-up, imports, work, exit), best of `runs` (memory: worst of "
    "them); files/s: the corpus's .py files (as acme-scan discovers them) / wall;\n"
    "peak RSS: largest single process of the tool (getrusage of a wrapper); tree PSS: summed "
    "PSS of the tool's processes (workers included), sampled every "
    f"{SAMPLE_INTERVAL * 1000:.0f} ms ('-' under 3 samples);\n"
    "ratios: wall / wall of the original SDK, of acme-scan cold, of the stat walk, on the same "
    "corpus; OS page cache warm throughout."
)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="only the 1k synthetic corpus, one run each"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="results file")
    parser.add_argument(
        "--runs", type=int, help="fixed repetitions per measurement (default: by duration)"
    )
    parser.add_argument("--no-original", action="store_true", help="skip the original SDK")
    parser.add_argument("--no-prefect", action="store_true", help="skip Prefect's search")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="corpora and venv")
    parser.add_argument(
        "--build",
        choices=("compiled", "source"),
        default="compiled",
        help="acme-scan as a wheel installs it, its scanner compiled by mypyc (default), or "
        "this working tree's Python source (the editable install)",
    )
    args = parser.parse_args(argv)
    runs: int | None = 1 if args.quick and args.runs is None else args.runs
    cache: Path = args.cache
    cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    cpu_before = busy_cpu_seconds()
    facts = machine_facts()
    acme_env: dict[str, str] | None = None
    if args.build == "compiled":
        acme_env = {**os.environ, "PYTHONPATH": str(compiled_build(cache))}
    facts["build"] = args.build
    print(format_facts(facts), flush=True)

    failures: list[str] = []
    original_python: Path | None = None
    if not args.no_original:
        try:
            original_python = ensure_original_venv(cache)
        except (RuntimeError, OSError) as exc:
            failures.append(f"{ORIGINAL}: could not set up its venv: {exc}")

    corpus_builders: list[Callable[[], Corpus]] = [lambda: synthetic_corpus(cache, 1000)]
    if not args.quick:
        corpus_builders = [
            lambda: synthetic_corpus(cache, 30),
            lambda: real_tree_corpus(cache),
            *corpus_builders,
            lambda: synthetic_corpus(cache, 10_000),
            lambda: large_corpus(cache, 80),
        ]

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="acme-scan-bench-") as tmp:
        work = Path(tmp)
        for build in corpus_builders:
            corpus = build()
            _child.read_all(str(corpus.root))  # warm the page cache, untimed
            print(f"... {corpus.label}: {corpus.files:,} files", file=sys.stderr, flush=True)
            corpus_rows = bench_acme_scan(corpus, work, runs, acme_env)
            if original_python is not None:
                corpus_rows += bench_original(corpus, work, runs, original_python)
            if not args.no_prefect:
                corpus_rows += bench_prefect(corpus, work, runs)
            corpus_rows += bench_floors(corpus, work, runs)
            for row in corpus_rows:
                row.expected = corpus.expected if row.tool not in (READ, STAT) else None
                if row.wall is None:
                    failures.append(f"{row.tool} on {row.corpus}: {'; '.join(row.notes)}")
            rows += corpus_rows
    add_ratios(rows)

    print()
    print(format_table(rows))
    print()
    print(LEGEND)
    for failure in failures:
        print(f"FAILED: {failure}")
    if source_fingerprint() != facts["src_fingerprint"]:
        failures.append("src/ changed during the run: the rows measured different code")
        print(f"WARNING: {failures[-1]}")
    elapsed = time.perf_counter() - started
    load = background_load(cpu_before, elapsed)
    facts["background_load"] = load
    facts["load_average_after"] = os.getloadavg()
    if load is not None:
        print(
            f"background: other processes used {load:.0%} of the machine's CPU time during "
            "the run" + (" -- NOISY, rerun on a quiet machine" if load > 0.05 else "")
        )
    print(f"total {elapsed:.0f}s; results: {args.json}")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": facts,
        "quick": args.quick,
        "seconds": elapsed,
        "rows": [{**asdict(row), "files_per_second": row.files_per_second} for row in rows],
        "failures": failures,
        "legend": LEGEND,
    }
    args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
