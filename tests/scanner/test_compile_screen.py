"""The compile screen never clears a module `compile()` rejects (the oracle is CPython itself).

`certainly_compiles(tree, text)` may say False ("unsure") needlessly, never True for a tree
that `compile()` refuses. `COMPILE_ERRORS` lists every compile-time error of Python 3.10 to
3.13 on trees `ast.parse` accepts, with snippets of several placements each; they are checked
under this interpreter and, in subprocesses, under every other one of 3.10-3.13 found under
pyenv. A fuzz test mutates real modules (the test fixtures and a sample of site-packages) at
the statement and the token level and checks the same implication on every mutant.
"""

from __future__ import annotations

import ast
import json
import os
import random
import re
import subprocess
import sys
import sysconfig
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest

from acme_scan.scanner import _compile_screen as screen_module
from acme_scan.scanner import scan_source
from acme_scan.scanner._compile_screen import certainly_compiles

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# The source (also where the scanner is compiled: other interpreters run the source).
SCREEN_FILE = Path(screen_module.__file__).with_name("_compile_screen.py")


def _nested(opening: str, levels: int, indent: str = "", inner: str = "pass") -> str:
    lines = [f"{indent}{'    ' * i}{opening}" for i in range(levels)]
    return "\n".join([*lines, f"{indent}{'    ' * levels}{inner}"])


def _nested_try(levels: int) -> str:
    lines = ["def f():"]
    for i in range(levels):
        pad = "    " * (i + 1)
        lines += [f"{pad}try:", f"{pad}    pass", f"{pad}except E as e:"]
    lines.append("    " * (levels + 1) + "pass")
    for i in reversed(range(levels)):
        lines.append("    " * (i + 1) + "finally:\n" + "    " * (i + 2) + "pass")
    return "\n".join(lines)


