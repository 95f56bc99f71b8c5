"""How `scan_source` recognises Prefect flows, spelled every way Python allows.

Every snippet is inline source handed to the pure core as bytes; nothing here imports Prefect.
Where the scanner disagrees with what Python/Prefect would do at import time the test states
Prefect's behaviour and is marked `xfail(strict=True)` with the reason.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from typing import Any

import pytest

from acme_scan.models import Flow, ModuleScan
from acme_scan.scanner import scan_source

PATH = "pkg/flows.py"


def scan(code: str, path: str = PATH, *, prefilter: bool = True) -> ModuleScan:
    return scan_source(textwrap.dedent(code).encode(), path, prefilter=prefilter)


def by_qualname(result: ModuleScan) -> dict[str, Flow]:
    flows = {flow.qualname or "": flow for flow in result.flows}
    assert len(flows) == len(result.flows), "duplicate qualnames"
    return flows


def the_flow(result: ModuleScan) -> Flow:
    assert result.status == "parsed", result.diagnostics
    assert len(result.flows) == 1, [flow.qualname for flow in result.flows]
    return result.flows[0]


def codes(result: ModuleScan) -> list[str]:
    return [diagnostic.code for diagnostic in result.diagnostics]


def summary(result: ModuleScan) -> dict[str, tuple[str | None, str]]:
    """{qualname: (name, form)} of every flow found."""
    return {flow.qualname or "": (flow.name, flow.form) for flow in result.flows}


# -- spellings that ARE Prefect's flow ---------------------------------------------------------

POSITIVE: dict[str, tuple[str, dict[str, tuple[str | None, str]]]] = {
    "bare": (
        """
        from prefect import flow

        @flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "called-empty": (
        """
        from prefect import flow

        @flow()
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "called-with-name": (
        """
        from prefect import flow

        @flow(name="Custom Name")
        def my_flow():
            pass
        """,
        {"my_flow": ("Custom Name", "decorator")},
    ),
    "prefect-attribute": (
        """
        import prefect

        @prefect.flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "prefect-flows-attribute": (
        """
        import prefect.flows

        @prefect.flows.flow(retries=1)
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "import-prefect-as": (
        """
        import prefect as pf

        @pf.flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "import-prefect-flows-as": (
        """
        import prefect.flows as pff

        @pff.flow(name="pff")
        def my_flow():
            pass
        """,
        {"my_flow": ("pff", "decorator")},
    ),
    "from-prefect-import-flows-module": (
        """
        from prefect import flows

        @flows.flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "from-import-as": (
        """
        from prefect import flow as f

        @f
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "from-prefect-flows": (
        """
        from prefect.flows import flow

        @flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "star-import": (
        """
        from prefect import *

        @flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "star-import-prefect-flows": (
        """
        from prefect.flows import *

        @flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "parenthesised-multiline-import": (
        """
        from prefect import (
            task,
            flow,
        )

        @flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "parenthesised-import-with-alias-and-comments": (
        """
        from prefect import (  # the decorator
            flow as
                prefect_flow,  # renamed
        )

        @prefect_flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "try-except-importerror-noop-fallback": (
        """
        try:
            from prefect import flow
        except ImportError:
            def flow(fn=None, **kwargs):
                return fn

        @flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "try-except-importerror-module": (
        """
        try:
            import prefect
        except ImportError:
            prefect = None

        @prefect.flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "try-else-finally": (
        """
        try:
            import os
        except ImportError:
            raise
        else:
            from prefect import flow as f
        finally:
            pass

        @f
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "if-type-checking-else": (
        """
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from prefect import flow
        else:
            from prefect import flow

        @flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "if-version-block": (
        """
        import sys

        if sys.version_info >= (3, 8):
            from prefect.flows import flow
        elif sys.platform == "win32":
            flow = None
        else:
            flow = None

        @flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "async-def": (
        """
        from prefect import flow

        @flow
        async def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "async-def-called": (
        """
        from prefect import flow

        @flow(name="async")
        async def my_flow():
            yield 1
        """,
        {"my_flow": ("async", "decorator")},
    ),
    "instance-method": (
        """
        from prefect import flow

        class Holder:
            @flow
            def my_flow(self):
                pass
        """,
        {"Holder.my_flow": ("my-flow", "decorator")},
    ),
    "staticmethod-outside": (
        """
        from prefect import flow

        class Holder:
            @staticmethod
            @flow
            def my_flow():
                pass
        """,
        {"Holder.my_flow": ("my-flow", "decorator")},
    ),
    "staticmethod-inside": (
        """
        from prefect import flow

        class Holder:
            @flow
            @staticmethod
            def my_flow():
                pass
        """,
        {"Holder.my_flow": ("my-flow", "decorator")},
    ),
    "classmethod-outside": (
        """
        from prefect import flow

        class Holder:
            @classmethod
            @flow(name="cm")
            def my_flow(cls):
                pass
        """,
        {"Holder.my_flow": ("cm", "decorator")},
    ),
    "classmethod-inside": (
        """
        from prefect import flow

        class Holder:
            @flow(name="cm")
            @classmethod
            def my_flow(cls):
                pass
        """,
        {"Holder.my_flow": ("cm", "decorator")},
    ),
    "nested-class": (
        """
        import prefect

        class Outer:
            class Inner:
                @prefect.flow
                async def my_flow(self):
                    pass
        """,
        {"Outer.Inner.my_flow": ("my-flow", "decorator")},
    ),
    "call-form": (
        """
        from prefect import flow

        def my_fn():
            pass

        x = flow(my_fn)
        """,
        {"x": ("my-fn", "call")},
    ),
    "call-form-called-decorator": (
        """
        from prefect import flow

        def my_fn():
            pass

        x = flow(name="n")(my_fn)
        """,
        {"x": ("n", "call")},
    ),
    "call-form-positional-and-keyword": (
        """
        from prefect import flow

        def my_fn():
            pass

        x = flow(my_fn, name="both")
        """,
        {"x": ("both", "call")},
    ),
    "call-form-annotated-assignment": (
        """
        import prefect

        def my_fn():
            pass

        x: prefect.Flow = prefect.flow(my_fn)
        """,
        {"x": ("my-fn", "call")},
    ),
    "with-options": (
        """
        from prefect import flow

        def my_fn():
            pass

        x = flow(name="n")(my_fn)
        y = x.with_options(name="m")
        """,
        {"x": ("n", "call"), "y": ("m", "with_options")},
    ),
    "with-options-on-decorated": (
        """
        from prefect import flow

        @flow
        def my_flow():
            pass

        y = my_flow.with_options(retries=3)
        """,
        {"my_flow": ("my-flow", "decorator"), "y": ("my-flow", "with_options")},
    ),
    "chained-with-options": (
        """
        from prefect import flow

        def my_fn():
            pass

        y = flow(my_fn).with_options(name="m").with_options(retries=1)
        """,
        {"y": ("m", "with_options")},
    ),
    "pre-called-decorator": (
        """
        from prefect import flow

        d = flow(retries=2)

        @d
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "pre-called-decorator-called-again": (
        """
        from prefect import flow

        d = flow(retries=2)

        @d(name="again")
        def my_flow():
            pass
        """,
        {"my_flow": ("again", "decorator")},
    ),
    "alias-assignment": (
        """
        from prefect import flow

        g = flow

        @g
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "class-attribute-does-not-hide-module-flow-in-methods": (
        """
        from prefect import flow

        class Holder:
            flow = None

            def method(self):
                @flow
                def my_flow():
                    pass
        """,
        {"Holder.method.<locals>.my_flow": ("my-flow", "decorator")},
    ),
    "comprehension-variable-does-not-leak": (
        """
        from prefect import flow

        names = [flow for flow in range(3)]

        @flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "stacked-with-other-decorators": (
        """
        import functools
        from prefect import flow

        @flow
        @functools.wraps(print)
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
}


@pytest.mark.parametrize(("code", "expected"), POSITIVE.values(), ids=POSITIVE.keys())
def test_prefect_flow_spellings_are_found(
    code: str, expected: dict[str, tuple[str | None, str]]
) -> None:
    result = scan(code)
    assert result.status == "parsed"
    assert summary(result) == expected
    assert not [d for d in result.diagnostics if d.severity == "error"]


# -- spellings that are NOT Prefect's flow -------------------------------------------------------

NEGATIVE: dict[str, tuple[str, dict[str, tuple[str | None, str]]]] = {
    "later-def-flow": (
        """
        from prefect import flow

        @flow
        def before():
            pass

        def flow(fn):
            return fn

        @flow
        def after():
            pass
        """,
        {"before": ("before", "decorator")},
    ),
    "assignment-before-use": (
        """
        from prefect import flow

        flow = lambda fn: fn

        @flow
        def my_flow():
            pass
        """,
        {},
    ),
    "assignment-from-other-call": (
        """
        from prefect import flow

        flow = make_decorator()

        @flow(name="x")
        def my_flow():
            pass
        """,
        {},
    ),
    "metaflow": (
        """
        # a prefect-free module that happens to mention prefect
        from metaflow import flow

        @flow
        def my_flow():
            pass
        """,
        {},
    ),
    "controlflow": (
        """
        import prefect
        from controlflow import flow

        @flow
        def my_flow():
            pass
        """,
        {},
    ),
    "relative-import": (
        """
        import prefect
        from .helpers import flow

        @flow
        def my_flow():
            pass
        """,
        {},
    ),
    "relative-package-import": (
        """
        import prefect
        from . import flow

        @flow
        def my_flow():
            pass
        """,
        {},
    ),
    "relative-prefect-module": (
        """
        from .prefect import flow

        @flow
        def my_flow():
            pass
        """,
        {},
    ),
    "local-def-only": (
        """
        # prefect is not used here
        def flow(fn=None, **kwargs):
            return fn

        @flow
        def my_flow():
            pass
        """,
        {},
    ),
    "local-class-shadow": (
        """
        from prefect import flow

        class flow:
            def __init__(self, fn):
                self.fn = fn

        @flow
        def my_flow():
            pass
        """,
        {},
    ),
    "strings-and-comments": (
        '''
        import prefect
        # @flow
        # def commented(): pass
        SNIPPET = """
        from prefect import flow
        @flow
        def in_a_string():
            pass
        """
        other = "@prefect.flow"
        ''',
        {},
    ),
    "other-library-attribute": (
        """
        import metaflow
        import prefect

        @metaflow.flow
        def my_flow():
            pass
        """,
        {},
    ),
    "module-shadowed-by-other-import": (
        """
        import prefect
        import metaflow as prefect

        @prefect.flow
        def my_flow():
            pass
        """,
        {},
    ),
    "prefect-task-aliased-as-flow": (
        """
        from prefect import task as flow

        @flow
        def my_task():
            pass
        """,
        {},
    ),
    "prefect-module-aliased-as-flow": (
        """
        import prefect.flows as flow

        @flow
        def not_a_flow():
            pass

        @flow.flow
        def my_flow():
            pass
        """,
        {"my_flow": ("my-flow", "decorator")},
    ),
    "deleted-name": (
        """
        from prefect import flow
        del flow

        @flow
        def my_flow():
            pass
        """,
        {},
    ),
    "function-local-import-shadowing": (
        """
        from prefect import flow

        def outer():
            from metaflow import flow

            @flow
            def inner():
                pass
        """,
        {},
    ),
    "function-local-assignment-shadowing": (
        """
        from prefect import flow

        def outer():
            @flow
            def inner():
                pass

            flow = None
        """,
        {},
    ),
    "function-parameter-shadowing": (
        """
        from prefect import flow

        def outer(flow):
            @flow
            def inner():
                pass
        """,
        {},
    ),
    "class-scope-shadowing": (
        """
        from prefect import flow

        class Holder:
            flow = staticmethod(lambda fn: fn)

            @flow
            def method(self):
                pass
        """,
        {},
    ),
    "with-as-shadowing": (
        """
        from prefect import flow

        with open("x") as flow:
            pass

        @flow
        def my_flow():
            pass
        """,
        {},
    ),
    "flow-attribute-of-unknown-object": (
        """
        import prefect

        @app.flow
        def my_flow():
            pass

        x = registry.flow(my_flow)
        """,
        {},
    ),
    "prefect-task-is-not-a-flow": (
        """
        from prefect import flow, task

        @task
        def my_task():
            pass

        t = task(print)
        """,
        {},
    ),
}


@pytest.mark.parametrize(("code", "expected"), NEGATIVE.values(), ids=NEGATIVE.keys())
def test_lookalikes_are_not_flows(code: str, expected: dict[str, tuple[str | None, str]]) -> None:
    result = scan(code, prefilter=False)
    assert result.status == "parsed"
    assert summary(result) == expected
    assert result.diagnostics == ()


def test_function_local_prefect_import_makes_nested_flow() -> None:
    result = scan(
        """
        from metaflow import flow

        def outer():
            from prefect import flow

            @flow
            def inner():
                pass

        @flow
        def not_prefect():
            pass
        """
    )
    flow = the_flow(result)
    assert flow.qualname == "outer.<locals>.inner"
    assert flow.deployable is False
    assert flow.entrypoint is None
    assert codes(result) == ["AS105"]


# -- names, versions, descriptions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("my_flow", "my-flow"),
        ("__dunder__", "--dunder--"),
        ("_private", "-private"),
        ("plain", "plain"),
        ("ünï_cödé", "ünï-cödé"),
        ("CamelCase_x", "CamelCase-x"),
    ],
)
def test_default_name_is_function_name_with_dashes(function: str, expected: str) -> None:
    flow = the_flow(scan(f"from prefect import flow\n@flow\ndef {function}():\n    pass\n"))
    assert flow.name == expected
    assert flow.function == function


@pytest.mark.parametrize(
    ("name_source", "expected"),
    [
        ('"explicit"', "explicit"),
        ("'single'", "single"),
        ('"implicit" "-concat"', "implicit-concat"),
        ('"a" + "-b"', "a-b"),
        ("NAME", "from-constant"),
        ("FINAL_NAME", "final-constant"),
        ("PREFIX + '-suffix'", "team-suffix"),
        ('f"{PREFIX}-etl-{NUMBER}"', "team-etl-7"),
        ('f"{PREFIX!r}"', "'team'"),
        ('f"{PREFIX!s}"', "team"),
        ('f"{{braces}} {PREFIX}"', "{braces} team"),
        ('"with spaces. dots: and colons"', "with spaces. dots: and colons"),
        ('"ünïcödé ✓"', "ünïcödé ✓"),
        ('"tab\\there"', "tab\there"),
        ('r"raw\\name"', "raw\\name"),
        ('"quote\\"inside"', 'quote"inside'),
        ("ALIAS", "from-constant"),
        ('""', "my-flow"),
        ("None", "my-flow"),
        ("EMPTY", "my-flow"),
    ],
)
def test_names_from_literals_and_constants(name_source: str, expected: str) -> None:
    result = scan(
        f"""
        from typing import Final
        from prefect import flow

        NAME = "from-constant"
        FINAL_NAME: Final = "final-constant"
        PREFIX = "team"
        NUMBER = 7
        ALIAS = NAME
        EMPTY = ""

        @flow(name={name_source})
        def my_flow():
            pass
        """
    )
    flow = the_flow(result)
    assert flow.name == expected
    assert result.diagnostics == ()
    assert flow.deployable is True


def test_constants_follow_execution_order_and_scopes() -> None:
    result = scan(
        """
        from prefect import flow

        NAME = "first"

        @flow(name=NAME)
        def uses_first():
            pass

        NAME = "second"

        @flow(name=NAME)
        def uses_second():
            pass

        class Holder:
            NAME = "class-level"

            @flow(name=NAME)
            def method(self):
                pass

            @flow(name=OTHER)
            def module_constant(self):
                pass

        def outer():
            @flow(name=NAME)
            def nested():
                pass

        OTHER = "defined-after-class"
        NAME = "final"
        """
    )
    names = {flow.qualname: flow.name for flow in result.flows}
    assert names["uses_first"] == "first"
    assert names["uses_second"] == "second"
    assert names["Holder.method"] == "class-level"
    # A nested function's decorator runs when outer() is called: after the module finished.
    assert names["outer.<locals>.nested"] == "final"
    # OTHER is not bound yet when the class body runs: a NameError at import in Python.
    assert "Holder.module_constant" not in names or names["Holder.module_constant"] is None


def test_version_and_description_from_constants_and_fstrings() -> None:
    result = scan(
        """
        from prefect import flow

        VERSION = "1.2.3"
        MAJOR = 2
        DESCRIPTION = "From a constant."

        @flow(version=VERSION, description=DESCRIPTION)
        def a():
            "Docstring loses."

        @flow(version=f"v{MAJOR}.0", description=f"{DESCRIPTION} And more.")
        def b():
            pass

        @flow(description="")
        def c():
            '''Docstring wins over an empty description.'''

        @flow(description=None)
        def d():
            '''Docstring wins over None.'''

        @flow(description=describe())
        def e():
            '''Not used: the description is dynamic.'''
        """
    )
    flows = by_qualname(result)
    assert flows["a"].kwargs["version"].model_dump() == {
        "value": "1.2.3",
        "source": "VERSION",
        "dynamic": False,
    }
    assert flows["a"].description == "From a constant."
    assert flows["b"].kwargs["version"].value == "v2.0"
    assert flows["b"].description == "From a constant. And more."
    assert flows["c"].description == "Docstring wins over an empty description."
    assert flows["d"].description == "Docstring wins over None."
    assert flows["e"].description is None
    assert flows["e"].kwargs["description"].dynamic is True
    assert flows["e"].kwargs["description"].source == "describe()"


def test_kwargs_are_recorded_with_source_and_value() -> None:
    flow = the_flow(
        scan(
            """
            from prefect import flow

            RETRIES = 3

            @flow(
                retries=RETRIES,
                retry_delay_seconds=[1, 2.5],
                log_prints=True,
                timeout_seconds=None,
                on_failure=[notify],
                flow_run_name="run-{x}",
            )
            def my_flow(x):
                pass
            """
        )
    )
    kwargs = {key: value.model_dump() for key, value in flow.kwargs.items()}
    assert kwargs == {
        "retries": {"value": 3, "source": "RETRIES", "dynamic": False},
        "retry_delay_seconds": {"value": [1, 2.5], "source": "[1, 2.5]", "dynamic": False},
        "log_prints": {"value": True, "source": "True", "dynamic": False},
        "timeout_seconds": {"value": None, "source": "None", "dynamic": False},
        "on_failure": {"value": None, "source": "[notify]", "dynamic": True},
        "flow_run_name": {"value": "run-{x}", "source": '"run-{x}"', "dynamic": False},
    }


def test_with_options_merges_keywords_like_prefect() -> None:
    result = scan(
        """
        from prefect import flow

        @flow(name="base", retries=1, description="base description")
        def base():
            pass

        renamed = base.with_options(name="renamed", retries=5)
        kept = base.with_options(name="", description="", retries=None)
        redescribed = renamed.with_options(description="new")
        """
    )
    flows = by_qualname(result)
    assert flows["renamed"].name == "renamed"
    assert flows["renamed"].kwargs["retries"].value == 5
    assert flows["renamed"].description == "base description"
    assert flows["kept"].name == "base"
    assert flows["kept"].description == "base description"
    assert flows["kept"].kwargs["retries"].value == 1
    assert flows["redescribed"].name == "renamed"
    assert flows["redescribed"].description == "new"
    assert {flow.function for flow in result.flows} == {"base"}
    assert {flow.form for qualname, flow in flows.items() if qualname != "base"} == {"with_options"}


# -- descriptions: compared with inspect.getdoc on the same function -------------------------

DOCSTRINGS: dict[str, str] = {
    "none": "def f():\n    pass\n",
    "one-line": 'def f():\n    """One line."""\n',
    "single-quotes": "def f():\n    'Single.'\n",
    "on-def-line": 'def f(): "On the def line."\n',
    "multi-line": (
        'def f():\n    """Summary.\n\n    Body line one\n    body line two:\n\n'
        '        indented more\n\n    End.\n    """\n'
    ),
    "starts-on-next-line": 'def f():\n    """\n    Summary.\n\n    Body.\n    """\n',
    "odd-indentation": ('def f():\n    """First.\n      Two.\n        Four.\n   Three.\n    """\n'),
    "tabs": 'def f():\n    """Tabbed.\n\n\tA tab line.\n    """\n',
    "raw": 'def f():\n    r"""Raw \\n and \\d."""\n',
    "escapes": 'def f():\n    """Tab\\tthen \\u00e9 and \\\\."""\n',
    "concatenated": 'def f():\n    "Concat " "enated."\n',
    "parenthesised": 'def f():\n    ("Paren"\n     "thesised.")\n',
    "not-first-statement": 'def f():\n    x = 1\n    "Not a docstring."\n',
    "bytes": 'def f():\n    b"""Bytes are not docstrings."""\n',
    "fstring": 'def f():\n    f"""F-strings are not docstrings."""\n',
    "empty": 'def f():\n    """"""\n',
    "whitespace": 'def f():\n    """   \n   """\n',
    "trailing-spaces": 'def f():\n    """Ends with spaces   """\n',
    "crlf-inside": 'def f():\n    """Line one.\r\n    Line two."""\n',
    "semicolon": 'def f(): "Doc."; x = 1\n',
    "async": 'async def f():\n    """Async doc."""\n',
    "comment-before": 'def f():\n    # comment\n\n    """After a comment."""\n',
}


@pytest.mark.parametrize("function_source", DOCSTRINGS.values(), ids=DOCSTRINGS.keys())
def test_description_is_inspect_getdoc(function_source: str) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(function_source, "<docstring case>", "exec"), namespace)
    expected = inspect.getdoc(namespace["f"])
    flow = the_flow(
        scan_source(b"from prefect import flow\n@flow\n" + function_source.encode(), PATH)
    )
    assert flow.description == expected


# -- qualnames, entrypoints, positions, async --------------------------------------------------

POSITIONS_SOURCE = """\
from prefect import flow


@flow
def module_level():
    pass


@flow(
    name="multi-line decorator",
)
async def async_flow(
    x: int,
):
    # comment inside
    return x
    # trailing comment


class Holder:
    @staticmethod
    @flow
    def static():
        pass

    @flow
    @classmethod
    def klass(cls):
        pass

    class Inner:
        @flow
        async def deep(self):
            pass


def plain():
    pass


x = flow(plain)
y = x.with_options(
    name="y",
)


def outer():
    @flow
    def nested():
        pass

    class Local:
        @flow
        def method(self):
            pass

    z = flow(plain)
"""


def _ast_positions(source: str) -> dict[str, tuple[int, int, int, int]]:
    """{qualname: (line, column, decorator_line, end_line)} as CPython's ast reports them."""
    result: dict[str, tuple[int, int, int, int]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                flow_decorators = [
                    d
                    for d in child.decorator_list
                    if (isinstance(d, ast.Name) and d.id == "flow")
                    or (
                        isinstance(d, ast.Call)
                        and isinstance(d.func, ast.Name)
                        and d.func.id == "flow"
                    )
                ]
                if flow_decorators:
                    assert child.end_lineno is not None
                    result[prefix + child.name] = (
                        child.lineno,
                        child.col_offset + 1,
                        flow_decorators[0].lineno,
                        child.end_lineno,
                    )
                visit(child, f"{prefix}{child.name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.Assign) and isinstance(child.value, ast.Call):
                target = child.targets[0]
                assert isinstance(target, ast.Name)
                assert child.end_lineno is not None
                result[prefix + target.id] = (
                    child.lineno,
                    child.col_offset + 1,
                    child.value.lineno,
                    child.end_lineno,
                )
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return result


def test_qualnames_entrypoints_and_positions_match_python() -> None:
    result = scan_source(POSITIONS_SOURCE.encode(), "pkg/sub/flows.py")
    flows = by_qualname(result)
    expected_positions = _ast_positions(POSITIONS_SOURCE)
    assert set(flows) == set(expected_positions)
    for qualname, flow in flows.items():
        assert (flow.line, flow.column, flow.decorator_line, flow.end_line) == (
            expected_positions[qualname]
        ), qualname
        assert flow.path == "pkg/sub/flows.py"

    deployable = {
        "module_level": ("decorator", False, False),
        "async_flow": ("decorator", True, False),
        "Holder.static": ("decorator", False, True),
        "Holder.klass": ("decorator", False, True),
        "Holder.Inner.deep": ("decorator", True, True),
        "x": ("call", False, False),
        "y": ("with_options", False, False),
    }
    for qualname, (form, is_async, is_method) in deployable.items():
        flow = flows[qualname]
        assert flow.entrypoint == f"pkg/sub/flows.py:{qualname}"
        assert flow.deployable is True
        assert (flow.form, flow.is_async, flow.is_method) == (form, is_async, is_method)
    assert flows["x"].function == "plain"
    assert flows["y"].function == "plain"
    assert flows["Holder.Inner.deep"].function == "deep"

    nested = {
        "outer.<locals>.nested",
        "outer.<locals>.Local.method",
        "outer.<locals>.z",
    }
    assert set(flows) - set(deployable) == nested
    for qualname in nested:
        assert flows[qualname].deployable is False
        assert flows[qualname].entrypoint is None
    not_loadable = [d for d in result.diagnostics if d.code == "AS105"]
    assert len(not_loadable) == len(nested)
    assert {d.severity for d in not_loadable} == {"warning"}
    assert {d.line for d in not_loadable} == {flows[q].line for q in nested}
    assert codes(result) == ["AS105"] * 3
    assert [flow.line for flow in result.flows] == sorted(flow.line for flow in result.flows)


def test_main_guard_flows_are_not_deployable() -> None:
    result = scan(
        """
        from prefect import flow

        @flow
        def deployed():
            pass

        if __name__ == "__main__":
            @flow
            def script_only():
                pass

            deployed()
        """
    )
    flows = by_qualname(result)
    assert flows["deployed"].deployable is True
    assert flows["script_only"].deployable is False
    assert flows["script_only"].entrypoint is None
    assert codes(result) == ["AS105"]


# -- parameters --------------------------------------------------------------------------------


def test_parameters_kinds_annotations_defaults_required() -> None:
    flow = the_flow(
        scan(
            """
            from typing import Optional
            from prefect import flow

            LIMIT = 10

            @flow
            def my_flow(
                a,
                b: int,
                /,
                c: "list[str]" = ["x"],
                *args: Optional[int],
                d: dict[str, int] = {"k": 1},
                e: float = -1.5,
                f=compute(),
                g: bool,
                **kwargs,
            ):
                pass
            """
        )
    )
    params = [p.model_dump() for p in flow.parameters]
    assert params == [
        {
            "name": "a",
            "kind": "positional_only",
            "annotation": None,
            "default": None,
            "required": True,
        },
        {
            "name": "b",
            "kind": "positional_only",
            "annotation": "int",
            "default": None,
            "required": True,
        },
        {
            "name": "c",
            "kind": "positional_or_keyword",
            "annotation": '"list[str]"',
            "default": {"value": ["x"], "source": '["x"]', "dynamic": False},
            "required": False,
        },
        {
            "name": "args",
            "kind": "var_positional",
            "annotation": "Optional[int]",
            "default": None,
            "required": False,
        },
        {
            "name": "d",
            "kind": "keyword_only",
            "annotation": "dict[str, int]",
            "default": {"value": {"k": 1}, "source": '{"k": 1}', "dynamic": False},
            "required": False,
        },
        {
            "name": "e",
            "kind": "keyword_only",
            "annotation": "float",
            "default": {"value": -1.5, "source": "-1.5", "dynamic": False},
            "required": False,
        },
        {
            "name": "f",
            "kind": "keyword_only",
            "annotation": None,
            "default": {"value": None, "source": "compute()", "dynamic": True},
            "required": False,
        },
        {
            "name": "g",
            "kind": "keyword_only",
            "annotation": "bool",
            "default": None,
            "required": True,
        },
        {
            "name": "kwargs",
            "kind": "var_keyword",
            "annotation": None,
            "default": None,
            "required": False,
        },
    ]
    schema = flow.parameter_schema
    assert schema is not None
    assert schema["required"] == ["a", "b", "g"]
    assert list(schema["properties"]) == ["a", "b", "c", "args", "d", "e", "f", "g", "kwargs"]
    assert schema["properties"]["e"] == {
        "default": -1.5,
        "position": 5,
        "title": "e",
        "type": "number",
    }


def test_parameters_of_methods_keep_self_but_schema_drops_it() -> None:
    flow = the_flow(
        scan(
            """
            from prefect import flow

            class Holder:
                @flow
                def my_flow(self, x: int):
                    pass
            """
        )
    )
    assert [p.name for p in flow.parameters] == ["self", "x"]
    assert flow.is_method is True
    assert flow.parameter_schema == {
        "title": "Parameters",
        "type": "object",
        "properties": {"x": {"position": 1, "title": "x", "type": "integer"}},
        "required": ["x"],
        "definitions": {},
    }


def test_google_args_give_parameter_descriptions() -> None:
    flow = the_flow(
        scan(
            '''
            from prefect import flow

            @flow
            def my_flow(x: int, y: str = "a"):
                """Do it.

                Args:
                    x: the x value
                    y (str, optional): the y value
                        continued
                """
            '''
        )
    )
    assert flow.parameter_schema is not None
    assert flow.parameter_schema["properties"] == {
        "x": {"description": "the x value", "position": 0, "title": "x", "type": "integer"},
        "y": {
            "default": "a",
            "description": "the y value\ncontinued",
            "position": 1,
            "title": "y",
            "type": "string",
        },
    }


# -- diagnostics -------------------------------------------------------------------------------


def test_syntax_error_is_as001() -> None:
    result = scan_source(b"from prefect import flow\n\n@flow\ndef broken(:\n    pass\n", PATH)
    assert result.status == "failed"
    assert result.flows == ()
    [diagnostic] = result.diagnostics
    assert (diagnostic.code, diagnostic.severity, diagnostic.line) == ("AS001", "error", 4)
    assert diagnostic.path == PATH
    assert diagnostic.column >= 1


def test_inconsistent_tabs_are_as001() -> None:
    source = b"from prefect import flow\nif True:\n        x = 1\n\ty = 2\n"
    with pytest.raises(SyntaxError):
        compile(source, PATH, "exec")
    result = scan_source(source, PATH)
    assert result.status == "failed"
    assert codes(result) == ["AS001"]


def test_undecodable_utf8_is_as002() -> None:
    result = scan_source(b'from prefect import flow\n\n@flow\ndef f():\n    "\xff\xfe"\n', PATH)
    assert result.status == "failed"
    assert result.flows == ()
    [diagnostic] = result.diagnostics
    assert (diagnostic.code, diagnostic.severity, diagnostic.line) == ("AS002", "error", 5)


@pytest.mark.parametrize(
    "header",
    [
        b"# -*- coding: latin-1 -*-\n",
        b"#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-1 :\n",
    ],
)
def test_pep263_latin1_cookie_decodes(header: bytes) -> None:
    source = (
        header + b'from prefect import flow\n@flow(name="caf\xe9")\ndef f():\n    "Cr\xe8me."\n'
    )
    flow = the_flow(scan_source(source, PATH))
    assert flow.name == "café"
    assert flow.description == "Crème."
    assert flow.line == header.count(b"\n") + 3


def test_cookie_on_third_line_is_ignored_like_python() -> None:
    source = b'#!/usr/bin/env python\n\n# coding: latin-1\nfrom prefect import flow\nX = "\xe9"\n'
    with pytest.raises(SyntaxError):
        compile(source, PATH, "exec")
    result = scan_source(source, PATH)
    assert result.status == "failed"
    assert codes(result) == ["AS002"]


def test_utf8_bom_is_accepted_and_bom_with_other_cookie_is_as002() -> None:
    ok = scan_source(
        b'\xef\xbb\xbffrom prefect import flow\n@flow(name="\xc3\xa9")\ndef f(): ...\n', PATH
    )
    assert the_flow(ok).name == "é"
    assert the_flow(ok).line == 3
    bad = scan_source(b"\xef\xbb\xbf# coding: latin-1\nfrom prefect import flow\n", PATH)
    assert bad.status == "failed"
    assert codes(bad) == ["AS002"]


def test_unknown_codec_is_as002() -> None:
    result = scan_source(b"# coding: no-such-codec\nfrom prefect import flow\n", PATH)
    assert result.status == "failed"
    assert codes(result) == ["AS002"]


def test_positional_argument_is_as101_and_not_a_flow() -> None:
    result = scan(
        """
        from prefect import flow

        @flow("my name")
        def my_flow():
            pass
        """
    )
    assert result.flows == ()
    [diagnostic] = result.diagnostics
    assert (diagnostic.code, diagnostic.severity, diagnostic.line) == ("AS101", "error", 4)


@pytest.mark.parametrize("char", ["/", "%", "&", "<", ">"])
def test_banned_name_characters_are_as102(char: str) -> None:
    result = scan(
        f"""
        from prefect import flow

        @flow(name="a{char}b")
        def my_flow():
            pass

        def fn():
            pass

        x = flow(fn, name="c{char}d")
        y = flow(fn).with_options(name="e{char}f")
        """
    )
    assert result.flows == ()
    assert codes(result) == ["AS102", "AS102", "AS102"]
    assert {d.severity for d in result.diagnostics} == {"error"}
    assert [d.line for d in result.diagnostics] == [4, 11, 12]


@pytest.mark.parametrize("parameter", ["return_state", "wait_for"])
def test_reserved_parameters_are_as103(parameter: str) -> None:
    result = scan(
        f"""
        from prefect import flow

        @flow
        def a({parameter}):
            pass

        @flow
        def b(x, *, {parameter}=None):
            pass

        def c(**{parameter}):
            pass

        x = flow(c)
        """
    )
    assert result.flows == ()
    assert codes(result) == ["AS103", "AS103", "AS103"]


@pytest.mark.parametrize(
    "name_source",
    [
        "get_name()",
        'os.environ["FLOW_NAME"]',
        'f"{PREFIX:>10}"',
        "IMPORTED_NAME",
        "PREFIX.upper()",
        '"%s-x" % PREFIX',
        "UNBOUND",
        "REASSIGNED",
    ],
)
def test_dynamic_names_are_as104_with_null_name(name_source: str) -> None:
    result = scan(
        f"""
        import os
        from prefect import flow
        from settings import IMPORTED_NAME

        PREFIX = "p"
        REASSIGNED = "literal"
        REASSIGNED = compute()

        @flow(name={name_source})
        def my_flow():
            pass
        """
    )
    flow = the_flow(result)
    assert flow.name is None
    assert flow.kwargs["name"].dynamic is True
    [diagnostic] = result.diagnostics
    assert (diagnostic.code, diagnostic.severity, diagnostic.line) == ("AS104", "warning", 10)


def test_star_kwargs_name_is_as104_unless_name_given() -> None:
    result = scan(
        """
        from prefect import flow

        OPTIONS = {"retries": 2}

        @flow(**OPTIONS)
        def unknown():
            pass

        @flow(name="known", **OPTIONS)
        def known():
            pass
        """
    )
    flows = by_qualname(result)
    assert flows["unknown"].name is None
    assert flows["known"].name == "known"
    assert codes(result) == ["AS104"]


@pytest.mark.parametrize("keyword", ["nme", "cache_policy", "tags", "fn"])
def test_unknown_keyword_is_as106_and_not_a_flow(keyword: str) -> None:
    result = scan(
        f"""
        from prefect import flow

        @flow({keyword}="x")
        def my_flow():
            pass
        """
    )
    assert result.flows == ()
    [diagnostic] = result.diagnostics
    assert (diagnostic.code, diagnostic.severity, diagnostic.line) == ("AS106", "error", 4)
    assert keyword in diagnostic.message


def test_all_nineteen_prefect_keywords_are_accepted() -> None:
    keywords = [
        "name",
        "version",
        "flow_run_name",
        "retries",
        "retry_delay_seconds",
        "task_runner",
        "description",
        "timeout_seconds",
        "validate_parameters",
        "persist_result",
        "result_storage",
        "result_serializer",
        "cache_result_in_memory",
        "log_prints",
        "on_completion",
        "on_failure",
        "on_cancellation",
        "on_crashed",
        "on_running",
    ]
    arguments = ", ".join(f"{keyword}=None" for keyword in keywords)
    flow = the_flow(scan(f"from prefect import flow\n@flow({arguments})\ndef f(): ...\n"))
    assert sorted(flow.kwargs) == sorted(keywords)
    assert flow.name == "f"


def test_call_form_on_unknown_function_is_as107() -> None:
    result = scan(
        """
        from prefect import flow
        from elsewhere import job

        x = flow(job, name="wrapped")
        """
    )
    flow = the_flow(result)
    assert (flow.qualname, flow.name, flow.form) == ("x", "wrapped", "call")
    assert flow.parameter_schema is None
    assert flow.parameters == []
    assert codes(result) == ["AS107"]


# -- syntax of newer Pythons, ids, prefilter ---------------------------------------------------


def test_python_312_syntax_scans_on_any_supported_python() -> None:
    source = textwrap.dedent(
        """
        from prefect import flow

        type Alias = int
        type Pair[T] = tuple[T, T]

        class Box[T]:
            @flow
            def method[U](self, x: U) -> U:
                return x

        @flow(name=f"{"nested"}-quotes")
        def generic[T: (int, str), *Ts, **P](x: T, y: Alias = 1) -> T:
            return x
        """
    ).encode()
    if sys.version_info < (3, 12):
        with pytest.raises(SyntaxError):
            compile(source, PATH, "exec")
    result = scan_source(source, PATH)
    assert result.status == "parsed"
    flows = by_qualname(result)
    assert set(flows) == {"Box.method", "generic"}
    assert flows["generic"].name == "nested-quotes"
    assert [p.name for p in flows["generic"].parameters] == ["x", "y"]
    assert result.diagnostics == ()


def test_python_311_except_star_scans() -> None:
    result = scan(
        """
        from prefect import flow

        try:
            pass
        except* ValueError:
            pass

        @flow
        def my_flow():
            pass
        """
    )
    assert the_flow(result).name == "my-flow"


def test_ids_are_stable_and_distinct() -> None:
    source = """
        from prefect import flow

        @flow
        def a():
            pass

        class C:
            @flow
            def a(self):
                pass

        def plain():
            pass

        b = flow(plain)
    """
    first = scan(source)
    second = scan(source)
    assert [f.id for f in first.flows] == [f.id for f in second.flows]
    ids = [f.id for f in first.flows]
    assert len(ids) == len(set(ids))
    assert all(isinstance(i, str) and i for i in ids)
    moved = scan(source, path="other/flows.py")
    assert {f.id for f in moved.flows}.isdisjoint(ids)
    edited = scan("# a comment shifts every line\n" + textwrap.dedent(source))
    assert [f.id for f in edited.flows] == ids


def test_prefilter_skips_files_without_prefect() -> None:
    source = b"from metaflow import flow\n\n@flow\ndef f():\n    pass\n"
    skipped = scan_source(source, PATH)
    assert skipped.status == "skipped"
    assert skipped.flows == ()
    assert skipped.diagnostics == ()
    full = scan_source(source, PATH, prefilter=False)
    assert full.status == "parsed"
    assert full.flows == ()
    broken = scan_source(b"def f(:\n", PATH)
    assert broken.status == "skipped"
    assert scan_source(b"def f(:\n", PATH, prefilter=False).status == "failed"


def test_prefilter_does_not_skip_flows() -> None:
    result = scan_source(b"import prefect\n@prefect.flow\ndef f(): ...\n", PATH)
    assert the_flow(result).name == "f"


# -- known disagreements with Python/Prefect (xfail: fix the scanner, then drop the mark) ------


@pytest.mark.parametrize(
    ("name_source", "expected"),
    [('f"a\\"b"', 'a"b'), ('f"say \\"hi\\""', 'say "hi"')],
)
def test_fstring_with_escaped_quote(name_source: str, expected: str) -> None:
    flow = the_flow(scan(f"from prefect import flow\n@flow(name={name_source})\ndef f(): ...\n"))
    assert flow.name == expected


def test_fstring_self_documenting_expression() -> None:
    flow = the_flow(scan('from prefect import flow\nN = "x"\n@flow(name=f"{N=}")\ndef f(): ...\n'))
    assert flow.name == "N='x'"


@pytest.mark.parametrize("name_source", ["0", "False", 'b"x"', "[]"])
def test_non_string_name_is_as102(name_source: str) -> None:
    result = scan(f"from prefect import flow\n@flow(name={name_source})\ndef f(): ...\n")
    assert result.flows == ()
    assert codes(result) == ["AS102"]


def test_with_options_unknown_keyword_is_as106() -> None:
    result = scan(
        """
        from prefect import flow

        @flow
        def base():
            pass

        other = base.with_options(nme="x")
        """
    )
    assert [flow.qualname for flow in result.flows] == ["base"]
    assert codes(result) == ["AS106"]


def test_with_options_none_overrides_notset_keywords() -> None:
    result = scan(
        """
        from prefect import flow

        @flow(log_prints=True, persist_result=True)
        def base():
            pass

        other = base.with_options(log_prints=None, persist_result=None)
        """
    )
    other = by_qualname(result)["other"]
    assert other.kwargs["log_prints"].value is None
    assert other.kwargs["persist_result"].value is None


def test_call_form_with_non_callable_literal() -> None:
    result = scan('from prefect import flow\nx = flow("x")\n')
    assert result.flows == ()
    assert codes(result) == ["AS101"]


def test_call_form_on_lambda() -> None:
    flow = the_flow(scan("from prefect import flow\nx = flow(lambda a: a)\n"))
    assert flow.name == "unknown-lambda"
    assert [p.name for p in flow.parameters] == ["a"]


def test_flow_class_call_form() -> None:
    result = scan(
        """
        from prefect import Flow

        def fn():
            pass

        x = Flow(fn, name="from-class")
        """
    )
    assert summary(result) == {"x": ("from-class", "call")}


def test_walrus_rebinding_shadows_flow() -> None:
    result = scan(
        """
        from prefect import flow

        if (flow := None) is None:
            pass

        @flow
        def my_flow():
            pass
        """
    )
    assert result.flows == ()


@pytest.mark.xfail(
    strict=True,
    reason="CPython NFKC-normalises identifiers (PEP 3131): `from \uff50refect import flow` "
    "is Prefect's flow; the byte prefilter looks for `prefect` and skips the file",
)
def test_nfkc_normalised_module_name_is_skipped_by_the_prefilter() -> None:
    source = "from \uff50refect import flow\n@flow\ndef f(): ...\n"
    compile(source, PATH, "exec")
    flow = the_flow(scan_source(source.encode(), PATH))
    assert flow.qualname == "f"


def test_nfkc_normalised_identifiers_resolve_like_python() -> None:
    # CPython's parser normalises `\uff46low` to `flow` (PEP 3131), so it is Prefect's flow.
    source = "from prefect import flow\n@\uff46low\ndef f(): ...\n"
    compile(source, PATH, "exec")
    flow = the_flow(scan_source(source.encode(), PATH))
    assert (flow.qualname, flow.name) == ("f", "f")


COMPILE_TIME_ERRORS = {
    "duplicate-argument": "@flow\ndef f(x, x): ...\n",
    "repeated-keyword": "@flow(name='a', name='b')\ndef f(): ...\n",
    "return-outside-function": "@flow\ndef f(): ...\nreturn 1\n",
    "await-outside-function": "@flow\ndef f(): ...\nawait f()\n",
    "late-future-import": "@flow\ndef f(): ...\nfrom __future__ import annotations\n",
    "unknown-future-feature": "@flow\ndef f(): ...\nfrom __future__ import braces\n",
    "null-byte": "@flow\ndef f(): ...\n# \x00\n",
    "nonlocal-at-module-level": "@flow\ndef f(): ...\nnonlocal f\n",
    "star-import-in-function": "@flow\ndef f():\n    from os import *\n",
}


@pytest.mark.parametrize("body", COMPILE_TIME_ERRORS.values(), ids=COMPILE_TIME_ERRORS.keys())
def test_compile_time_syntax_errors_are_as001(body: str) -> None:
    source = "from prefect import flow\n" + body
    with pytest.raises((SyntaxError, ValueError)):
        compile(source, PATH, "exec")
    result = scan_source(source.encode(), PATH)
    assert result.status == "failed"
    assert codes(result) == ["AS001"]


@pytest.mark.parametrize("padding", [b"", b"\n"])
def test_non_ascii_compatible_cookie_fails(padding: bytes) -> None:
    # An odd byte count cannot decode as UTF-16 (AS002); an even one decodes into garbage that
    # is not Python (AS001), which is also what `compile(bytes)` (the import system) reports.
    source = b"# coding: utf-16\nfrom prefect import flow\n@flow\ndef f(): ...\n" + padding
    with pytest.raises(SyntaxError):
        compile(source, PATH, "exec")
    result = scan_source(source, PATH)
    assert result.status == "failed"
    assert result.flows == ()
    assert codes(result) in (["AS001"], ["AS002"])


def test_dynamic_name_is_deployable_with_a_null_name() -> None:
    """Prefect can load it (the entrypoint is known); only its name must wait for run time."""
    result = scan("from prefect import flow\n@flow(name=get())\ndef f(): ...\n")
    flow = the_flow(result)
    assert flow.name is None
    assert flow.deployable is True
    assert flow.entrypoint == f"{PATH}:f"


@pytest.mark.parametrize(
    "rebinding",
    ["def job():\n    pass\n", "job = None\n", "del job\n", "@flow\ndef job(x):\n    pass\n"],
    ids=["plain-def", "assignment", "del", "second-flow"],
)
def test_redefined_flow_is_not_deployable_under_its_old_binding(rebinding: str) -> None:
    result = scan_source(
        b"from prefect import flow\n\n@flow\ndef job():\n    pass\n\n" + rebinding.encode(), PATH
    )
    first = result.flows[0]
    assert (first.qualname, first.line) == ("job", 4)
    assert first.deployable is False
    assert first.entrypoint is None


def test_with_options_on_flow_accessed_through_its_class() -> None:
    result = scan(
        """
        from prefect import flow

        class Holder:
            @flow
            def method(self):
                pass

        y = Holder.method.with_options(name="y")
        """
    )
    assert summary(result) == {
        "Holder.method": ("method", "decorator"),
        "y": ("y", "with_options"),
    }


# Constructs CPython accepts in `ast.parse` but refuses in `compile()` (and some it accepts):
# the scan says AS001 exactly when compiling fails.
COMPILE_CASES = [
    "*a",
    "x = *a",
    "*a = b",
    "a, *b, *c = d",
    "a, (*b, *c) = d",
    "for *a in b: pass",
    "with x as *a: pass",
    "a = b = *c",
    "a += *b",
    "print(*a)\nx = [*a, *b]\nx = (*a,)\nx[*a]\na[*b] = 1",
    "return 1",
    "class C:\n    return 1",
    "class C:\n    if x:\n        from os import *",
    "def g():\n    from os import *",
    "for x in y:\n    pass\nelse:\n    break",
    "while 1:\n    def g():\n        break",
    "while 1:\n    class K:\n        continue",
    "while 1:\n    try:\n        pass\n    finally:\n        continue",
    "for x in y:\n    if x:\n        break\n    else:\n        continue",
    "async def g():\n    yield 1\n    return 2",
    "def g():\n    x = [(yield) for y in z]",
    "__debug__ = 1",
    "def g(__debug__): pass",
    "g(__debug__=1)",
    "def g(a, *, b, a): pass",
    "def g(a, /, b, *a): pass",
    "lambda x, x: 0",
    "def g():\n    global x\n    x: int = 1",
    "x = 1\nglobal x",
    "nonlocal x",
    "def g():\n    nonlocal x",
    "try:\n    pass\nexcept:\n    pass\nexcept ValueError:\n    pass",
    "try:\n    pass\nexcept ValueError:\n    pass\nexcept:\n    pass",
    "from __future__ import annotations",
    "import os\nfrom __future__ import annotations",
    "if x:\n    from __future__ import annotations",
    "def g():\n    from __future__ import annotations",
    "from __future__ import braces",
    "from __future__ import nested_scopes, generator_stop",
    "async def g():\n    async for x in y:\n        pass",
    "def g():\n    async for x in y:\n        pass",
    "def g():\n    async with x:\n        pass",
    "def g():\n    await x",
    "async def g():\n    [x async for x in y]",
    "def g():\n    [x async for x in y]",
    "[x for *y in z]",
    "[y := 1 for y in z]",
    "class C:\n    [(y := 1) for x in z]",
    "match x:\n    case a | b:\n        pass",
    "match x:\n    case a:\n        pass\n    case b:\n        pass",
    "".join(f"{'    ' * i}for x{i} in y:\n" for i in range(21)) + "    " * 21 + "pass",
    "".join(f"{'    ' * i}for x{i} in y:\n" for i in range(12)) + "    " * 12 + "pass",
]


@pytest.mark.parametrize("body", COMPILE_CASES)
def test_as001_exactly_when_cpython_refuses_to_compile(body: str) -> None:
    source = f"from prefect import flow\n\n@flow\ndef f(): ...\n\n{body}\n"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        pytest.skip("rejected by this Python's parser")
    try:
        compile(tree, PATH, "exec")
    except SyntaxError:
        compiles = False
    else:
        compiles = True
    result = scan_source(source.encode(), PATH)
    assert (result.status == "parsed") is compiles, result.diagnostics
    assert bool(result.flows) is compiles
