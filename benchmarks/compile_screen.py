"""How many modules the compile screen clears, and what it costs next to `compile()`.

    uv run python -m benchmarks.compile_screen [ROOT ...] [--runs 5]

Default roots: the corpora `benchmarks.run` caches under `$TMPDIR/acme-scan-bench/` (the
synthetic 1k and 10k projects, the large pipeline modules and the copy of site-packages);
they are only read. For each root, two populations:

- *candidates*: the modules `scan_data` would compile, i.e. parsed by CPython with flows or
  diagnostics (recorded by wrapping the screen as `core` calls it);
- *all parsed*: every `.py` file `ast.parse` accepts (site-packages has no flows, so this is
  the real-code population there).

For each it prints the fraction the screen clears, and the in-process CPU time of the
screen and of `compile(tree)` over the whole population (best of `--runs`, the two
alternating, gc disabled); then the same for `scan_data` over the corpus with the screen
and with `compile()` for every module with findings (as before the screen). It also
compiles every cleared module: a cleared module that `compile()` refuses is a screen bug and
makes the exit status 1.
"""

from __future__ import annotations

import argparse
import ast
import gc
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from acme_scan.scanner import _compile_screen, core

_CACHE = Path(tempfile.gettempdir()) / "acme-scan-bench"
_DEFAULT = ("synthetic-1000", "synthetic-10000", "large-80", "realtree-py*")

Module = tuple[ast.Module, str]


def _sources(root: Path) -> list[tuple[str, bytes]]:
    found = []
    for folder, folders, files in os.walk(root):
        folders.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = Path(folder) / name
                try:
                    found.append((str(path.relative_to(root)), path.read_bytes()))
                except OSError:
                    continue
    return found


def _candidates(sources: list[tuple[str, bytes]]) -> list[Module]:
    """The (tree, text) pairs `core` screens: every module with findings."""
    seen: list[Module] = []
    screen = _compile_screen.certainly_compiles
    namespace = vars(core)  # `core` calls the screen by the name it imported

    def recording(tree: ast.Module, text: str) -> bool:
        seen.append((tree, text))
        return screen(tree, text)

    namespace["certainly_compiles"] = recording
    try:
        for path, source in sources:
            core.scan_data(source, path)
    finally:
        namespace["certainly_compiles"] = screen
    return seen


def _parsed(sources: list[tuple[str, bytes]]) -> list[Module]:
    modules = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _, source in sources:
            try:
                text = source.decode("utf-8")
                modules.append((ast.parse(text), text))
            except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
                continue
    return modules


def _best_of_each(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Best CPU times of `first` and `second`, run alternately (a busy machine disturbs both
    alike; CPU time leaves out the time other processes hold the core)."""
    best = [float("inf"), float("inf")]
    gc.disable()
    try:
        for _ in range(runs):
            for index, work in enumerate((first, second)):
                start = time.process_time()
                work()
                best[index] = min(best[index], time.process_time() - start)
    finally:
        gc.enable()
    return best[0], best[1]


def _compiles(tree: ast.Module) -> bool:
    try:
        compile(tree, "<module>", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    except (ValueError, TypeError, RecursionError, MemoryError):
        return True  # not a SyntaxError: the scanner does not report it either
    return True


def _measure(label: str, modules: list[Module], runs: int) -> int:
    if not modules:
        print(f"  {label:<12}      0 modules")
        return 0
    screen = _compile_screen.certainly_compiles
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cleared = [tree for tree, text in modules if screen(tree, text)]
        wrong = sum(1 for tree in cleared if not _compiles(tree))
        refused = sum(1 for tree, _ in modules if not _compiles(tree))
        screen_s, compile_s = _best_of_each(
            lambda: [screen(tree, text) for tree, text in modules],
            lambda: [_compiles(tree) for tree, _ in modules],
            runs,
        )
    share = len(cleared) / len(modules) if modules else 0.0
    ratio = screen_s / compile_s if compile_s else 0.0
    print(
        f"  {label:<12} {len(modules):>6} modules  cleared {share:6.1%}  "
        f"screen {screen_s * 1000:8.1f} ms  compile {compile_s * 1000:8.1f} ms  "
        f"screen/compile {ratio:5.2f}  refused by compile {refused}  WRONGLY CLEARED {wrong}"
    )
    return wrong


def _scan_effect(sources: list[tuple[str, bytes]], runs: int) -> None:
    """`scan_data` over the whole corpus, with the screen and with `compile()` always."""
    namespace = vars(core)
    screen = _compile_screen.certainly_compiles

    def scan() -> None:
        for path, source in sources:
            core.scan_data(source, path)

    def scan_compiling() -> None:
        namespace["certainly_compiles"] = lambda tree, text: False
        try:
            scan()
        finally:
            namespace["certainly_compiles"] = screen

    with_screen, without = _best_of_each(scan, scan_compiling, runs)
    print(
        f"  scan_data    with the screen {with_screen * 1000:8.1f} ms  "
        f"compile() always {without * 1000:8.1f} ms  ratio {with_screen / without:5.2f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    roots: list[Path] = list(args.roots) or [
        root for pattern in _DEFAULT for root in sorted(_CACHE.glob(pattern)) if root.is_dir()
    ]
    if not roots:
        print(f"no corpus under {_CACHE}: run `python -m benchmarks.run` first", file=sys.stderr)
        return 2
    print(f"Python {sys.version.split()[0]}; best of {args.runs}, gc disabled")
    wrong = 0
    for root in roots:
        sources = _sources(root)
        print(f"{root.name}: {len(sources)} files")
        wrong += _measure("candidates", _candidates(sources), args.runs)
        wrong += _measure("all parsed", _parsed(sources), args.runs)
        _scan_effect(sources, args.runs)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