#: Every compile-time error on a tree `ast.parse` accepts (Python 3.10-3.13), by CPython's
#: message; each snippet is rejected by `compile()` under at least one of those versions
#: (some parse only on newer ones: `except*` from 3.11, type parameters from 3.12).
COMPILE_ERRORS: dict[str, list[str]] = {
    "'return' outside function": [
        "return",
        "return 1",
        "if x:\n    return",
        "class C:\n    return",
        "def f():\n    class C:\n        return 1",
        "for x in y:\n    return",
        "try:\n    pass\nfinally:\n    return",
        "with x:\n    return",
        "while x:\n    pass\nelse:\n    return",
    ],
    "'break' outside loop / 'continue' not properly in loop": [
        "break",
        "continue",
        "if x:\n    break",
        "for x in y:\n    pass\nelse:\n    break",
        "while x:\n    pass\nelse:\n    continue",
        "for x in y:\n    def f():\n        break",
        "for x in y:\n    class C:\n        continue",
        "def f():\n    try:\n        break\n    except E:\n        pass",
        "with x:\n    continue",
        "for x in y:\n    for z in w:\n        pass\n    else:\n        pass\nelse:\n    break",
        "try:\n    pass\nfinally:\n    break",
        "async def f():\n    async for x in y:\n        pass\n    else:\n        break",
    ],
    "'yield' outside function / inside comprehension": [
        "yield",
        "x = yield 1",
        "class C:\n    x = yield",
        "def f(x=(yield)): pass",
        "@(yield)\ndef f(): pass",
        "class C((yield)): pass",
        "x: (yield)",
        "def f():\n    [(yield x) for x in y]",
        "def f():\n    ((yield x) for x in y)",
        "def f():\n    {(yield x) for x in y}",
        "def f():\n    {x: (yield) for x in y}",
        "lambda: ((yield) for x in y)",
        "f'{(yield)}'",
        "def f():\n    class C:\n        yield",
        "yield from x",
        "async def f():\n    yield from x",
        "async def f():\n    yield 1\n    return 2",
        "async def f():\n    return 2\n    yield",
        "from __future__ import annotations\ndef g():\n    def f(x: (yield)): pass",
    ],
    "'await' outside (async) function / async comprehension": [
        "await x",
        "def f():\n    await x",
        "async def f():\n    lambda: await x",
        "async def f():\n    class C:\n        x = await y",
        "def f():\n    [await x for x in y]",
        "async def f(x=await y): pass",
        "@(await x)\ndef f(): pass",
        "f'{await x}'",
        "def f():\n    [x for x in await y]",
        "async def f():\n    def g():\n        [await x for x in y]",
        "from __future__ import annotations\nasync def g():\n    async def f(x: await y): pass",
        "[x async for x in y]",
        "def f():\n    [x async for x in y]",
        "def f():\n    {x async for x in y}",
        "async def f():\n    lambda: [x async for x in y]",
        "async def f():\n    [[x async for x in y] for z in w]",
        "def f():\n    [x async\\\n for x in y]",
        "def f():\n    [x async  # comment\n for x in y]",
    ],
    "'async for' / 'async with' outside async function": [
        "async for x in y: pass",
        "async with x: pass",
        "def f():\n    async for x in y: pass",
        "def f():\n    async with x: pass",
        "async def f():\n    class C:\n        async with x: pass",
        "async def f():\n    def g():\n        async for x in y: pass",
    ],
    "duplicate argument": [
        "def f(a, a): pass",
        "def f(a, *, a): pass",
        "def f(a, *a): pass",
        "def f(a, **a): pass",
        "def f(a, /, a): pass",
        "def f(*, a, a): pass",
        "def f(a=1, a=2): pass",
        "def f(a: int, a: str): pass",
        "async def f(a, a): pass",
        "class C:\n    def m(self, self): pass",
        "def f(a, \uff41): pass",
        "lambda a, a: 0",
        "lambda a, *a: 0",
        "lambda a=1, **a: 0",
        "lambda a, /, *, a: 0",
        "lambda a=lambda b, b: 0: a",
        "lambda a=lambda: 0, a=1: a",
        "lambda a=(1, 2), a=3: a",
        "lambda a={1: 2}, a=3: a",
        "lambda a='x:', a=3: a",
        "f(lambda a,  # comment: yes\n a: a)",
        "lambda a, \uff41: 0",
        "f(lambda a,\\\n a: 0)",
        "my_lambda(x)\nf(lambda a, a: 0)",
        "f(x, lambda a, a: 0)",
    ],
    "keyword argument repeated": [
        "f(a=1, a=2)",
        "f(a=1, *b, a=2)",
        "f(a=1, **b, a=2)",
        "f(a=1, b=2, a=3)",
        "f(g(a=1), a=2, a=3)",
        "class C(metaclass=M, metaclass=N): pass",
        "@f(a=1, a=2)\ndef g(): pass",
        "def g(x=f(a=1, a=2)): pass",
        "x = [f(a=1, a=2) for y in z]",
        "f'{g(a=1, a=2)}'",
        "f(a=1,\n  a=2)",
        "f(a=1,  # comment\n  a=2)",
        "f(a=1, # a comment ( with , a=3 in it\n  a=2)",
        "f(a=1,\\\n  a=2)",
        "f(a\\\n=1, a\\\n=2)",
        "f(a  # c\n =1, a # d\n =2)",
        "f(\ta=1,\ta=2)",
        "f(a=1, \uff41=2)",
        "f(\uff41=1, a=2)",
        "f(a=1, x=g(b=2, c=3), a=4)",
        "x = 1; f(a=1, a=2); y = 2",
        "if f(a=1, a=2): pass",
        "for x in f(a=1, a=2): pass",
        "with f(a=1, a=2): pass",
        "while f(a=1,\n        a=2):\n    pass",
        "try:\n    pass\nexcept f(a=1, a=2):\n    pass",
        "def g():\n    return f(a=1, a=2)",
        "x = f(\n    a=1,\n    b=2,\n    c=3,\n    a=4,\n)",
        "f(a=1, *[1, 2, 3], a=2)",
        "x = {'k': f(a=1, a=2)}",
        "f(a=1, b=lambda: 0, a=2)",
        "f(a='=', a=2)",
        "f(a=1, b=',', a=2)",
        "@f(\n    a=1,\n)\n@g(\n    a=2,\n)\ndef h(): pass\nf(a=1, a=2)",
    ],
    "nonlocal / global errors": [
        "nonlocal x",
        "class C:\n    nonlocal x",
        "def f():\n    nonlocal x",
        "def f():\n    x = 1\n    def g():\n        global x\n        nonlocal x",
        "def f(x):\n    global x",
        "def g():\n    x = 1\n    def f(x):\n        nonlocal x",
        "def f():\n    x = 1\n    global x",
        "def f():\n    print(x)\n    global x",
        "def f():\n    global x\n    x: int = 1",
        "def f():\n    x: int\n    global x",
        "x = 1\nglobal x",
        "class C:\n    x = 1\n    global x",
        "def g():\n    x = 1\n    def f():\n        x = 2\n        nonlocal x",
        "def f():\n    x = 1\n    def g():\n        nonlocal x\n        x: int = 2",
        "def f():\n    class C:\n        x = 1\n        def g():\n            nonlocal x",
    ],
    "import * only allowed at module level": [
        "def f():\n    from os import *",
        "class C:\n    from os import *",
        "def f():\n    if x:\n        from os import *",
        "async def f():\n    from . import *",
    ],
    "from __future__ errors": [
        "import os\nfrom __future__ import annotations",
        "'doc'\n'doc2'\nfrom __future__ import annotations",
        "b'doc'\nfrom __future__ import annotations",
        "f'doc'\nfrom __future__ import annotations",
        "x = 1\nfrom __future__ import annotations",
        "if x:\n    from __future__ import annotations",
        "def f():\n    from __future__ import annotations",
        "from __future__ import nope",
        "from __future__ import braces",
        "from __future__ import annotations, braces",
        "from __future__ import *",
        "from __future__ import annotations\nimport os\nfrom __future__ import division",
        "from __\uff46uture__ import annotations\nimport os\nfrom __future__ import division",
        "try:\n    from __future__ import annotations\nexcept E:\n    pass",
    ],
    "default 'except:' must be last": [
        "try:\n    pass\nexcept:\n    pass\nexcept E:\n    pass",
        "def f():\n    try:\n        pass\n    except:\n        pass\n    except E:\n        pass",
        "try:\n    pass\nexcept:\n    pass\nexcept E:\n    pass\nfinally:\n    pass",
        "for x in y:\n    try:\n        pass\n    except:\n        pass\n"
        "    except E:\n        pass\n    else:\n        pass",
    ],
    "starred expressions and targets": [
        "*a",
        "x = *a",
        "x += *a",
        "x: int = *a",
        "for x in *a: pass",
        "def f():\n    return *a",
        "*a = b",
        "a = *b = c",
        "*a, *b = c",
        "a, (*b, *c) = d",
        "[*a, *b] = c",
        "for *a in b: pass",
        "for a, *b, *c in d: pass",
        "with x as *a: pass",
        "with x as (a, *b, *c): pass",
        "[x for *x in y]",
        "[x for a, *b, *c in y]",
        "[x for (a, *b, *c) in y]",
        "[x for a[0], *b, *c in y]",
        "[x for\\\n *x in y]",
        "[x for  # comment\n *x in y]",
        "[1for*x in y]",
        "[x for a, b\u0301in, *c, *d in y]",
        "[x for a, in\u0301, *c, *d in y]",
        "[x for a, \u00e9in, *c, *d in y]",
        "[x for a, ind, *c, *d in y]",
        "[x for a.b, *c, *d in y]",
        "[x for a . b , *c, *d in y]",
        "[x for (a), *b, *c in y]",
        "[x for a, # c\n *b, *c in y]",
        's = "for the user\'s"\n[x for a, *b, *c in y]',
        "# for the record\n[x for *a in b]",
        "[x for " + ", ".join(f"a{i}" for i in range(70)) + ", *b, *c in y]",
        "[x for a, b in y for c, *d, *e in z]",
        "[x for a[b in c], *d, *e in y]",
        "[x for f(b in c).d, *e, *g in y]",
        "f'{*a}'",
        "f'{ *a}'",
        "(" + ", ".join(f"a{i}" for i in range(300)) + ", *r) = x",
        "for " + ", ".join(f"a{i}" for i in range(300)) + ", *r in x: pass",
    ],
    "cannot assign to / delete __debug__": [
        "__debug__ = 1",
        "f(__debug__=1)",
        "def f(__debug__): pass",
        "def f(*, __debug__): pass",
        "lambda __debug__: 0",
        "a.__debug__ = 1",
        "import a as __debug__",
        "from a import b as __debug__",
        "def __debug__(): pass",
        "class __debug__: pass",
        "del __debug__",
        "for __debug__ in x: pass",
        "with x as __debug__: pass",
        "(__debug__ := 1)",
        "__debug__ += 1",
        "__debug__: int",
        "a.__debug__: int",
        "try:\n    pass\nexcept E as __debug__:\n    pass",
        "match x:\n    case __debug__: pass",
        "__\uff44ebug__ = 1",
        "f'{(__debug__ := 1)}'",
    ],
    "assignment expression errors": [
        "class C:\n    [y := 1 for x in z]",
        "[x := 1 for x in y]",
        "[x for x in (y := z)]",
        "[i for i in range(5) if (j := 0) for j in range(5)]",
        "[[x := 1 for y in z] for x in w]",
        "from __future__ import annotations\ndef f(x: (y := 1)): pass",
    ],
    "match statement errors": [
        "match x:\n    case [a, a]: pass",
        "match x:\n    case a: pass\n    case 1: pass",
        "match x:\n    case _: pass\n    case 1: pass",
        "match x:\n    case [a] | [b]: pass",
        "match x:\n    case a | 1: pass",
        "match x:\n    case {'a': 1, 'a': 2}: pass",
        "match x:\n    case C(a=1, a=2): pass",
        "match x:\n    case [*a, *b]: pass",
        "match x:\n    case [a] as a: pass",
        "match x:\n    case {'k': a, **a}: pass",
        "match x:\n    case (a): pass\n    case 1: pass",
        "def f():\n    match x:\n        case _ | 1: pass",
    ],
    "except* errors (3.11+)": [
        "for x in y:\n    try:\n        pass\n    except* E:\n        break",
        "def f():\n    try:\n        pass\n    except* E:\n        return",
        "for x in y:\n    try:\n        pass\n    except* E:\n        continue",
    ],
    "type parameter errors (3.12+)": [
        "def f[T, T](): pass",
        "class C[T, T]: pass",
        "type X = (yield)",
        "type X = await y",
        "type X = (y := 1)",
        "def f[T: (yield)](): pass",
        "class C[T: (yield)]: pass",
        "def f[__debug__](): pass",
        "class C[T]:\n    type X = [x for x in T]\n    def f[U: [x for x in U]](): pass",
    ],
    "too many statically nested blocks": [
        _nested("for x in y:", 21),
        _nested("while x:", 21),
        _nested("with x:", 21),
        _nested("with a, b:", 11),
        _nested("for x in y:", 21, indent="    ").replace("    ", "def f():\n    ", 1),
        "async def f():\n" + _nested("async with x:", 21, indent="    "),
        "async def f():\n" + _nested("async for x in y:", 21, indent="    "),
        "with " + ", ".join(f"a{i}" for i in range(21)) + ": pass",
        _nested_try(7),
        "class C:\n" + _nested("for x in y:", 21, indent="    "),
    ],
}

