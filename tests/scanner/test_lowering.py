"""LibCST's tree lowered to `ast` is the tree CPython builds, and LibCST only sees what it must.

The contract of `scanner._lower`: `ast.dump(lower(cst), include_attributes=True)` equals
`ast.dump(ast.parse(src), include_attributes=True)` on every file both parse; for syntax newer
than this interpreter, it equals the newer interpreter's own dump (run in a subprocess).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import sysconfig
import textwrap
import warnings
from pathlib import Path

import libcst as cst
import pytest

from acme_scan.scanner import scan_source
from acme_scan.scanner._lower import lower
from tests.conftest import FIXTURES

ROOT = Path(__file__).parent.parent.parent
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
PYENV = Path.home() / ".pyenv" / "versions"


def _dump(tree: ast.AST) -> str:
    return ast.dump(tree, include_attributes=True)


def _both(path: Path) -> tuple[str, ast.Module, cst.Module] | None:
    """(text, CPython's tree, LibCST's tree) when both parse the file."""
    try:
        text = path.read_bytes().decode("utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
        module = cst.parse_module(text)
    except (UnicodeDecodeError, SyntaxError, ValueError, cst.ParserSyntaxError):
        return None
    return text, tree, module


def _check(paths: list[Path]) -> int:
    checked = 0
    for path in paths:
        parsed = _both(path)
        if parsed is None:
            continue
        text, tree, module = parsed
        assert _dump(lower(module, text)) == _dump(tree), path
        checked += 1
    return checked


def test_lowering_equals_cpython_on_every_fixture_and_our_own_source() -> None:
    paths = [
        *sorted(FIXTURES.rglob("*.py")),
        *sorted((ROOT / "examples").rglob("*.py")),
        *sorted((ROOT / "src" / "acme_scan" / "scanner").glob("*.py")),
        *sorted((ROOT / "benchmarks").glob("*.py")),
    ]
    assert _check(paths) > 20


def _sample(count: int) -> list[Path]:
    """Every k-th file under 12 KB of this venv's site-packages (deterministic), for time."""
    files = [path for path in sorted(SITE_PACKAGES.rglob("*.py")) if path.stat().st_size < 12_000]
    step = max(1, len(files) // count)
    return files[::step][:count]


def test_lowering_equals_cpython_on_site_packages_sample() -> None:
    # `python -m benchmarks.lowering` checks the whole of site-packages (figures in README).
    assert _check(_sample(120)) > 100


NEWER_SYNTAX = [
    "type Alias = int\ntype Pair[T] = tuple[T, T]\n",
    "class Box[T]:\n    def method[U](self, x: U) -> U:\n        return x\n",
    "def generic[T: (int, str), *Ts, **P](x: T, y: int = 1) -> T:\n    return x\n",
    'x = f"{"nested"}-quotes"\n',
    'y = f"a{b!r:>{width}}c" f"d{e=}"\n',
    'z = f"""multi\n{line\n + 1}\n"""\n',
    'w = f"{x:{y}.{z}f} é {ü}"\n',
    'v = f"{"a" "b"}" "plain" f"{c}"\n',
    "def g[T = int](): pass\n",
    "try:\n    pass\nexcept* ValueError as e:\n    pass\n",
]
_DUMP = textwrap.dedent(
    """
    import ast, json, sys, warnings
    warnings.simplefilter("ignore")
    extra = {"show_empty": True} if sys.version_info >= (3, 13) else {}
    out = []
    for source in json.load(sys.stdin):
        try:
            out.append(ast.dump(ast.parse(source), include_attributes=True, **extra))
        except SyntaxError:
            out.append(None)
    print(json.dumps(out))
    """
)


def _newer_dumps(python: Path, sources: list[str]) -> list[str | None]:
    result = subprocess.run(
        [str(python), "-I", "-c", _DUMP],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        check=True,
    )
    dumps: list[str | None] = json.loads(result.stdout)
    return dumps


def _interpreter(version: str) -> Path:
    matches = sorted(PYENV.glob(f"{version}.*/bin/python"))
    if not matches:
        pytest.skip(f"no Python {version} interpreter under {PYENV}")
    return matches[-1]


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_newer_syntax_lowers_to_the_newer_interpreters_tree(version: str) -> None:
    python = _interpreter(version)
    target = (3, int(version.split(".")[1]))
    compared = 0
    for source, expected in zip(NEWER_SYNTAX, _newer_dumps(python, NEWER_SYNTAX), strict=True):
        if expected is None:  # newer than that interpreter too (PEP 696 defaults on 3.12)
            continue
        assert _dump(lower(cst.parse_module(source), source, target)) == expected, source
        compared += 1
    assert compared >= len(NEWER_SYNTAX) - 1


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_site_packages_sample_lowers_to_the_newer_interpreters_tree(version: str) -> None:
    python = _interpreter(version)
    target = (3, int(version.split(".")[1]))
    texts: list[str] = []
    modules: list[cst.Module] = []
    for path in _sample(60):
        parsed = _both(path)
        if parsed is not None:
            texts.append(parsed[0])
            modules.append(parsed[2])
    compared = 0
    for text, module, expected in zip(texts, modules, _newer_dumps(python, texts), strict=True):
        if expected is not None:
            assert _dump(lower(module, text, target)) == expected
            compared += 1
    assert compared > 40


# -- what LibCST is never asked to parse -------------------------------------------------------

DEPTH_REJECTED = {
    "parentheses": "from prefect import flow\nx = " + "(" * 3000 + ")" * 3000 + "\n",
    "brackets": "from prefect import flow\nx = " + "[" * 3000 + "]" * 3000 + "\n",
    "indentation": "from prefect import flow\n"
    + "".join(" " * i + "if x:\n" for i in range(120))
    + " " * 120
    + "pass\n",
}


@pytest.mark.parametrize("source", DEPTH_REJECTED.values(), ids=DEPTH_REJECTED.keys())
def test_input_rejected_for_depth_is_as001_without_libcst(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(text: str) -> cst.Module:
        raise AssertionError("LibCST must not parse input CPython rejected for depth")

    monkeypatch.setattr(cst, "parse_module", refuse)
    with pytest.raises(SyntaxError) as rejected:
        compile(source, "m.py", "exec")
    result = scan_source(source.encode(), "m.py")
    assert result.status == "failed"
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "AS001"
    assert diagnostic.message == f"invalid syntax: {rejected.value.msg}"
    assert diagnostic.line == rejected.value.lineno


def _flow_named(name_expression: str, body: str = "") -> bytes:
    return (
        f"from prefect import flow\n{body}\n@flow(name={name_expression})\ndef f(): ...\n"
    ).encode()


def test_deep_but_valid_input_is_analysed() -> None:
    elifs = "if x == 0:\n    pass\n" + "".join(
        f"elif x == {i}:\n    pass\n" for i in range(1, 1000)
    )
    cases = {
        "elif chain": (_flow_named('"n"', elifs), "n"),
        "and chain": (_flow_named('"n"', "y = " + " and ".join(["a"] * 10_000)), "n"),
        "plus chain": (_flow_named(" + ".join(['"a"'] * 500)), "a" * 500),
        "attribute chain": (_flow_named('"n"', "y = a" + ".b" * 500), "n"),
        "call chain": (_flow_named('"n"', "y = f" + "()" * 500), "n"),
    }
    for label, (source, name) in cases.items():
        result = scan_source(source, "m.py")
        assert result.status == "parsed", (label, result.diagnostics)
        assert [flow.name for flow in result.flows] == [name], label


@pytest.mark.parametrize("chain", ['"a"' + ' + "a"' * 20_000, "a" + ".b" * 20_000])
def test_input_too_deep_for_pythons_ast_is_a_diagnostic(chain: str) -> None:
    result = scan_source(_flow_named('"n"', f"y = {chain}"), "m.py")
    assert result.status == "failed"
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "AS001"
    assert "RecursionError" in diagnostic.message


def test_flows_under_a_thousand_elifs_merge_like_branches() -> None:
    branches = "".join(
        f"{'if' if i == 0 else 'elif'} x == {i}:\n    @flow(name='b{i}')\n    def f(): ...\n"
        for i in range(1000)
    )
    result = scan_source(f"from prefect import flow\n{branches}".encode(), "m.py")
    assert result.status == "parsed"
    assert len(result.flows) == 1000
    assert {d.code for d in result.diagnostics} == {"AS108"}


def test_newer_syntax_scans_through_libcst_with_cpythons_positions() -> None:
    source = textwrap.dedent(
        """
        from prefect import flow
        type Alias = int

        @flow(name=f"{"é"}-x")
        def généric[T](x: T, y: Alias = 1) -> T:
            return x
        """
    ).encode()
    [found] = scan_source(source, "m.py").flows
    assert (found.name, found.function, found.line, found.column, found.decorator_line) == (
        "é-x",
        "généric",
        6,
        1,
        5,
    )
    assert [p.annotation for p in found.parameters] == ["T", "Alias"]
    if sys.version_info >= (3, 12):  # the same answer from CPython's own parser
        assert scan_source(source, "m.py").flows == (found,)


@pytest.mark.parametrize(
    "source",
    [
        "a[::]\na[1::]\na[:1:]\na[::2]\na[:]\na[ : : ]\na[1:]\na[(1):(2)]\na[x, 1:2, ...]\n",
        "x = ((a, b))\nf(x for x in y)\nf( (x for x in y) )\nz = 1, 2,\n(yield)\n",
        'w = "a" "b"\nu = u"x" "y"\nb = b"a" b"\\x00"\nv = f"{x!r:>10}" "t" f"{y=}"\n',
        "if a: pass\nelif b: pass\nelse:\n    pass\nx = a and b and (c or d) or e\n",
        "def f(a, /, b=1, *c: int, d, e=2, **g: (str)) -> None: ...\nlambda *, k=1: k\n",
        "match p:\n    case [1, *_, (2 | 3) as x] if x: pass\n    case {'k': v, **r}: pass\n"
        "    case C(1, k=D()): pass\n    case None | True: pass\n    case -1 | 1 + 2j: pass\n",
        "async def f():\n    async with a as (b, c):\n        async for d in e:\n"
        "            await g\n    return [x async for x in y]\n",
        "é = 'ü'; \uff46 = 1\nclass \uff2b(B, metaclass=M): x: int\n",
    ],
)
def test_lowering_equals_cpython_on_tricky_spellings(source: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _dump(ast.parse(source))
    assert _dump(lower(cst.parse_module(source), source)) == expected
