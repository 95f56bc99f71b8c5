"""The LibCST lowering checked on a whole tree, and what each parser costs per file.

    uv run python -m benchmarks.lowering [ROOT ...] [--target 3.12]

For every `.py` file under ROOT (default: this venv's site-packages) that both CPython and
LibCST parse, `ast.dump(lower(libcst tree), include_attributes=True)` must equal
`ast.dump(ast.parse(src), include_attributes=True)`. With `--target 3.12` (or 3.13) the
lowering is compared with that interpreter's own dump, run in a subprocess. Prints the
counts, the first differences, and the mean per-file cost of `ast.parse`, of
`libcst.parse_module` and of the lowering (positions included). Exit 1 on any difference.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import sysconfig
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import libcst as cst

from acme_scan.scanner._lower import lower

_DUMP = (
    "import ast, json, sys, warnings\n"
    "warnings.simplefilter('ignore')\n"
    "extra = {'show_empty': True} if sys.version_info >= (3, 13) else {}\n"
    "out = []\n"
    "for path in json.load(sys.stdin):\n"
    "    try:\n"
    "        source = open(path, encoding='utf-8').read()\n"
    "        out.append(ast.dump(ast.parse(source), include_attributes=True, **extra))\n"
    "    except Exception:\n"
    "        out.append(None)\n"
    "print(json.dumps(out))\n"
)


def _newer_dumps(version: str, paths: list[Path]) -> list[str | None]:
    pythons = sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python"))
    if not pythons:
        raise SystemExit(f"no Python {version} under ~/.pyenv/versions")
    result = subprocess.run(
        [str(pythons[-1]), "-I", "-c", _DUMP],
        input=json.dumps([str(path) for path in paths]),
        capture_output=True,
        text=True,
        check=True,
    )
    dumps: list[str | None] = json.loads(result.stdout)
    return dumps


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("roots", nargs="*", type=Path)
    parser.add_argument("--target", help="compare with this Python's ast (e.g. 3.12)")
    args = parser.parse_args(argv)
    roots = args.roots or [Path(sysconfig.get_paths()["purelib"])]
    paths = sorted(path for root in roots for path in root.rglob("*.py") if path.is_file())
    warnings.simplefilter("ignore")
    target = None
    expected: list[str | None] = []
    if args.target:
        major, minor = (int(part) for part in args.target.split("."))
        target = (major, minor)
        expected = _newer_dumps(args.target, paths)
    equal = different = neither = 0
    cpython_s = libcst_s = lower_s = 0.0
    timed = 0
    for index, path in enumerate(paths):
        try:
            text = path.read_bytes().decode("utf-8")
            started = time.perf_counter()
            tree = ast.parse(text)
            parsed = time.perf_counter()
            module = cst.parse_module(text)
            cst_parsed = time.perf_counter()
        except (UnicodeDecodeError, SyntaxError, ValueError, cst.ParserSyntaxError):
            neither += 1
            continue
        lowered = lower(module, text, target)
        done = time.perf_counter()
        timed += 1
        cpython_s += parsed - started
        libcst_s += cst_parsed - parsed
        lower_s += done - cst_parsed
        reference = expected[index] if target else ast.dump(tree, include_attributes=True)
        if reference is None:
            neither += 1
            continue
        if ast.dump(lowered, include_attributes=True) == reference:
            equal += 1
        else:
            different += 1
            if different <= 10:
                print(f"DIFFERENT: {path}")
    against = f"Python {args.target}" if target else f"this Python {sys.version.split()[0]}"
    print(
        f"{equal:,} files equal, {different:,} different, {neither:,} not parsed by both "
        f"(lowering compared with {against}'s ast)"
    )
    if timed:
        print(
            f"per file: ast.parse {cpython_s / timed * 1000:.2f} ms, libcst.parse_module "
            f"{libcst_s / timed * 1000:.2f} ms ({libcst_s / cpython_s:.1f}x), lowering "
            f"{lower_s / timed * 1000:.2f} ms, over {timed:,} files"
        )
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
