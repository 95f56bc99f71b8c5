"""The analysis's shortcuts give what the general path gives: ASCII and non-ASCII text, line
endings, encodings, docstrings, walruses and branch merges, through `scan_source`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from acme_scan import scan_source
from tests.conftest import python_in_fresh_process

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_merged_branches_give_the_same_index_whatever_the_hash_seed() -> None:
    """A name bound to the same DAG as another (`z = y`) after a branch merge: which name the
    DAG is reported under must not depend on the order of a set of strings (the hash seed)."""
    code = (
        "import json, sys\n"
        "from acme_scan.scanner.core import scan_data\n"
        "path = sys.argv[1]\n"
        "data = scan_data(open(path, 'rb').read(), 'f03_register.py')\n"
        "print(json.dumps([(f['name'], f['qualname']) for f in data['flows']]))\n"
    )
    fixture = str(FIXTURES / "airflow" / "f03_register.py")
    answers = set()
    for seed in ("0", "1", "2", "3"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code, fixture],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
        answers.add(done.stdout)
    assert len(answers) == 1
    flows = dict(json.loads(answers.pop()))
    assert flows["r_kept_alias"] == "y"  # the first name bound to it


def scan(code: str | bytes) -> dict[str, Any]:
    source = textwrap.dedent(code).encode() if isinstance(code, str) else code
    return scan_source(source, "m.py").model_dump(mode="json")


def flows(code: str | bytes) -> list[dict[str, Any]]:
    result = scan(code)
    assert result["status"] == "parsed", result
    found: list[dict[str, Any]] = result["flows"]
    return found


def default_sources(flow: dict[str, Any]) -> list[str | None]:
    parameters = flow["parameters"]
    return [p["default"]["source"] if p["default"] else None for p in parameters]


FLOW = """\
from prefect import flow


@flow(name="n")
def f(a: str = "é", b: dict = {
    "k": "ü",
}, c: int = 1) -> None:
    '''Doc.'''
