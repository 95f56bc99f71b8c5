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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args(argv)
    print(generate(args.root, args.files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
