"""The invariants of ARCHITECTURE.md that the source itself shows, read statically.

Every `import` statement of every module counts: at the top, under `if TYPE_CHECKING:` (a
type-only import is still a dependency: it is the design that must be one-way) and inside
functions (a deferred import only postpones a dependency, it does not remove it).
"""

from __future__ import annotations

import ast
from collections.abc import Container, Iterator, Mapping
from pathlib import Path

import pytest

from acme_scan._compat import tomllib

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGES = ("acme_scan", "acme_portal_sdk")


def module_files(src: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of `package` under `src`."""
    modules: dict[str, Path] = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_modules(module: str, path: Path, modules: Container[str]) -> Iterator[str]:
    """The modules of `modules` that the import statements of `module` name (relative
    imports resolved): `from X import Y` is an edge to the module `X.Y` if there is one,
    else to `X` (a name of its `__init__`); importing a submodule is no edge to its parents."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    yield f"{base}.{alias.name}"
                elif base in modules:
                    yield base


def import_graph(src: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of `packages` it imports."""
    modules: dict[str, Path] = {}
    for package in packages:
        modules.update(module_files(src, package))
    return {
        module: set(imported_modules(module, path, modules)) - {module}
        for module, path in modules.items()
    }


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def test_no_import_cycles() -> None:
    assert cycles(import_graph(SRC, PACKAGES)) == []


def test_the_cycle_finder_finds_cycles(tmp_path: Path) -> None:
    """Guard: the walk above sees top-level, TYPE_CHECKING, deferred and relative imports."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from pkg import c\n")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.b\n"
    )
    (package / "b.py").write_text("def f():\n    from . import a\n")
    (package / "c.py").write_text("from .sub import d\n")
    (package / "sub" / "d.py").write_text("from ..c import X\n")
    (package / "e.py").write_text("from pkg import a\n")
    assert cycles(import_graph(tmp_path, ("pkg",))) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.sub.d"]]


#: What each layer of `acme_scan` may import of the others (its `__init__` docstring says so):
#: the data flows one way, files -> scanner -> index -> consumers (watch, check, cli).
#: The top-level modules (vocabulary and leaf utilities) may import each other.
LAYERS = {
    "acme_scan.scanner": {"acme_scan.scanner", "top"},
    "acme_scan.index": {"acme_scan.index", "acme_scan.scanner", "top"},
    "acme_scan.watch": {"acme_scan.watch", "acme_scan.index", "acme_scan.scanner", "top"},
    "acme_scan.check": {"acme_scan.check", "acme_scan.index", "acme_scan.scanner", "top"},
    "acme_scan.cli": {
        "acme_scan.cli",
        "acme_scan.check",
        "acme_scan.watch",
        "acme_scan.index",
        "acme_scan.scanner",
        "top",
    },
}


def layer(module: str) -> str:
    if module == "acme_scan.__main__":
        return "acme_scan.cli"
    for name in LAYERS:
        if module == name or module.startswith(f"{name}."):
            return name
    return "top" if module.startswith("acme_scan.") else module.partition(".")[0]


def test_acme_scan_imports_one_way() -> None:
    """No layer imports one above it, and nothing of acme_scan imports the SDK. The package
    itself (`acme_scan/__init__`) is left out: its lazy public API names any layer."""
    wrong = [
        f"{module} -> {target}"
        for module, edges in import_graph(SRC, PACKAGES).items()
        if module.startswith("acme_scan.")
        for target in sorted(edges)
        if layer(target) not in LAYERS.get(layer(module), {"top"})
    ]
    assert wrong == []


def script_modules() -> set[str]:
    """The modules the console scripts of pyproject.toml run (`aps`, `acme-scan`, ...)."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    return {target.partition(":")[0] for target in scripts.values()}


def is_cli(module: str) -> bool:
    return (
        module in script_modules()
        or module.endswith(".__main__")
        or ".cli." in f"{module}."  # the `cli` packages
    )


def output_calls(path: Path) -> Iterator[str]:
    """`print(...)`, `input(...)` and every use of `sys.stdout` / `sys.stderr` in a file."""
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("print", "input", "breakpoint", "pprint")
        ):
            yield f"line {node.lineno}: {node.func.id}()"
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
            and node.attr in ("stdout", "stderr", "__stdout__", "__stderr__")
        ):
            yield f"line {node.lineno}: sys.{node.attr}"
        elif isinstance(node, ast.Attribute) and node.attr in ("print_exc", "print_exception"):
            yield f"line {node.lineno}: {node.attr}()"


def test_only_the_cli_prints() -> None:
    """Library code logs (`acme_scan._log.get(__name__)`); only the CLI modules write to the
    terminal (`cli` packages, `__main__` and the modules of the console scripts)."""
    found = [
        f"{module}: {line}"
        for package in PACKAGES
        for module, path in module_files(SRC, package).items()
        if not is_cli(module)
        for line in output_calls(path)
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "print('x')\n",
        "import sys\nsys.stderr.write('x')\n",
        "import traceback\ntraceback.print_exc()\n",
    ],
)
def test_the_print_finder_finds_prints(tmp_path: Path, source: str) -> None:
    """Guard: the walk above sees each way of writing to the terminal."""
    (tmp_path / "example.py").write_text(source)
    assert len(list(output_calls(tmp_path / "example.py"))) == 1
    assert not is_cli("acme_scan.index.example")
    assert is_cli("acme_scan.cli.example")


def test_each_invariant_of_architecture_md_names_tests_that_exist() -> None:
    """ARCHITECTURE.md's invariants table: every row names a test, and every test it names
    (`tests/x.py::test_y`, or `::test_y` / `test_y` for the file named before) exists."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rows = [
        line for line in text[text.index("## Invariants") :].splitlines() if line.startswith("| ")
    ][1:]  # the header row
    assert rows
    missing = []
    for row in rows:
        named = [cell for cell in row.split("`") if "test_" in cell and " " not in cell]
        assert named, row
        current = ""
        for name in named:
            file, _, test = name.rpartition("::") if "::" in name else ("", "", name)
            current = file or current
            path = ROOT / current
            defined = path.is_file() and any(
                isinstance(node, ast.FunctionDef) and node.name == test
                for node in ast.walk(ast.parse(path.read_bytes()))
            )
            if not defined:
                missing.append(f"{current}::{test}")
    assert missing == []