"""


def test_columns_and_segments_in_non_ascii_text_are_in_characters() -> None:
    (found,) = flows(FLOW)
    assert default_sources(found) == ['"é"', '{\n    "k": "ü",\n}', "1"]
    assert [p["annotation"] for p in found["parameters"]] == ["str", "dict", "int"]
    ascii_only = FLOW.replace("é", "e").replace("ü", "u")
    (found,) = flows(ascii_only)
    assert default_sources(found) == ['"e"', '{\n    "k": "u",\n}', "1"]
    method = "from prefect import flow\nclass C:\n    ñ = 1\n    @flow\n    def g(x='é'): ...\n"
    (found,) = flows(method)
    assert (found["line"], found["column"]) == (5, 5)
    assert default_sources(found) == ["'é'"]
    (found,) = flows("from prefect import flow\n@flow\ndef g(ñ='é', y=[1,\n 2]): ...\n")
    assert default_sources(found) == ["'é'", "[1,\n 2]"]
    (found,) = flows("from prefect import flow\ndef f(): ...\nñ = 1; x = flow(f)\n")
    assert (found["qualname"], found["line"], found["column"]) == ("x", 3, 8)  # characters


def test_carriage_returns_split_lines_as_cpython_does() -> None:
    for newline in ("\r\n", "\r"):
        (found,) = flows(FLOW.replace("\n", newline).encode())
        assert default_sources(found) == ['"é"', '{\n    "k": "ü",\n}', "1"]
        assert (found["line"], found["end_line"]) == (5, 8)


def test_encodings_with_and_without_a_cookie() -> None:
    body = "from prefect import flow\n@flow\ndef f(x='caf\u00e9'): ...\n"
    (found,) = flows(("# -*- coding: latin-1 -*-\n" + body).encode("latin-1"))
    assert default_sources(found) == ["'café'"]
    (found,) = flows(("#!/usr/bin/env python\n# coding: latin-1\n" + body).encode("latin-1"))
    assert default_sources(found) == ["'café'"]
    # `coding` past the first two lines is no cookie: the file is UTF-8.
    (found,) = flows(("'''Doc.'''\n\n# coding: latin-1\n" + body).encode())
    assert default_sources(found) == ["'café'"]
    (found,) = flows(b"\xef\xbb\xbf" + body.encode())
    assert default_sources(found) == ["'café'"]
    first_line = scan(b"x = '\xff'\n" + body.encode())
    assert first_line["status"] == "failed"
    assert [(d["line"], d["code"]) for d in first_line["diagnostics"]] == [(1, "AS002")]
    later = scan(body.encode() + b"y = '\xff'\n")
    assert [(d["line"], d["column"]) for d in later["diagnostics"]] == [(4, 6)]


def test_docstring_sections_need_a_colon_and_are_not_read_in_code_blocks() -> None:
    def described(docstring: str) -> dict[str, Any]:
        code = f"from prefect import flow\n@flow\ndef f(a: int):\n    '''{docstring}'''\n"
        (found,) = flows(code)
        schema = found["parameter_schema"]
        return {k: v.get("description") for k, v in schema["properties"].items()}

    assert described("Run.\n\n    Args\n        a - the a\n    ") == {"a": None}
    assert described("Run.\n\n    Args:\n        a: the a\n    ") == {"a": "the a"}
    fenced = "Run.\n\n    ```\n    Args:\n        a: the a\n    ```\n    "
    assert described(fenced) == {"a": None}


@pytest.mark.parametrize(
    "tests",
    [
        # in part of a test (a comment that says := binds nothing)
        "# a comment with := in it\nif (deco := flow) and False:",
        # a test that is itself a named expression (an `elif` one bound nothing)
        'if os.environ.get("A"):\n    pass\nelif (deco := flow):',
    ],
    ids=["inside-a-test", "a-whole-elif-test"],
)
def test_named_expressions_bind_only_where_written(tests: str) -> None:
    code = (
        "import os\nfrom prefect import flow\n"
        f"{tests}\n    pass\nelif True and (other := flow):\n    pass\n"
        "@deco\ndef first(): ...\n@other\ndef second(): ...\n"
    )
    assert [f["qualname"] for f in flows(code.encode())] == ["first", "second"]


def test_the_prefilter_finds_every_spelling_wherever_it_is() -> None:
    body = "\n@flow\ndef f(): ...\n"
    for header in (
        "# transform the data\nfrom prefect import flow",
        "import os\nfrom os import path\nfrom  prefect  import flow",
        "x = 1  # from prefect import flow? no: below\nfrom prefect.flows import flow",
        "from os import path\nimport os, prefect\nflow = prefect.flow",
        "import prefect.flows as p\nflow = p.flow",
    ):
        assert [f["qualname"] for f in flows(header + body)] == ["f"], header
    skipped = scan("xfrom prefect import flow\nimportprefect = 1\n" + body)
    assert skipped["status"] == "skipped"


#: A few statements that make a function long enough for `Walker.may_find` to test it.
_PADDING = "\n".join(f"    value_{i} = {i}" for i in range(6))

#: Functions whose bodies reach the framework in each way a walk can; each must be walked.
_REACHING = {
    "decorator": ("from prefect import flow\n", "    @flow\n    def inner(): ...\n"),
    "module alias": (
        "from prefect import flow\nmy_flow = flow\n",
        "    @my_flow\n    def inner(): ...\n",
    ),
    "decorator called once": (
        "from prefect import flow\nretrying = flow(retries=3)\n",
        "    @retrying\n    def inner(): ...\n",
    ),
    "module flow's with_options": (
        "from prefect import flow\n@flow\ndef base(): ...\n",
        "    copy = base.with_options(name='copy')\n",
    ),
    "class attribute": (
        "from prefect import flow\nclass Holder:\n    tool = flow\n",
        "    @Holder.tool\n    def inner(): ...\n",
    ),
    "class attribute by a second name": (
        "from prefect import flow\nclass Holder:\n    tool = flow\nAlias = Holder\n",
        "    @Alias.tool\n    def inner(): ...\n",
    ),
    "nested class attribute": (
        "from prefect import flow\nclass Outer:\n    class Holder:\n        tool = flow\n",
        "    @Outer.Holder.tool\n    def inner(): ...\n",
    ),
    "flow in a class": (
        "from prefect import flow\nclass Holder:\n    @flow\n    def run(self): ...\n",
        "    copy = Holder.run.with_options(name='copy')\n",
    ),
    "local import": ("", "    from prefect import flow\n    @flow\n    def inner(): ...\n"),
    "module import": ("import prefect\n", "    @prefect.flow\n    def inner(): ...\n"),
    "branch choice": (
        "from prefect import flow\nimport os\nif os.environ:\n    @flow\n    def f(): ...\n"
        "else:\n    @flow(name='other')\n    def f(): ...\n",
        "    copy = f.with_options(name='copy')\n",
    ),
    "enclosing function's binding": (
        "from prefect import flow\n",
        "    tool = flow\n    def middle():\n"
        + "\n".join(f"        other_{i} = {i}" for i in range(6))
        + "\n        @tool\n        def inner(): ...\n",
    ),
    "name a global statement rebinds": (
        # `early` makes the walker work out which module names matter before `setter`
        "from prefect import flow\nhelper = None\n\ndef early():\n"
        + "\n".join(f"    other_{i} = {i}" for i in range(6))
        + "\n\ndef setter():\n"
        + "\n".join(f"    other_{i} = {i}" for i in range(6))
        + "\n    global helper\n    helper = flow\n",
        "    @helper\n    def inner(): ...\n",
    ),
    "non-ascii name": (
        "from prefect import flow\n",
        "    \uff46low_alias = 1\n    @\uff46low\n    def inner(): ...\n",
    ),
    "airflow dag": (
        "from airflow.sdk import DAG\n",
        "    with DAG(dag_id='inside'):\n        pass\n",
    ),
}


def _with_and_without_skip(source: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    from unittest import mock

    from acme_scan.scanner import engine

    skipped = scan_source(source, "m.py").model_dump(mode="json")
    with mock.patch.object(engine.Walker, "may_find", return_value=True):
        walked = scan_source(source, "m.py").model_dump(mode="json")
    return skipped, walked


@pytest.mark.pure_python
def test_function_bodies_that_reach_the_framework_are_walked() -> None:
    from unittest import mock

    from acme_scan.scanner import engine

    real = engine.Walker.may_find
    for case, (module, body) in _REACHING.items():
        source = f"{module}\ndef outer():\n{_PADDING}\n{body}".encode()
        tested: list[bool] = []

        def spy(self: engine.Walker, scope: Any, tested: list[bool] = tested) -> bool:
            answer = real(self, scope)
            if getattr(scope.node, "name", None) == "outer":
                tested.append(answer)
            return answer

        with mock.patch.object(engine.Walker, "may_find", spy):
            skipped = scan_source(source, "m.py").model_dump(mode="json")
        _, walked = _with_and_without_skip(source)
        assert skipped == walked, case
        assert tested == [True], case
        assert walked["flows"] or walked["diagnostics"], case  # there was something to find


@pytest.mark.pure_python
def test_function_bodies_that_cannot_reach_the_framework_are_skipped() -> None:
    from unittest import mock

    from acme_scan.scanner import engine

    source = (
        "import os\nfrom prefect import flow\n\nclass Plain:\n    size = 3\n\n"
        "def helper(path):\n"
        + _PADDING
        + "\n    return os.path.join(path, str(Plain.size))\n\n@flow\ndef pipeline(): ...\n"
        '\ndef documented(path):\n    """Long.\n\n    Args:\n        path: a path\n    """\n'
        "    return helper(path)\n"
    ).encode()
    answers: list[bool] = []
    real = engine.Walker.may_find

    def spy(self: engine.Walker, scope: Any) -> bool:
        answers.append(real(self, scope))
        return answers[-1]

    with mock.patch.object(engine.Walker, "may_find", spy):
        skipped = scan_source(source, "m.py").model_dump(mode="json")
    # `helper` skipped; `pipeline` is short and `documented` two simple statements: both
    # walked untested
    assert answers == [False]
    assert skipped == _with_and_without_skip(source)[1]
    assert [f["name"] for f in skipped["flows"]] == ["pipeline"]


@pytest.mark.parametrize(
    "docstring",
    [
        "Run it.",
        "   Run it.  ",
        "\tRun it.",
        "\x0cRun it.",
        " \rRun it.",
        "\u3000Run it.",
        "",
        "  ",
    ],
)
def test_one_line_docstrings_are_cleaned_as_inspect_cleans_them(docstring: str) -> None:
    """The one-line fast path gives what this Python's `inspect.cleandoc` gives (which strips
    only spaces from Python 3.13 on, every kind of whitespace before)."""
    import inspect

    code = f"from prefect import flow\n\n@flow\ndef f():\n    {docstring!r}\n"
    [found] = flows(code.encode())
    assert found["description"] == inspect.cleandoc(docstring)


def test_flow_ids_are_hashed_without_openssl() -> None:
    """Flow ids are BLAKE2b from CPython's `_blake2` (`acme_scan._hashes`): `import hashlib`
    loads OpenSSL, ~4 ms of every scan that only needs ids."""
    code = (
        "import sys\n"
        "from acme_scan.scanner import scan_data\n"
        "source = b'from prefect import flow\\n@flow\\ndef f(): pass\\n'\n"
        "assert len(scan_data(source, 'x.py')['flows']) == 1\n"
        "print(sorted(m for m in ('hashlib', '_hashlib') if m in sys.modules))\n"
    )
    completed = python_in_fresh_process(code)
    assert (completed.returncode, completed.stdout.strip()) == (0, "[]"), completed.stderr


def test_scanning_leaves_no_reference_cycles() -> None:
    """A scan's tree and all made from it are freed by reference counts as soon as the
    results are dropped: the collector, held off while scanning (GC_FIRST_THRESHOLD), never
    has to trace a module's tree. Every fixture (Prefect and Airflow, broken files among
    them), newer syntax (LibCST's path) and too deep nesting are scanned with the collector
    off."""
    import gc

    from acme_scan.scanner.core import scan_data

    sources = [(p.read_bytes(), p.name) for p in sorted(FIXTURES.rglob("*.py"))]
    assert len(sources) >= 30
    newer = b"from prefect import flow\n\n@flow\ndef generic[T](x: T) -> T:\n    return x\n"
    nested = b"from prefect import flow\nx = " + b"(" * 300 + b")" * 300 + b"\n"
    sources += [(newer, "pep695.py"), (nested, "nested.py")]
    scan_data(sources[0][0], sources[0][1])  # lazily made caches are not the scan's garbage
    left: dict[str, int] = {}
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for data, name in sources:
            result = scan_data(data, name)
            del result
            found = gc.collect()
            if found:
                left[name] = found
    finally:
        if enabled:
            gc.enable()
    assert left == {}


def _docstring_variants() -> list[str]:
    """Docstrings as `function_docstring` may hand them on (cleaned or not): first lines with
    and without leading whitespace, tabs, margins that the second clean removes or keeps,
    blank and whitespace-only lines, `Args:` sections at and off the margin."""
    firsts = ["Run.", " Run.", "\tRun.", "\x0cRun.", "", "\u3000Run."]
    sections = [
        "\n\nArgs:\n    a: the a\n    b: the b",
        "\n\n    Args:\n        a: the a",
        "\n\tArgs:\n\t\ta: the a",
        "\n \nArgs:\n  a: the a\n\n  b: the b\n",
        "\n\x0c\nArgs:\n    a: the a",
        "\n    \n    Args:\n        a: indented\nb: outdented",
        "\nArgs:\n    a: first\n\nParameters:\n    b: second\n   ",
        "",
    ]
    return [first + section for first in firsts for section in sections]


@pytest.mark.parametrize("docstring", _docstring_variants())
def test_parameter_sections_skip_only_a_second_clean_that_changes_nothing(
    docstring: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Griffe cleans the docstring once more; the scanner skips that clean only where it is
    the identity, so the descriptions are those of always cleaning (this Python's
    `inspect.cleandoc`)."""
    import inspect

    from acme_scan.scanner import _docstrings

    fast = _docstrings.parameter_descriptions(docstring)
    stripped = docstring.rstrip()
    if _docstrings._clean(stripped, stripped.split("\n")):
        assert inspect.cleandoc(stripped) == stripped
    monkeypatch.setattr(_docstrings, "_clean", lambda text, lines: False)
    assert fast == _docstrings.parameter_descriptions(docstring)
