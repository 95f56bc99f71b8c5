"""The benchmark harness still runs: acme-scan and the floors on a tiny generated corpus.

No network and no original-SDK venv: those paths are exercised by the real benchmark run.
"""

from __future__ import annotations

import json
from pathlib import Path

from acme_scan.index.discovery import DEFAULT_EXCLUDED_DIRS, DEFAULT_EXCLUDED_TOP_DIRS, discover
from acme_scan.settings import load_settings
from benchmarks import _child, run


def test_floor_exclusions_follow_acme_scan() -> None:
    assert _child.EXCLUDED_DIRS == DEFAULT_EXCLUDED_DIRS
    assert _child.EXCLUDED_TOP_DIRS == DEFAULT_EXCLUDED_TOP_DIRS


def test_floors_see_the_files_acme_scan_scans(tmp_path: Path) -> None:
    root = tmp_path / "project"
    for rel in (
        "a.py",
        "pkg/b.py",
        "pkg/build/c.py",  # `build` is only excluded at the top
        "notes.txt",
        "build/x.py",
        ".hidden/x.py",
        "pkg/__pycache__/x.py",
        "node_modules/x.py",
        "env/pyvenv.cfg",
        "env/lib/x.py",
        "thing.egg-info/x.py",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x = 1\n", encoding="utf-8")
    expected = discover(root, load_settings(root))
    found = sorted(
        Path(path).relative_to(root).as_posix() for path in _child.python_files(str(root))
    )
    assert found == expected == ["a.py", "pkg/b.py", "pkg/build/c.py"]
    assert _child.stat_walk(str(root)) == {"files": 3}
    assert _child.read_all(str(root)) == {"files": 3, "bytes": 18}


def test_harness_smoke(tmp_path: Path) -> None:
    corpus = run.synthetic_corpus(tmp_path / "cache", 20)
    assert corpus.files == 20
    assert corpus.expected is not None
    assert corpus.expected > 0
    # A second call reuses the cached corpus.
    assert run.synthetic_corpus(tmp_path / "cache", 20).expected == corpus.expected
    work = tmp_path / "work"
    work.mkdir()

    rows = run.bench_acme_scan(corpus, work, runs=1) + run.bench_floors(corpus, work, runs=1)
    run.add_ratios(rows)

    assert [row.tool for row in rows] == [
        run.COLD,
        run.WARM,
        run.CHANGED,
        run.CHECK,
        run.PARSE,
        run.READ,
        run.STAT,
    ]
    for row in rows:
        assert row.wall is not None, row.notes
        assert row.wall > 0
        assert row.maxrss_mb is not None
        assert row.maxrss_mb > 0
        assert row.vs_stat is not None
        assert row.vs_cold is not None
    for row in rows[:3]:
        assert row.flows is not None
    assert rows[-1].vs_stat == 1.0
    assert not any("CHANGED" in note for note in rows[1].notes)
    assert "edited proj/pkg_000/mod_00000.py" in rows[2].notes
    assert "the edit is NOT in the index" not in rows[2].notes
    # The edited file is restored and the cache stays valid.
    assert not run._editing(corpus.root).exists()
    assert run._cached(corpus.root, json.loads(run._marker(corpus.root).read_text())["identity"])

    candidates = sum(
        b"prefect" in data and b"flow" in data.lower()
        for data in (path.read_bytes() for path in corpus.root.rglob("*.py"))
    )
    assert 0 < candidates < corpus.files
    assert rows[4].notes == [f"{candidates:,} candidate files"]

    table = run.format_table(rows)
    assert run.COLD in table
    assert table.splitlines()[0].startswith("corpus")


def test_large_corpus_modules_are_big_and_flow_dense(tmp_path: Path) -> None:
    from acme_scan.scanner import scan_source
    from benchmarks.generate import generate_large

    expected = generate_large(tmp_path, 3)
    paths = sorted((tmp_path / "pipelines").glob("*.py"))
    assert len(paths) == 3
    found = 0
    for path in paths:
        data = path.read_bytes()
        assert len(data) >= 20_000
        result = scan_source(data, path.name)
        assert result.diagnostics == ()
        found += len(result.flows)
    assert found == expected == 36


def test_measure_reports_failures_and_memory(tmp_path: Path) -> None:
    import sys

    allocate = "import time; x = bytearray(64 * 1024 * 1024); time.sleep(0.3)"
    sample = run.measure([sys.executable, "-c", allocate], tmp_path)
    assert sample.returncode == 0
    assert sample.maxrss_mb >= 64
    assert sample.pss_mb is not None
    assert sample.pss_mb >= 60
    failed = run.measure([sys.executable, "-c", "raise SystemExit('boom')"], tmp_path)
    assert failed.returncode == 1
    assert "boom" in failed.stderr_tail
    best = run.best_of(lambda memory: failed, runs=3)
    assert not best.ok
    assert best.runs == 1


def test_best_of_samples_memory_in_the_first_run_only_and_times_the_others() -> None:
    calls: list[bool] = []
    walls = iter([0.5, 0.9, 0.8])  # the sampled run is the fastest here: it is not taken

    def run_once(memory: bool) -> run.Sample:
        calls.append(memory)
        return run.Sample(
            wall=next(walls),
            maxrss_mb=10.0 + len(calls),
            pss_mb=20.0 if memory else None,
            returncode=0,
            stderr_tail="",
        )

    best = run.best_of(run_once, runs=3)
    assert calls == [True, False, False]
    assert best.sample.wall == 0.8
    assert best.pss_mb == 20.0
    assert best.maxrss_mb == 13.0
    single = run.best_of(lambda memory: run.Sample(1.0, 5.0, 7.0 if memory else None, 0, ""), 1)
    assert (single.sample.wall, single.pss_mb) == (1.0, 7.0)


def test_interleaved_scans_a_corpus_with_the_source_of_a_revision(tmp_path: Path) -> None:
    import sys

    from benchmarks import interleaved
    from benchmarks.generate import generate

    source = interleaved.extract_source("HEAD", tmp_path / "base")
    assert (source / "acme_scan" / "__init__.py").is_file()
    root = tmp_path / "corpus"
    expected = generate(root, 6)
    env = {**run._child_env(isolated=True), "PYTHONPATH": str(source)}
    index = tmp_path / "index.json"
    command = [sys.executable, "-m", "acme_scan", "scan", str(root), "--cold", "-q"]
    assert interleaved.timed([*command, "-o", str(index)], env, tmp_path) > 0
    assert len(json.loads(index.read_bytes())["flows"]) == expected
    corpus = run.Corpus("c", "tiny", root, 6, expected)
    line = interleaved.report(corpus, {"HEAD": [2.0, 1.0, 3.0], "original": [4.0, 4.0, 4.0]})
    assert line.split() == ["tiny", "HEAD", "2.000", "s", "(0.50x)", "original", "4.000", "s"]