#: Modules that compile and the screen clears (so a screen that always says False fails).
CLEARED = [
    "from prefect import flow, task\n\n@task(retries=3, retry_delay_seconds=10)\ndef a(): ...\n\n"
    "@task(retries=3, retry_delay_seconds=10)\ndef b(): ...\n\n"
    "@flow(name='x', log_prints=True)\ndef f(n: int = 1, *args: int, k: str = 'a', **kw: int):\n"
    "    for i in range(n):\n        if i:\n            break\n    else:\n        pass\n"
    "    while True:\n        try:\n            continue\n        except ValueError:\n"
    "            break\n        except:\n            pass\n        finally:\n            pass\n"
    "    return a(retries=1) + b(retries=2)\n",
    '"""Doc."""\nfrom __future__ import annotations\nimport os\nx = [k for (k, v) in y]\n',
    "async def f():\n    async with a as b, c as (d, *e):\n        async for x in y:\n"
    "            continue\n    return 1\n",
    "a, *b = c\n(a, b), *c = d\nwith x as (a, *b): pass\n",
    "# Run it for the user's data, for now.\n'for example: a, b'\nx = [a.b for a, b in c]\n"
    "y = {k: v for (k, v) in d}\nfor i in range(3): pass\n",
    "f(key=lambda a, b=1, *c, d, **e: 0)\nclass C(metaclass=M, x=1):\n    def m(self): return 1\n",
    "f(a=1)\ng(a=2)\nh(\n    a=3,\n)\nx = {**a, **b}\nprint(*a, sep='')\n",
]

