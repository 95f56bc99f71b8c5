"""What one benchmark subprocess runs (standard library only).

`python benchmarks/_child.py KIND ROOT OUT` runs one tool over ROOT and writes a JSON result
to OUT (stdout and stderr belong to the tool). It imports nothing outside the standard library
at module level, so the same file runs in this project's venv (floors, Prefect's search) and,
with `python -I`, in the throwaway venv of the original `acme-portal-sdk==1.2.0`, which shares
our import name `acme_portal_sdk`.

KIND is one of:

- `stat`: the stat floor, a walk that `stat`s every `.py` file acme-scan would consider;
- `read`: the read floor, the same walk reading every such file's bytes;
- `parse`: the parse floor, `ast.parse` of every such file that mentions `prefect` and
  `flow` (the candidates a scanner must parse);
- `original`: `PrefectFlowFinder(root)()` of whichever `acme_portal_sdk` the interpreter has;
- `prefect`: `prefect.cli._prompts.search_for_flow_functions(root)`, the search
  `prefect deploy` runs (import time and call time are reported separately).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import json
import os
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any

#: The folder names acme-scan never descends into (mirrors `acme_scan.index.discovery`; a test
#: keeps the two in step). Hidden folders, `*.egg-info` and virtualenvs are excluded too.
EXCLUDED_DIRS = frozenset(
    {"__pycache__", "site-packages", "dist-packages", "node_modules", "venv", "__pypackages__"}
)
#: Excluded at the top of the root only.
EXCLUDED_TOP_DIRS = frozenset({"build", "dist"})


def _excluded(name: str, top: bool) -> bool:
    return (
        name.startswith(".")
        or name in EXCLUDED_DIRS
        or name.endswith(".egg-info")
        or (top and name in EXCLUDED_TOP_DIRS)
    )


def python_files(root: str) -> Iterator[str]:
    """Paths of the `.py` files under `root`, pruning the folders acme-scan always excludes
    (no `.gitignore` handling: the benchmark corpora have none)."""
    for folder, dirs, files in os.walk(root):
        top = folder == root
        if not top and "pyvenv.cfg" in files:
            dirs[:] = []
            continue
        dirs[:] = [name for name in dirs if not _excluded(name, top)]
        for name in files:
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def stat_walk(root: str) -> dict[str, Any]:
    """The floor of a warm scan: find every file and `stat` it."""
    files = 0
    for path in python_files(root):
        os.stat(path)
        files += 1
    return {"files": files}


def read_all(root: str) -> dict[str, Any]:
    """The floor of a cold scan's I/O: find every file and read all its bytes."""
    files = size = 0
    for path in python_files(root):
        with open(path, "rb") as handle:
            size += len(handle.read())
        files += 1
    return {"files": files, "bytes": size}


def parse_candidates(root: str) -> dict[str, Any]:
    """The floor of a cold scan's parsing: `ast.parse` of the files mentioning Prefect flows."""
    files = candidates = 0
    warnings.simplefilter("ignore")
    for path in python_files(root):
        files += 1
        with open(path, "rb") as handle:
            data = handle.read()
        if b"prefect" in data and (b"flow" in data or b"Flow" in data):
            candidates += 1
            with contextlib.suppress(SyntaxError, ValueError, RecursionError, MemoryError):
                ast.parse(data)
    return {"files": files, "candidates": candidates}


def run_original(root: str) -> dict[str, Any]:
    """`PrefectFlowFinder(root)()` of the installed `acme_portal_sdk` (meant: 1.2.0)."""
    module = importlib.import_module("acme_portal_sdk.prefect.flow_finder")
    started = time.perf_counter()
    flows = module.PrefectFlowFinder(root)()
    return {
        "flows": len(flows),
        "call_seconds": time.perf_counter() - started,
        "module_file": module.__file__,
    }


def run_prefect(root: str) -> dict[str, Any]:
    """Prefect's own static search, as `prefect deploy` runs it."""
    started = time.perf_counter()
    module = importlib.import_module("prefect.cli._prompts")
    imported = time.perf_counter()
    flows = asyncio.run(module.search_for_flow_functions(root))
    done = time.perf_counter()
    return {
        "flows": len(flows),
        "import_seconds": imported - started,
        "call_seconds": done - imported,
    }


KINDS = {
    "stat": stat_walk,
    "read": read_all,
    "parse": parse_candidates,
    "original": run_original,
    "prefect": run_prefect,
}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in KINDS:
        print(f"usage: _child.py {{{','.join(KINDS)}}} ROOT OUT", file=sys.stderr)
        return 2
    kind, root, out = argv
    result = KINDS[kind](root)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
