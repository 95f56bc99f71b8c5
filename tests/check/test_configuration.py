"""Rule selection, severities and suppression comments."""

from __future__ import annotations

import pytest

from acme_scan.check import run_check
from acme_scan.check.config import Overrides, SelectionError
from acme_scan.check.suppression import suppressions
from acme_scan.errors import ConfigError
from acme_scan.root import ProjectPathsError
from tests.check.conftest import Check, codes
from tests.conftest import WriteFiles

DUPLICATES = {
    "a.py": "from prefect import flow\n\n@flow\ndef etl(): ...\n",
    "b.py": "from prefect import flow\n\n@flow(name='etl')\ndef other(): ...\n",
}
NESTED = "from prefect import flow\n\ndef outer():\n    @flow\n    def inner(): ...\n"


def pyproject(body: str) -> dict[str, str | bytes]:
    return {"pyproject.toml": f"[tool.acme-scan]\n{body}\n"}


def test_ignore_in_settings(check: Check) -> None:
    assert codes(check(DUPLICATES)) == ["AS201", "AS201"]
    assert check({**DUPLICATES, **pyproject('ignore = ["AS201"]')}) == []
    assert check({**DUPLICATES, **pyproject('ignore = ["duplicate-name"]')}) == []
    assert check({**DUPLICATES, **pyproject('ignore = ["AS2"]')}) == []


def test_select_replaces_the_defaults(check: Check) -> None:
    files = {**DUPLICATES, "n.py": NESTED, **pyproject('select = ["AS105"]')}
    assert codes(check(files)) == ["AS105"]
    assert codes(check(files, select=["AS201"])) == ["AS201", "AS201"]  # the option wins


def test_select_all_turns_on_opt_in_rules_and_ignore_wins(check: Check) -> None:
    files = {"n.py": "from prefect import flow\n\n@flow\ndef f(x): ...\n"}
    assert codes(check({**files, **pyproject('select = ["ALL"]')})) == ["AS211", "AS212"]
    settings = pyproject('select = ["ALL"]\nignore = ["AS211"]')
    assert codes(check({**files, **settings})) == ["AS212"]
    assert codes(check(files, extend_select=["AS211,AS212"], ignore=["AS212"])) == ["AS211"]


def test_severity_overrides(check: Check) -> None:
    files = {
        **DUPLICATES,
        "n.py": NESTED,
        **pyproject('severity = {AS201 = "warning", AS105 = "error"}'),
    }
    assert [(f.code, f.severity) for f in check(files)] == [
        ("AS201", "warning"),
        ("AS201", "warning"),
        ("AS105", "error"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('select = "AS201"', "'select' must be a list of rule codes"),
        ('ignore = ["AS999"]', "'ignore': no rule matches 'AS999'"),
        ('extend-select = ["nope"]', "'extend-select': no rule matches 'nope'"),
        ('severity = {AS201 = "fatal"}', 'must be "error", "warning" or "info"'),
        ('severity = {AS999 = "error"}', "unknown rule code 'AS999'"),
        ("severity = 1", "'severity' must be a table"),
        ("deploy-config = 1", "'deploy-config' must be a non-empty string"),
        ('deploy-config = "nope.yaml"', "'deploy-config': no such file: nope.yaml"),
        ("rules = 1", "unknown key 'rules'"),
    ],
)
def test_invalid_settings(write_files: WriteFiles, body: str, message: str) -> None:
    root = write_files(pyproject(body))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_check(root, write=False)


def test_invalid_selector_option(write_files: WriteFiles) -> None:
    root = write_files({})
    with pytest.raises(SelectionError, match="--ignore: no rule matches 'XX'"):
        run_check(root, overrides=Overrides(ignore=["XX"]), write=False)


def test_suppression_comments(check: Check) -> None:
    files = {
        "a.py": DUPLICATES["a.py"].replace("...", "...  # acme-scan: ignore[AS201]"),
        "b.py": DUPLICATES["b.py"].replace("...", "...  # acme-scan: ignore"),
    }
    assert check(files) == []
    wrong_code = {**files, "b.py": files["b.py"].replace("ignore\n", "ignore[AS105, AS202]\n")}
    assert [(f.code, f.path) for f in check(wrong_code)] == [("AS201", "b.py")]
    other_line = {**files, "b.py": "# acme-scan: ignore\n" + DUPLICATES["b.py"]}
    assert [(f.code, f.path) for f in check(other_line)] == [("AS201", "b.py")]


def test_suppression_in_the_deploy_config(check: Check) -> None:
    config = ".acme_portal_sdk/static_flow_deploy_config.yaml"
    files = {
        "a.py": DUPLICATES["a.py"],
        config: "defaults: &d  # acme-scan: ignore[AS302]\n  work_pool_name: p\netl:\n  <<: *d\n",
    }
    assert check(files) == []


@pytest.mark.parametrize("comment", ["# acme-scan: ignore", "# ACME-Scan: Ignore"])
def test_suppression_counts(write_files: WriteFiles, comment: str) -> None:
    """A comment in a file suppresses its line's findings, in any letter case."""
    root = write_files({**DUPLICATES, "b.py": DUPLICATES["b.py"].replace("...", f"...  {comment}")})
    result = run_check(root, write=False)
    assert (codes(result.findings), result.suppressed) == (["AS201"], 1)


def test_suppression_parsing() -> None:
    text = (
        "a  # acme-scan: ignore[as201 , AS202]\r\nb # ACME-SCAN: IGNORE\rc # acme-scan: ignore[]\n"
    )
    assert suppressions(text) == {1: frozenset({"AS201", "AS202"}), 2: None, 3: frozenset()}
    assert suppressions("x = 1\f# acme-scan: ignore\n") == {1: None}  # \f does not end a line


def test_paths_select_findings_touching_them(
    write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_files({**DUPLICATES, "n.py": NESTED, "sub/c.py": NESTED.replace("inner", "x")})
    monkeypatch.chdir(root)

    def found(*paths: str) -> list[tuple[str, str]]:
        result = run_check(".", list(paths) or None, write=False)
        return [(f.code, f.path) for f in result.findings]

    assert found("b.py") == [("AS201", "a.py"), ("AS201", "b.py")]  # touches both
    assert found("n.py") == [("AS105", "n.py")]
    assert found("sub") == [("AS105", "sub/c.py")]
    assert found(".") == found()
    with pytest.raises(ProjectPathsError, match="outside the project root"):
        run_check(".", [str(root.parent)], write=False)  # outside the root: never ignored