_ORACLE = """
import ast, importlib.util, json, sys, warnings
warnings.simplefilter("ignore")
spec = importlib.util.spec_from_file_location("screen", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["screen"] = module
spec.loader.exec_module(module)
out = []
for source in json.load(sys.stdin):
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        out.append([False, None, None])
        continue
    try:
        compile(tree, "<snippet>", "exec", dont_inherit=True)
        compiles = True
    except SyntaxError:
        compiles = False
    except (ValueError, TypeError, RecursionError, MemoryError):
        compiles = None
    out.append([True, compiles, module.certainly_compiles(tree, source)])
print(json.dumps(out))
"""


def _error_snippets() -> list[str]:
    return [snippet for snippets in COMPILE_ERRORS.values() for snippet in snippets]


def _outcome(source: str) -> tuple[bool, bool | None, bool | None]:
    """(parses, compiles, screen) under this interpreter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return False, None, None
        try:
            compile(tree, "<snippet>", "exec", dont_inherit=True)
            compiles: bool | None = True
        except SyntaxError:
            compiles = False
        except (ValueError, TypeError, RecursionError, MemoryError):
            compiles = None
    return True, compiles, certainly_compiles(tree, source)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(s, id=f"{kind}-{i}")
        for kind, ss in COMPILE_ERRORS.items()
        for i, s in enumerate(ss)
    ],
)
def test_screen_is_unsure_of_every_compile_time_error(source: str) -> None:
    parses, _, cleared = _outcome(source)
    if not parses:
        pytest.skip("this Python's parser rejects it (syntax of a newer version)")
    assert cleared is False


def test_most_listed_errors_are_errors_here() -> None:
    """The rest are errors of other versions (checked by the subprocess tests below)."""
    here = [_outcome(source) for source in _error_snippets()]
    parsed = [compiles for parses, compiles, _ in here if parses]
    assert parsed.count(False) > 0.9 * len(parsed)


@pytest.mark.parametrize("source", CLEARED)
def test_screen_clears_ordinary_modules(source: str) -> None:
    parses, compiles, cleared = _outcome(source)
    assert parses
    assert compiles
    assert cleared is True


def _interpreters() -> list[Path]:
    root = Path.home() / ".pyenv" / "versions"
    found = []
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        candidates = sorted(root.glob(f"{minor}.*/bin/python{minor}")) if root.is_dir() else []
        if candidates:
            found.append(candidates[-1])
    return found


def _oracle_under(python: Path, sources: list[str]) -> list[list[Any]]:
    """(parses, compiles, cleared by the screen) of each source, under `python`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    completed = subprocess.run(
        [str(python), "-I", "-c", _ORACLE, str(SCREEN_FILE)],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    results: list[list[Any]] = json.loads(completed.stdout)
    return results


@pytest.mark.parametrize("python", _interpreters(), ids=lambda p: p.parent.parent.name)
def test_screen_under_each_python(python: Path) -> None:
    """Under Python 3.10-3.13: no snippet that fails to compile is cleared; the listed
    errors all fail to compile under some version; the ordinary modules are cleared."""
    sources = [*_error_snippets(), *CLEARED]
    results = _oracle_under(python, sources)
    for source, (parses, compiles, cleared) in zip(sources, results, strict=True):
        if parses and compiles is False:
            assert cleared is False, source
    for source, (parses, compiles, cleared) in zip(
        CLEARED, results[len(results) - len(CLEARED) :], strict=True
    ):
        assert (parses, compiles, cleared) == (True, True, True), source


def test_every_listed_error_fails_under_some_python() -> None:
    pythons = _interpreters()
    if len(pythons) < 2:
        pytest.skip("needs the pyenv interpreters 3.10-3.13")
    sources = _error_snippets()
    failing = [False] * len(sources)
    for python in pythons:
        for i, (parses, compiles, _) in enumerate(_oracle_under(python, sources)):
            failing[i] = failing[i] or (parses and compiles is False)
    assert [s for s, f in zip(sources, failing, strict=True) if not f] == []


# --- through the scanner: a flow module with a compile-time error is AS001, as before -------

_FLOW = "from prefect import flow\n\n@flow\ndef f(): ...\n\n"


@pytest.mark.parametrize(
    "body",
    [pytest.param(ss[0], id=kind) for kind, ss in COMPILE_ERRORS.items()]
    + [
        pytest.param(s, id=f"keyword-{i}")
        for i, s in enumerate(COMPILE_ERRORS["keyword argument repeated"])
    ],
)
def test_flow_module_that_cannot_compile_is_as001(body: str) -> None:
    source = _FLOW + body + "\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            pytest.skip("this Python's parser rejects it")
        try:
            compile(tree, "pkg/flows.py", "exec", dont_inherit=True)
        except SyntaxError as error:
            refused: SyntaxError | None = error
        else:
            refused = None
    result = scan_source(source.encode(), "pkg/flows.py")
    if refused is None:
        assert result.status == "parsed"
        assert [flow.qualname for flow in result.flows] == ["f"]
        return
    assert result.status == "failed"
    assert result.flows == ()
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "AS001"
    assert diagnostic.line == refused.lineno
    assert "(the module cannot be imported)" in diagnostic.message
    assert str(refused.msg) in diagnostic.message


@pytest.mark.parametrize("source", CLEARED)
def test_cleared_flow_module_keeps_its_flows(source: str) -> None:
    result = scan_source((source + "\n" + _FLOW).encode(), "pkg/flows.py")
    assert result.status == "parsed"
    assert "f" in [flow.qualname for flow in result.flows]


# --- fuzz: mutate real modules; compile() fails => the screen is unsure ----------------------


def _corpus() -> list[str]:
    paths = sorted(p for p in FIXTURES.rglob("*.py"))
    site = Path(sysconfig.get_paths()["purelib"])
    others = sorted(p for p in site.rglob("*.py") if p.stat().st_size < 40_000)
    paths += random.Random(10).sample(others, min(120, len(others)))
    texts = []
    for path in paths:
        try:
            text = path.read_text("utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(ast.parse(text), str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
            continue
        texts.append(text)
    return texts


_INSERTED = [
    "return",
    "return 1",
    "break",
    "continue",
    "global x",
    "nonlocal x",
    "from __future__ import annotations",
    "from os import *",
    "yield",
    "await x",
    "async for a in b: pass",
    "async with a: pass",
    "*a, *b = c",
    "f(a=1, a=2)",
    "lambda a, a: 0",
    "x = [y for *y in z]",
]


def _blocks(tree: ast.Module) -> list[list[ast.stmt]]:
    blocks: list[list[ast.stmt]] = []
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                blocks.append(block)
        if isinstance(node, ast.Try):
            blocks.extend(handler.body for handler in node.handlers)
    return blocks


def _mutate_tree(tree: ast.Module, rng: random.Random) -> None:
    blocks = _blocks(tree)
    if not blocks:
        tree.body.append(ast.Pass())
        blocks = [tree.body]
    statements = [s for block in blocks for s in block]
    kind = rng.randrange(7)
    if kind == 0 and statements:  # move a statement somewhere else
        block = rng.choice(blocks)
        moved = rng.choice(statements)
        for other in blocks:
            if moved in other:
                other.remove(moved)
                break
        if not block:
            block.append(ast.Pass())
        block.insert(rng.randrange(len(block) + 1), moved)
    elif kind in (1, 2):  # insert a statement that is only valid in some places
        block = rng.choice(blocks)
        inserted = ast.parse(rng.choice(_INSERTED)).body[0]
        block.insert(rng.randrange(len(block) + 1), inserted)
    elif kind == 3:  # repeat an argument
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.Lambda)]
        for function in functions[: rng.randrange(1, 3)]:
            arguments = function.args.args or function.args.kwonlyargs
            if arguments:
                arguments.append(ast.arg(arguments[0].arg))
                if function.args.args is arguments:
                    function.args.defaults = []
                else:
                    function.args.kw_defaults.append(None)
    elif kind == 4:  # repeat a keyword
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call | ast.ClassDef) and n.keywords]
        if calls:
            call = rng.choice(calls)
            keyword = rng.choice(call.keywords)
            call.keywords.insert(rng.randrange(len(call.keywords) + 1), keyword)
    elif kind == 5:  # a bare except handler first
        tries = [n for n in ast.walk(tree) if isinstance(n, ast.Try) and n.handlers]
        if tries:
            handlers = rng.choice(tries).handlers
            handlers.insert(0, ast.ExceptHandler(type=None, name=None, body=[ast.Pass()]))
    else:  # nest a block deeply
        block = rng.choice(blocks)
        inner: ast.stmt = ast.Pass()
        for _ in range(rng.randrange(5, 23)):
            inner = ast.For(
                target=ast.Name("i"), iter=ast.Name("r"), body=[inner], orelse=[], type_comment=None
            )
        block.insert(0, inner)


