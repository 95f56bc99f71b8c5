"""Project rules over flows (AS2xx) and the scanner diagnostics `check` reuses."""

from __future__ import annotations

import pytest

from tests.check.conftest import Check, codes, where

HEADER = "from prefect import flow\n\n"


def test_duplicate_name_across_files_is_reported_at_both(check: Check) -> None:
    findings = check(
        {
            "a.py": HEADER + "@flow\ndef etl(): ...\n",
            "b.py": HEADER + "@flow(name='etl')\ndef other(): ...\n",
        }
    )
    assert where(findings) == [("AS201", "a.py", 4, 1), ("AS201", "b.py", 4, 1)]
    assert "flow name 'etl' is also defined at b.py:4:1" in findings[0].message
    assert [str(location) for location in findings[0].related] == ["b.py:4:1"]


def test_distinct_names_and_aliases_are_not_duplicates(check: Check) -> None:
    source = (
        HEADER
        + "@flow\ndef etl(): ...\n\n"
        + "alias = etl\nretrying = etl.with_options(retries=3)\n"
        + "renamed = etl.with_options(name='etl-2')\n"
        + "@flow\ndef load(): ...\n"
    )
    assert check({"a.py": source}) == []


def test_duplicate_methods_in_one_file(check: Check) -> None:
    source = (
        HEADER
        + "class A:\n    @flow\n    @staticmethod\n    def run(): ...\n\n"
        + "class B:\n    @flow\n    @staticmethod\n    def run(): ...\n"
    )
    assert where(check({"m.py": source})) == [("AS201", "m.py", 6, 5), ("AS201", "m.py", 11, 5)]


def test_names_equal_once_dash_and_underscore_are_normalised(check: Check) -> None:
    findings = check(
        {
            "a.py": HEADER + "@flow\ndef load_data(): ...\n",  # Prefect name: load-data
            "b.py": HEADER + "@flow(name='load_data')\ndef other(): ...\n",
        }
    )
    assert codes(findings) == ["AS202", "AS202"]
    assert "'load-data' and 'load_data' (b.py:4:1) differ only by '-'/'_'" in findings[0].message


def test_dynamic_names_never_collide(check: Check) -> None:
    source = HEADER + "import os\n@flow(name=os.environ['X'])\ndef a(): ...\n"
    findings = check({"a.py": source, "b.py": source})
    assert codes(findings) == ["AS104", "AS104"]


def test_empty_name_is_a_warning(check: Check) -> None:
    findings = check({"a.py": HEADER + "@flow(name='')\ndef load_data(): ...\n"})
    assert codes(findings) == ["AS203"]
    assert findings[0].severity == "warning"
    assert "Prefect names this flow 'load-data'" in findings[0].message
    assert check({"a.py": HEADER + "@flow(name='x')\ndef load_data(): ...\n"}) == []


def test_missing_description_is_opt_in(check: Check) -> None:
    files = {"a.py": HEADER + "@flow\ndef bare(): ...\n"}
    assert check(files) == []
    findings = check(files, extend_select=["AS211"])
    assert where(findings) == [("AS211", "a.py", 4, 1)]
    documented = {"a.py": HEADER + '@flow\ndef bare():\n    """Does it."""\n'}
    assert check(documented, extend_select=["AS211"]) == []
    described = {"a.py": HEADER + "@flow(description='d')\ndef bare(): ...\n"}
    assert check(described, extend_select=["missing-description"]) == []


def test_missing_annotation_is_opt_in(check: Check) -> None:
    source = (
        HEADER
        + "@flow\ndef f(a, b: int, *args, c=1, **kwargs): ...\n\n"
        + "class K:\n    @flow\n    @classmethod\n    def m(cls, x: str): ...\n"
    )
    assert check({"a.py": source}) == []
    findings = check({"a.py": source}, extend_select=["AS212"])
    assert where(findings) == [("AS212", "a.py", 4, 1)]
    assert "parameters `a`, `c` have no type annotation" in findings[0].message


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("from prefect import flow\ndef broken(:\n", "AS001"),
        (HEADER + "@flow('x')\ndef f(): ...\n", "AS101"),
        (HEADER + "@flow(name='a/b')\ndef f(): ...\n", "AS102"),
        (HEADER + "@flow(name='a<b')\ndef f(): ...\n", "AS102"),
        (HEADER + "@flow\ndef f(wait_for: int): ...\n", "AS103"),
        (HEADER + "@flow\ndef f(return_state: int): ...\n", "AS103"),
        (HEADER + "import os\n@flow(name=os.getenv('N'))\ndef f(): ...\n", "AS104"),
        (HEADER + "def outer():\n    @flow\n    def inner(): ...\n", "AS105"),
    ],
)
def test_scanner_diagnostics_are_rules(check: Check, source: str, code: str) -> None:
    assert codes(check({"f.py": source})) == [code]


@pytest.mark.parametrize(
    "source",
    [
        HEADER + "@flow(name='x')\ndef f(n: int = 1): ...\n",
        HEADER + "CONST = 'c'\n@flow(name=CONST)\ndef f(): ...\n",
        "def not_prefect(:\n",  # never mentions prefect: not parsed (the prefilter)
    ],
)
def test_clean_files(check: Check, source: str) -> None:
    assert check({"f.py": source}) == []


def test_a_name_defined_many_times_gives_bounded_findings(check: Check) -> None:
    files = {f"m{i:02d}.py": HEADER + "@flow\ndef etl(): ...\n" for i in range(40)}
    findings = check(files)
    assert len(findings) == 40  # one per definition
    for finding in findings:
        assert len(finding.related) <= 5
        assert "and 34 more" in finding.message


AIRFLOW = "from airflow.sdk import DAG\n\n"


def test_duplicate_dag_ids_across_files_and_not_across_frameworks(check: Check) -> None:
    findings = check(
        {
            "dags/a.py": AIRFLOW + "with DAG('etl'):\n    pass\n",
            "dags/b.py": AIRFLOW + "with DAG('etl'):\n    pass\n",
            "flows/c.py": HEADER + "@flow\ndef etl(): ...\n",  # a Prefect flow of that name
        }
    )
    assert where(findings) == [("AS204", "dags/a.py", 3, 1), ("AS204", "dags/b.py", 3, 1)]
    assert "dag_id 'etl' is also registered by dags/b.py:3:1" in findings[0].message


def test_airflow_diagnostics_are_check_findings(check: Check) -> None:
    findings = check(
        {"dags/a.py": AIRFLOW + "with DAG('bad id!'):\n    pass\nDAG('thrown_away')\n"}
    )
    assert codes(findings) == ["AS401", "AS403"]
