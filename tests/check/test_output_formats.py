"""`acme-scan check` output to ruff's conventions: formats, statistics, exit codes, colour."""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import orjson
import pytest

from acme_scan.check.formats import use_colour
from acme_scan.cli.check import Progress
from tests.check.test_cli import DUPLICATES, NESTED, Project, in_project, run
from tests.conftest import FIXTURES

__all__ = ["in_project"]  # the fixture, shared with test_cli
SARIF_SCHEMA = FIXTURES / "schemas" / "sarif-schema-2.1.0.json"
CONFIG = ".acme_portal_sdk/static_flow_deploy_config.yaml"
MIXED = {
    **DUPLICATES,
    **NESTED,
    "flows/bad.py": "from prefect import flow\n\n\n@flow('load')  # keep me\ndef f(): ...\n",
    CONFIG: "etl:\n  work_pool: x\n",
}


@pytest.fixture
def mixed(in_project: Project, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return in_project(MIXED)


def findings_of(capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, _ = run(["check", "-q"], capsys)
    assert code == 1
    return [line for line in out.splitlines() if line]


def test_sarif_validates_against_the_schema(
    mixed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = findings_of(capsys)
    code, out, _ = run(["check", "-q", "--output-format", "sarif"], capsys)
    assert code == 1
    document = orjson.loads(out)
    schema = orjson.loads(SARIF_SCHEMA.read_bytes())
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(document)
    (sarif_run,) = document["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert all(rule["help"]["text"] and rule["shortDescription"]["text"] for rule in rules)
    results = sarif_run["results"]
    assert len(results) == len(expected)
    assert {r["ruleId"] for r in results} == {"AS101", "AS105", "AS201", "AS303"}
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    duplicate = next(r for r in results if r["ruleId"] == "AS201")
    assert duplicate["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] in (
        "flows/a.py",
        "flows/b.py",
    )
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == mixed.resolve().as_uri() + "/"


def test_machine_formats_carry_every_finding(
    mixed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    count = len(findings_of(capsys))
    _, out, _ = run(["check", "-q", "--output-format", "json-lines"], capsys)
    lines = [orjson.loads(line) for line in out.splitlines()]
    assert len(lines) == count
    assert {line["code"] for line in lines} == {"AS101", "AS105", "AS201", "AS303"}
    _, out, _ = run(["check", "-q", "--output-format", "junit"], capsys)
    suites = ET.fromstring(out)
    assert suites.get("failures") == str(count)
    assert len(suites.findall("./testsuite/testcase/failure")) == count
    _, out, _ = run(["check", "-q", "--output-format", "gitlab"], capsys)
    issues = orjson.loads(out)
    assert len(issues) == count
    assert len({issue["fingerprint"] for issue in issues}) == count
    assert {issue["severity"] for issue in issues} == {"major", "minor"}


def test_junit_without_findings(in_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    in_project({"flows/a.py": DUPLICATES["flows/a.py"]})
    code, out, _ = run(["check", "-q", "--output-format", "junit"], capsys)
    assert code == 0
    case = ET.fromstring(out).find("./testsuite/testcase")
    assert case is not None
    assert case.get("name") == "No errors found"


def test_full_format_shows_the_line_with_a_caret(
    mixed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(["check", "-q", "--output-format", "full", "flows/bad.py"], capsys)
    lines = out.splitlines()
    head = lines.index(next(line for line in lines if line.startswith("flows/bad.py:4:")))
    assert "AS101" in lines[head]
    assert lines[head + 2] == "4 | @flow('load')  # keep me"
    assert lines[head + 3] == "  | ^"
    assert lines[head + 5].startswith("  = positional-argument: ")


def test_statistics(mixed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "-q", "--statistics"], capsys)
    assert code == 1
    rows = [line.split("\t") for line in out.splitlines()]
    assert rows[0][:2] == ["2", "AS201"]
    assert sorted(row[1] for row in rows) == ["AS101", "AS105", "AS201", "AS303"]
    _, out, _ = run(["check", "-q", "--statistics", "--output-format", "json"], capsys)
    stats = orjson.loads(out)
    assert stats[0] == {"code": "AS201", "name": "duplicate-name", "count": 2, "fixable": False}


def test_exit_zero_and_output_file(mixed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = findings_of(capsys)
    target = mixed / "reports" / "check.txt"
    code, out, err = run(["check", "--exit-zero", "--output-file", str(target)], capsys)
    assert (code, out) == (0, "")
    assert "4 errors" in err or "errors" in err
    assert [line for line in target.read_text().splitlines() if line] == expected


def test_format_is_a_deprecated_alias(mixed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = findings_of(capsys)
    code, out, err = run(["check", "-q", "--format", "human"], capsys)
    assert code == 1
    assert [line for line in out.splitlines() if line] == expected
    assert "--format is deprecated, use --output-format concise" in err
    assert "--format" not in run(["check", "--help"], capsys)[1]


def test_cli_select_replaces_the_whole_configured_selection(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project(
        {
            **DUPLICATES,
            "pyproject.toml": "[tool.acme-scan]\nextend-select = ['AS211']\nignore = ['AS201']\n",
        }
    )
    _, out, _ = run(["check", "-q"], capsys)
    assert "AS211" in out
    assert "AS201" not in out
    _, out, _ = run(["check", "-q", "--select", "AS201"], capsys)
    codes = {line.split()[1] for line in out.splitlines() if line}
    assert codes == {"AS201"}
    _, out, _ = run(["check", "-q", "--select", "AS2", "--ignore", "AS201"], capsys)
    assert {line.split()[1] for line in out.splitlines() if line} == {"AS211"}


@pytest.mark.parametrize(
    ("environ", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_honours_no_color_and_force_color(
    environ: dict[str, str], tty: bool, expected: bool
) -> None:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert use_colour(Stream(), environ) is expected


def test_force_color_paints_human_output_only(
    mixed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out, _ = run(["check", "-q"], capsys)
    assert "\033[1;31mAS201\033[0m" in out
    _, out, _ = run(["check", "-q", "--output-format", "json"], capsys)
    assert "\033[" not in out


def test_progress_draws_only_on_a_terminal_and_cleans_up() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    with Progress(terminal, delay=0.0, every=0.01) as progress:
        deadline = time.monotonic() + 10
        while not progress.drawn and time.monotonic() < deadline:
            progress.stop.wait(0.01)
    assert progress.thread is not None
    assert not progress.thread.is_alive()
    text = terminal.getvalue()
    assert "acme-scan check: scanning the project..." in text
    assert text.endswith("\r\033[K")
    piped = io.StringIO()
    with Progress(piped, delay=0.0) as progress:
        pass
    assert progress.thread is None
    assert piped.getvalue() == ""


def test_did_you_mean(in_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["chekc"], capsys)
    assert code == 2
    assert "unknown command 'chekc'; did you mean 'check'?" in err
    in_project(
        {
            "flows/a.py": "from prefect import flow\n\n@flow(retires=3)\ndef a(): ...\n",
            "flows/b.py": "from prefect import flow\n\n@flow(\ndef b(): ...\n",
        }
    )
    _, out, _ = run(["check", "-q"], capsys)
    assert "unexpected keyword argument `retires` (a TypeError at import); did you mean" in out
    assert "`retries`?" in out
    assert "accepted:" not in out
    assert "invalid syntax: invalid syntax" not in out
    in_project({"pyproject.toml": "[tool.acme-scan]\nextend_select = ['AS211']\n"})
    code, _, err = run(["check"], capsys)
    assert code == 2
    assert "unknown key 'extend_select' in [tool.acme-scan]; did you mean 'extend-select'?" in err
    for key in ("select", "ignore", "severity", "deploy-config", "include", "prefilter"):
        assert key in err


def test_aps_suggests_commands(capsys: pytest.CaptureFixture[str]) -> None:
    from acme_portal_sdk import main as aps

    assert aps(["deplyo"]) == 2
    assert "unknown command 'deplyo'; did you mean 'deploy'?" in capsys.readouterr().err


def test_rule_names_get_a_suggestion(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project(DUPLICATES)
    code, _, err = run(["check", "--select", "duplicate_nam"], capsys)
    assert code == 2
    assert "no rule matches 'duplicate_nam'; did you mean 'duplicate-name'?" in err
