"""The Airflow recogniser through `scan_source`: spellings, what registers, diagnostics.

Inline snippets, no Airflow needed; `tests/airflow/test_oracle.py` checks the same rules
against the real DagBag.
"""

from __future__ import annotations

import textwrap

import pytest

from acme_scan import scan_source
from acme_scan.models import Flow, ModuleScan
from acme_scan.scanner.airflow import could_define_dags, dag_id_problem
from acme_scan.scanner.core import FRAMEWORKS
from acme_scan.settings import FRAMEWORKS as SETTINGS_FRAMEWORKS


def scan(code: str, **options: object) -> ModuleScan:
    return scan_source(textwrap.dedent(code).encode(), "dags/m.py", **options)  # type: ignore[arg-type]


def dags(result: ModuleScan) -> dict[str | None, Flow]:
    return {f.name: f for f in result.flows if f.framework == "airflow"}


def registered(code: str) -> list[str | None]:
    return sorted(
        (f.name for f in scan(code).flows if f.framework == "airflow" and f.deployable),
        key=str,
    )


def codes(result: ModuleScan) -> list[str]:
    return [d.code for d in result.diagnostics]


@pytest.mark.parametrize(
    ("imports", "make"),
    [
        ("from airflow.sdk import DAG", "DAG"),
        ("from airflow import DAG", "DAG"),
        ("from airflow.models import DAG", "DAG"),
        ("from airflow.models.dag import DAG", "DAG"),
        ("from airflow.sdk import DAG as D", "D"),
        ("import airflow", "airflow.DAG"),
        ("import airflow.sdk", "airflow.sdk.DAG"),
        ("import airflow.sdk as a", "a.DAG"),
        ("from airflow import sdk as af", "af.DAG"),
        ("from airflow.sdk import *", "DAG"),
        ("try:\n    from airflow.sdk import DAG\nexcept ImportError:\n    DAG = None", "DAG"),
    ],
)
def test_dag_class_spellings(imports: str, make: str) -> None:
    code = f"{imports}\nwith {make}('x_with'):\n    pass\nkept = {make}(dag_id='x_kept')\n"
    assert registered(code) == ["x_kept", "x_with"]


@pytest.mark.parametrize(
    ("imports", "decorator"),
    [
        ("from airflow.sdk import dag", "dag"),
        ("from airflow.decorators import dag", "dag"),
        ("from airflow.models.dag import dag", "dag"),
        ("from airflow.sdk import dag as d", "d"),
        ("import airflow.sdk", "airflow.sdk.dag"),
        ("import airflow.sdk as sdk", "sdk.dag"),
    ],
)
@pytest.mark.parametrize("called", ["", "()", "(schedule=None)"])
def test_dag_decorator_spellings(imports: str, decorator: str, called: str) -> None:
    code = f"{imports}\n@{decorator}{called}\ndef my_dag():\n    pass\nmy_dag()\n"
    result = scan(code)
    (found,) = dags(result).values()
    assert (found.name, found.qualname, found.form, found.line, found.deployable) == (
        "my_dag",
        "my_dag",
        "dag_decorator",
        3 + imports.count("\n"),
        True,
    )


def test_not_airflow_is_not_a_dag() -> None:
    code = """
    from airflow.sdk import DAG
    from mylib import dag
    DAG = dict
    with DAG(a=1):
        pass
    @dag
    def f():
        pass
    f()
    """
    assert dags(scan(code)) == {}


def test_what_registers_and_what_does_not() -> None:
    code = """
    from airflow.sdk import DAG, dag
    with DAG("a_with"): pass
    with DAG("a_as") as d: pass
    b = DAG("b_global")
    DAG("c_bare")
    holder = {"k": DAG("d_in_dict")}
    e = DAG("e_rebound")
    e = None
    with DAG("f_ar_false", auto_register=False): pass
    with DAG("g_ar_false_as", auto_register=False) as g: pass
    if __name__ == "__main__":
        with DAG("h_main"): pass
    @dag
    def i_never_called(): pass
    @dag(dag_id="j_id")
    def j(): pass
    j()
    k = DAG("k_later")
    with k: pass
    """
    assert registered(code) == ["a_as", "a_with", "b_global", "g_ar_false_as", "j_id", "k_later"]
    found = dags(scan(code))
    assert found["a_with"].qualname is None
    assert found["a_as"].qualname == "d"
    assert found["j_id"].qualname == "j"
    assert found["j_id"].function == "j"
    assert found["i_never_called"].deployable is False


