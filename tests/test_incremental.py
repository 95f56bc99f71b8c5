"""Incremental re-indexing equals a cold scan, whatever happens to the files in between."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from acme_scan import scan_project
from benchmarks.generate import TEMPLATES, generate

EDITS = [
    ("def ", "def renamed_"),
    ('name="', 'name="x-'),
    ("from prefect", "from metaflow"),
    ("@flow\n", "@flow\n@flow(name='also')\n"),
    ("return", "return ("),  # a syntax error
    ("pass", "pass  # a comment that changes nothing"),
]


def mutate(root: Path, rng: random.Random, step: int) -> None:
    files = sorted(root.rglob("*.py"))
    for _ in range(rng.randint(1, 6)):
        action = rng.choice(["edit", "create", "rename", "delete", "touch", "move-dir"])
        target = rng.choice(files) if files else None
        if target is None or not target.exists():
            action = "create"
        if action == "edit" and target is not None:
            old, new = rng.choice(EDITS)
            target.write_text(target.read_text().replace(old, new, 1))
        elif action == "create":
            template, _ = rng.choice(TEMPLATES)
            folder = root / "proj" / f"new_{rng.randint(0, 3)}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"created_{step}_{rng.randint(0, 10**6)}.py").write_text(
                template.format(i=10_000 + step)
            )
        elif action == "rename" and target is not None:
            target.rename(target.with_name(f"renamed_{step}_{target.name}"))
        elif action == "delete" and target is not None:
            target.unlink()
        elif action == "touch" and target is not None:
            os.utime(target)
        elif action == "move-dir" and target is not None:
            folder = target.parent
            if folder != root and folder.exists():
                folder.rename(folder.with_name(f"{folder.name}_moved_{step}"))
        files = sorted(root.rglob("*.py"))


@pytest.mark.parametrize("seed", range(5))
def test_incremental_equals_cold(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    generate(tmp_path, 40)
    scan_project(tmp_path)
    reused = 0
    for step in range(6):
        mutate(tmp_path, rng, step)
        incremental = scan_project(tmp_path)
        reused += incremental.stats.reused
        cold = scan_project(tmp_path, reuse=False, write=False)
        assert incremental.data == cold.data
        assert incremental.to_bytes() == (tmp_path / ".acme_scan" / "index.json").read_bytes()
    assert reused > 0


def test_unchanged_project_is_not_rewritten(tmp_path: Path) -> None:
    generate(tmp_path, 30)
    first = scan_project(tmp_path)
    index = tmp_path / ".acme_scan" / "index.json"
    before = index.stat().st_mtime_ns
    second = scan_project(tmp_path)
    assert first.written
    assert not second.written
    assert second.stats.reused == second.stats.files
    assert index.stat().st_mtime_ns == before
    assert second.data == first.data


def test_settings_change_invalidates_the_index(tmp_path: Path) -> None:
    generate(tmp_path, 14)
    first = scan_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.acme-scan]\nexclude = ["proj/pkg_000/mod_00001.py"]\n'
    )
    second = scan_project(tmp_path)
    assert second.stats.reused == 0
    assert len(second.data["files"]) == len(first.data["files"]) - 1


def test_warm_scan_loads_neither_parser_nor_models(tmp_path: Path) -> None:
    generate(tmp_path, 14)
    scan_project(tmp_path)
    code = (
        "import sys; from acme_scan.cli import main;"
        f"code = main(['scan', {str(tmp_path)!r}, '-q']);"
        "heavy = ('libcst', 'pydantic', 'acme_scan.models');"
        "loaded = sorted(m for m in heavy if m in sys.modules);"
        "print(loaded); sys.exit(code or (1 if loaded else 0))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
