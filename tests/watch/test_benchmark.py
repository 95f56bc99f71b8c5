"""The watch latency benchmark still runs (tiny: its figures come from the real run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import watch_latency


def test_watch_latency_benchmark_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    args = ["--files", "30", "--saves", "3", "--idle", "0.2", "--root", str(tmp_path / "p")]
    assert watch_latency.main([*args, "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["saves"] == 3
    assert results["latency_ms"]["p50"] <= results["latency_ms"]["p95"]
    assert results["idle_cpu_seconds"] >= 0
    assert "save -> index updated" in capsys.readouterr().out


def test_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert watch_latency.percentile(values, 50) == 50
    assert watch_latency.percentile(values, 95) == 95
    assert watch_latency.percentile([3.0], 95) == 3.0
