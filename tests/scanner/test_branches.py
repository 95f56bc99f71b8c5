"""Branches, TYPE_CHECKING and decorators above `@flow`: what Python would run."""

from __future__ import annotations

import textwrap

from acme_scan import scan_source


def scan(code: str) -> tuple[list[tuple[str, str | None, bool]], list[tuple[int, str]]]:
    result = scan_source(textwrap.dedent(code).encode(), "m.py")
    flows = [(flow.qualname or "", flow.name, flow.deployable) for flow in result.flows]
    return flows, [(d.line, d.code) for d in result.diagnostics]


def test_a_flow_defined_in_both_branches_is_reported_as_conditional() -> None:
    flows, diagnostics = scan(
        """
        import os
        from prefect import flow
        if os.environ.get("X"):
            @flow(name="when-set")
            def pick(): ...
        else:
            @flow(name="when-unset")
            def pick(): ...
        """
    )
    assert flows == [("pick", "when-set", True), ("pick", "when-unset", True)]
    assert diagnostics == [(6, "AS108"), (9, "AS108")]


def test_try_except_variants_are_conditional_too() -> None:
    flows, diagnostics = scan(
        """
        from prefect import flow
        try:
            import optional_extra
            @flow(name="with-extra")
            def feature(): ...
        except ImportError:
            @flow(name="without-extra")
            def feature(): ...
        """
    )
    assert [name for _, name, _ in flows] == ["with-extra", "without-extra"]
    assert [code for _, code in diagnostics] == ["AS108", "AS108"]


def test_prefects_decorator_wins_over_a_fallback_import() -> None:
    flows, _ = scan(
        """
        try:
            from acme_missing_helpers import flow
        except ImportError:
            from prefect import flow

        @flow
        def fallback_bare(): ...
        """
    )
    assert flows == [("fallback_bare", "fallback-bare", True)]


def test_type_checking_imports_never_run() -> None:
    flows, _ = scan(
        """
        import typing
        from typing import TYPE_CHECKING
        from prefect import flow
        if TYPE_CHECKING:
            from metaflow import flow
        if typing.TYPE_CHECKING:
            flow = None

        @flow
        def still_prefect(): ...
        """
    )
    assert flows == [("still_prefect", "still-prefect", True)]


def test_type_checking_else_branch_runs() -> None:
    flows, _ = scan(
        """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from prefect import flow
        else:
            from metaflow import flow

        @flow
        def not_prefect(): ...
        """
    )
    assert flows == []


def test_a_decorator_above_the_flow_is_a_warning() -> None:
    flows, diagnostics = scan(
        """
        from prefect import flow
        def deco(fn): return fn

        class K:
            @staticmethod
            @flow
            def kept(): ...

        @deco
        @flow
        def wrapped(): ...
        """
    )
    assert flows == [("K.kept", "kept", True), ("wrapped", "wrapped", True)]
    assert diagnostics == [(10, "AS109")]
