"""A deterministic, flow-dense synthetic project using every spelling Prefect accepts.

`generate(root, files)` writes `files` modules under `root/proj/` (plus some that are not
flows at all) and returns the number of flows a correct scanner must find. The same
arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Each template: (source, number of Prefect flows it defines). `{i}` makes names unique.
TEMPLATES: list[tuple[str, int]] = [
    (
        '''"""Module {i}: bare decorator."""
from prefect import flow, task


@task
def extract_{i}(n: int) -> list[int]:
    return list(range(n))


@flow
def pipeline_{i}(n: int = 10, label: str = "run") -> int:
    """Run pipeline {i}.

    Args:
        n: how many items
        label: a label
    """
    return sum(extract_{i}(n))
''',
        1,
    ),
    (
        '''"""Module {i}: called decorator with arguments, async."""
from prefect import flow

RETRIES = 3


@flow(name="ingest-{i}", retries=RETRIES, log_prints=True)
async def ingest_{i}(source: str, limit: int | None = None) -> None:
    """Ingest from a source."""


@flow(description="Second flow of module {i}")
def second_{i}(values: list[float], *, dry_run: bool = False) -> float:
    return sum(values)
''',
        2,
    ),
    (
        '''"""Module {i}: the module attribute spelling."""
import prefect


@prefect.flow
def report_{i}(month: int, year: int = 2026) -> str:
    return f"{{year}}-{{month}}"


@prefect.flows.flow(name="archive-{i}")
def archive_{i}() -> None:
    pass
''',
        2,
    ),
    (
        '''"""Module {i}: aliases."""
import prefect as pf
from prefect import flow as prefect_flow


@pf.flow
def alias_one_{i}(x: dict[str, int]) -> None:
    pass


@prefect_flow()
async def alias_two_{i}(y: float = 1.5) -> None:
    pass
''',
        2,
    ),
    (
        '''"""Module {i}: methods and call forms."""
from prefect.flows import flow


class Jobs{i}:
    @flow
    @staticmethod
    def nightly(day: str) -> None:
        pass

    @classmethod
    @flow(name="weekly-{i}")
    def weekly(cls, week: int) -> None:
        pass


def _compute_{i}(a: int, b: int = 2) -> int:
    """Add two numbers."""
    return a + b


compute_{i} = flow(_compute_{i}, name="compute-{i}")
compute_fast_{i} = compute_{i}.with_options(name="compute-fast-{i}", retries=0)
''',
        4,
    ),
    (
        '''"""Module {i}: not Prefect at all, though it says @flow.

Example::

    @flow
    def documented(): ...
"""
from metaflow import FlowSpec, step


class Training{i}(FlowSpec):
    @step
    def start(self) -> None:
        self.next(self.end)

    @step
    def end(self) -> None:
        pass
''',
        0,
    ),
    (
        '''"""Module {i}: plain helpers, no flows."""
import json


def load_{i}(path: str) -> dict[str, object]:
    with open(path) as handle:
        return dict(json.load(handle))


def save_{i}(path: str, data: dict[str, object]) -> None:
    with open(path, "w") as handle:
        json.dump(data, handle)
''',
        0,
    ),
]


def generate(root: Path, files: int) -> int:
    """Write `files` modules under `root/proj`; return the number of flows defined."""
    expected = 0
    for i in range(files):
        template, flows = TEMPLATES[i % len(TEMPLATES)]
        package = root / "proj" / f"pkg_{i // 100:03d}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"mod_{i:05d}.py").write_text(template.format(i=i), encoding="utf-8")
        expected += flows
    return expected


# -- large pipeline modules -------------------------------------------------------------------
# Real pipeline repositories keep many flows per module among helpers, tasks and classes.

_LARGE_HEADER = '''"""Pipelines of domain {i}: extraction, cleaning, loading and reporting."""

from __future__ import annotations

import datetime
import enum
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

from prefect import flow, task
from prefect.tasks import task_input_hash

logger = logging.getLogger(__name__)

DOMAIN = "domain-{i}"
RETRIES = 2
DEFAULT_PATH = Path("/data/domain-{i}")


class Stage(enum.Enum):
    RAW = "raw"
    CLEAN = "clean"
    REPORT = "report"


@dataclass
class Batch:
    """A batch of records of domain {i}."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    stage: Stage = Stage.RAW

    def size(self) -> int:
        return len(self.rows)

    def clean(self) -> Batch:
        rows = [row for row in self.rows if row.get("ok", True)]
        return Batch(self.name, rows, Stage.CLEAN)