def test_positions_description_and_kwargs() -> None:
    code = """
    from airflow.sdk import DAG, dag

    TEAM = "ops"
    with DAG(
        f"{TEAM}_etl",
        description="Loads " + TEAM,
        schedule="@daily",
        tags=["a", TEAM],
    ) as etl:
        pass

    @dag("positional_id", description="d")
    def report():
        '''The docstring is doc_md.'''

    report()
    """
    found = dags(scan(code))
    etl, report = found["ops_etl"], found["positional_id"]
    assert (etl.line, etl.column, etl.description, etl.form) == (5, 1, "Loads ops", "dag")
    assert etl.kwargs["schedule"].value == "@daily"
    assert etl.kwargs["tags"].value == ["a", "ops"]
    assert etl.kwargs["dag_id"].value == "ops_etl"
    assert (report.line, report.decorator_line, report.description) == (14, 13, "d")
    assert report.kwargs["dag_id"].source == '"positional_id"'


def test_assets_are_dags_named_after_the_function() -> None:
    code = """
    from airflow.sdk import Asset, asset
    @asset(schedule="@daily")
    def raw(): pass
    @asset(name="named", schedule=None)
    def f(): pass
    @asset(dag_id="wins", name="n", schedule=None)
    def g(): pass
    @asset.multi(schedule=None, outlets=[Asset("x")])
    def multi(): pass
    """
    assert registered(code) == ["multi", "named", "raw", "wins"]
    assert {f.form for f in dags(scan(code)).values()} == {"asset"}


@pytest.mark.parametrize(
    "bad",
    [
        'with DAG("bad id!"): pass',
        'with DAG("x" + "' + "y" * 250 + '"): pass',
        'with DAG("two", "positional"): pass',
        'with DAG("kw", no_such_argument=1): pass',
        "with DAG(): pass",
        "@asset\ndef bare(): pass",
        "@asset(description='no schedule')\ndef f(): pass",
        "class C:\n    @asset(schedule=None)\n    def method(self): pass",
    ],
)
def test_an_import_error_registers_nothing_in_the_file(bad: str) -> None:
    code = f"from airflow.sdk import DAG, asset\nwith DAG('good'): pass\n{bad}\n"
    result = scan(code)
    assert registered(code) == []
    assert {"AS401", "AS405"} & set(codes(result))
    assert dags(result)["good"].deployable is False


def test_dynamic_ids_are_null_with_a_diagnostic() -> None:
    code = """
    from airflow.sdk import DAG, dag
    for team in ["a", "b"]:
        with DAG(f"etl_{team}"): pass
    def make(i):
        with DAG(f"made_{i}"): pass
    make(1)
    @dag(dag_id=compute())
    def f(): pass
    f()
    """
    result = scan(code)
    assert registered(code) == []
    assert [f.name for f in result.flows] == [None, None, None]
    assert codes(result).count("AS402") == 3


def test_factories_register_only_when_called_at_import() -> None:
    code = """
    from airflow.sdk import DAG
    def called():
        with DAG("from_called"): pass
    def not_called():
        with DAG("from_not_called"): pass
    called()
    """
    result = scan(code)
    assert registered(code) == ["from_called"]
    assert "AS404" in codes(result)


def test_duplicates_in_one_file_keep_the_first() -> None:
    code = """
    from airflow.sdk import DAG
    with DAG("same", description="1"): pass
    with DAG("same", description="2"): pass
    """
    result = scan(code)
    first, second = (f for f in result.flows if f.framework == "airflow")
    assert (first.deployable, second.deployable) == (True, False)
    assert "AS406" in codes(result)
    assert first.id != second.id


@pytest.mark.parametrize(
    ("dag_id", "ok"),
    [
        ("a" * 250, True),
        ("a" * 251, False),
        ("with.dot-dash_", True),
        ("héllo_ü", True),
        ("bad id!", False),
        ("sl/ash", False),
        ("", False),
        (3, False),
    ],
)
def test_dag_id_validation_is_airflows(dag_id: object, ok: bool) -> None:
    assert (dag_id_problem(dag_id) is None) == ok


def test_prefect_and_airflow_in_one_file_and_framework_selection() -> None:
    code = """
    from prefect import flow
    from airflow.sdk import DAG
    @flow
    def p(): pass
    with DAG("a"): pass
    """
    assert [f.framework for f in scan(code).flows] == ["prefect", "airflow"]
    assert [f.framework for f in scan(code, frameworks=["prefect"]).flows] == ["prefect"]
    assert [f.framework for f in scan(code, frameworks=["airflow"]).flows] == ["airflow"]
    assert FRAMEWORKS == SETTINGS_FRAMEWORKS


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        (b"from airflow.sdk import DAG", True),
        (b"import airflow.sdk as a\na.asset", True),
        (b"# airflow dag", True),
        (b"# AIRFLOW DAG", False),
        (b"import airflow", False),
        (b"from x import DAG", False),
    ],
)
def test_prefilter_keeps_what_can_name_airflows_dag(source: bytes, kept: bool) -> None:
    assert could_define_dags(source) is kept