_COMMA = re.compile(r",(?=[ \w])")


def _mutate_text(text: str, rng: random.Random) -> str:
    """Token-level changes that keep most modules parseable: comments, continuations."""
    gaps = [",  # x, y=1 (\n", ",\\\n", ",\t", ", # =\n "]
    return _COMMA.sub(lambda m: rng.choice(gaps) if rng.random() < 0.3 else m.group(0), text)


def test_fuzz_compile_failure_implies_unsure() -> None:
    rng = random.Random(2026)
    checked = failed = 0
    for text in _corpus():
        for _ in range(4):
            tree = ast.parse(text)
            _mutate_tree(tree, rng)
            try:
                source = ast.unparse(ast.fix_missing_locations(tree))
            except (ValueError, TypeError, AttributeError, RecursionError):
                continue
            if rng.random() < 0.5:
                source = _mutate_text(source, rng)
            parses, compiles, cleared = _outcome(source)
            if not parses:
                continue
            checked += 1
            if compiles is False:
                failed += 1
                assert cleared is False, textwrap.shorten(source, 2000)
    # The mutants are not all trivially fine or all broken.
    assert checked > 300
    assert 0.2 * checked < failed < 0.95 * checked


def test_screen_module_needs_only_the_standard_library() -> None:
    """The oracle loads `_compile_screen.py` alone into other interpreters."""
    imports = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(SCREEN_FILE.read_text("utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert imports <= set(sys.stdlib_module_names) | {"__future__"}


def test_benchmark_runs_on_a_small_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import compile_screen
    from benchmarks.generate import generate

    generate(tmp_path / "proj", 12)
    (tmp_path / "proj" / "broken.py").write_text(_FLOW + "f(a=1, a=2)\n", "utf-8")
    assert compile_screen.main([str(tmp_path / "proj"), "--runs", "1"]) == 0
    out = capsys.readouterr().out
    # 12 generated modules plus the one compile() refuses, which the screen does not clear.
    assert "refused by compile 1  WRONGLY CLEARED 0" in out
    assert "cleared" in out


def test_the_word_class_is_every_name_character_and_compiles_fast() -> None:
    """`_WORD` is `[A-Za-z0-9_\\x80-\\U0010ffff]` written as its ASCII complement, which
    compiles in ~0.1 ms instead of ~5 ms (the screen's patterns hold it six times)."""
    import re
    import sys

    from acme_scan.scanner import _compile_screen

    word = re.compile(_compile_screen._WORD)
    for code in range(sys.maxunicode + 1):
        character = chr(code)
        expected = character.isascii() is False or character.isalnum() or character == "_"
        assert bool(word.fullmatch(character)) is expected, hex(code)