class Loader:
    """Loads batches into the warehouse."""

    def __init__(self, target: str, chunk: int = 500) -> None:
        self.target = target
        self.chunk = chunk

    def load(self, batch: Batch) -> int:
        loaded = 0
        for start in range(0, batch.size(), self.chunk):
            loaded += len(batch.rows[start : start + self.chunk])
        logger.info("loaded %s rows into %s", loaded, self.target)
        return loaded

'''

_LARGE_HELPER = '''
def helper_{i}_{k}(values: list[int], factor: float = {k}.5) -> list[float]:
    """Scale and filter values ({k})."""
    result = []
    for value in values:
        if value % {m} == 0:
            continue
        scaled = value * factor
        if scaled > 1000:
            scaled = 1000.0
        result.append(round(scaled, 2))
    return result

'''

_LARGE_TASK = '''
@task(retries=RETRIES, cache_key_fn=task_input_hash)
def step_{i}_{k}(batch: Batch, limit: int = {k}0) -> Batch:
    """Task {k} of domain {i}."""
    rows = batch.rows[:limit]
    return Batch(batch.name, rows, batch.stage)

'''

_LARGE_FLOWS = [
    (
        '''
@flow(name="extract-{i}-{k}", retries=RETRIES, log_prints=True)
def extract_{i}_{k}(source: str, day: datetime.date, limit: int = 100) -> Batch:
    """Extract records of one day.

    Args:
        source: where the records come from
        day: the day to extract
        limit: at most this many records
    """
    batch = Batch(f"{{source}}-{{day}}", [{{"id": n}} for n in range(limit)])
    return step_{i}_{k}(batch, limit)

''',
        1,
    ),
    (
        """
@flow(description="Clean batch {k} of " + DOMAIN)
async def clean_{i}_{k}(names: list[str], stage: Stage = Stage.CLEAN, strict: bool = False) -> int:
    total = 0
    for name in names:
        total += Batch(name).clean().size()
    return total

""",
        1,
    ),
    (
        '''
@flow
def load_{i}_{k}(
    target: str = "warehouse",
    chunk: Optional[int] = None,
    mode: Literal["append", "replace"] = "append",
) -> int:
    """Load into the warehouse."""
    loader = Loader(target, chunk or 500)
    return loader.load(Batch("load-{k}"))

''',
        1,
    ),
    (
        '''
def _report_{i}_{k}(
    kind: str, recipients: tuple[str, ...] = ("ops",), **options: Any
) -> dict[str, Any]:
    """Build the report {k}."""
    return {{"kind": kind, "recipients": list(recipients), **options}}


report_{i}_{k} = flow(_report_{i}_{k}, name="report-{i}-{k}", timeout_seconds=600)
weekly_{i}_{k} = report_{i}_{k}.with_options(name="weekly-{i}-{k}", retries=1)

''',
        2,
    ),
]


def large_module(i: int) -> tuple[str, int]:
    """One ~20 KB pipeline module: helpers, tasks, classes and 10+ flows."""
    parts = [_LARGE_HEADER.format(i=i)]
    flows = 0
    k = 0
    while flows < 12:
        parts.append(_LARGE_HELPER.format(i=i, k=k, m=k % 5 + 2))
        parts.append(_LARGE_TASK.format(i=i, k=k))
        template, count = _LARGE_FLOWS[k % len(_LARGE_FLOWS)]
        parts.append(template.format(i=i, k=k))
        flows += count
        k += 1
    while sum(len(part) for part in parts) < 20_000:
        parts.append(_LARGE_HELPER.format(i=i, k=k, m=k % 5 + 2))
        k += 1
    return "".join(parts), flows


def generate_large(root: Path, files: int) -> int:
    """Write `files` large pipeline modules under `root/pipelines`; return the flow count."""
    expected = 0
    package = root / "pipelines"
    package.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        source, flows = large_module(i)
        (package / f"domain_{i:03d}.py").write_text(source, encoding="utf-8")
        expected += flows
    return expected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args(argv)
    print(generate(args.root, args.files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
