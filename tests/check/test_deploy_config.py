"""Rules over the per-flow deploy config (AS3xx)."""

from __future__ import annotations

import textwrap

import pytest

from acme_scan.check.deploy_config import check_deploy_config
from acme_scan.models import Flow
from acme_scan.scanner import scan_source
from tests.check.conftest import Check, codes, where

CONFIG = ".acme_portal_sdk/static_flow_deploy_config.yaml"
FLOWS = """\
from prefect import flow

@flow
def daily_sales(day: str, dry_run: bool = False): ...

@flow(name="churn-report")
def churn(**options): ...

def outer():
    @flow
    def nested(): ...
"""


def flows() -> list[Flow]:
    return list(scan_source(FLOWS.encode(), "flows.py").flows)


def run(yaml_text: str) -> list[tuple[str, int, int]]:
    findings = check_deploy_config(textwrap.dedent(yaml_text), "deploy.yaml", flows())
    return [(f.code, f.line, f.column) for f in findings]


def messages(yaml_text: str) -> list[str]:
    return [f.message for f in check_deploy_config(textwrap.dedent(yaml_text), "d.yaml", flows())]


VALID = """\
daily_sales:                 # the acme-portal form of daily-sales
  work_pool_name: ecs-pool
  work_queue_name: null
  parameters: {day: "2026-01-01", dry_run: true}
  cron: "0 12 * * 1-5"
  paused: false
  concurrency_limit: 2
  description: Daily sales
  triggers:
    DeploymentEventTrigger: {expect: [prefect.flow-run.Completed]}
churn-report:                # the Prefect form
  parameters: {anything: 1}  # the flow takes **options
  concurrency_limit: {limit: 1, collision_strategy: CANCEL_NEW}
  cron: "@daily"
"""


def test_a_valid_config_has_no_findings() -> None:
    assert run(VALID) == []


@pytest.mark.parametrize("text", ["", "# only a comment\n", "~\n"])
def test_an_empty_config_has_no_findings(text: str) -> None:
    assert run(text) == []


@pytest.mark.parametrize(
    ("text", "expected", "message"),
    [
        ("daily_sales: [\n", ("AS301", 2, 1), "not valid YAML"),
        ("a: 1\n  b: 2\n", ("AS301", 2, 4), "mapping values are not allowed"),
        ("- daily_sales\n", ("AS301", 1, 1), "must be a mapping of flow names"),
        ("daily_sales: &a\n  cron: *b\n", ("AS301", 2, 9), "found undefined alias"),
    ],
)
def test_invalid_yaml_gives_file_line_column(
    text: str, expected: tuple[str, int, int], message: str
) -> None:
    assert run(text) == [expected]
    assert message in messages(text)[0]


def test_unknown_flow() -> None:
    assert run("daily_sale:\n  cron: '@daily'\n") == [("AS302", 1, 1)]
    assert "did you mean 'daily-sales'?" in messages("daily_sale: {}\n")[0]


def test_not_deployable_flow() -> None:
    assert run("nested: {}\n") == [("AS302", 1, 1)]
    assert "cannot be deployed" in messages("nested: {}\n")[0]


def test_unknown_key() -> None:
    text = "daily_sales:\n  work_pool_name: p\n  schedule: '@daily'\n"
    assert run(text) == [("AS303", 3, 3)]
    assert "did you mean" not in messages(text)[0]
    assert "did you mean 'concurrency_limit'?" in messages("daily_sales: {concurency_limit: 1}")[0]


@pytest.mark.parametrize(
    ("entry", "column"),
    [
        ("work_pool_name: ''", 19),
        ("work_pool_name: 3", 19),
        ("work_queue_name: [a]", 20),
        ("parameters: [1, 2]", 15),
        ("cron: 5", 9),
        ("paused: 'no'", 11),
        ("paused: 1", 11),
        ("concurrency_limit: 0", 22),
        ("concurrency_limit: true", 22),
        ("concurrency_limit: '2'", 22),
        ("concurrency_limit: {limit: x}", 30),
        ("concurrency_limit: {collision_strategy: ENQUEUE}", 22),
        ("concurrency_limit: {limit: 1, collision_strategy: X}", 53),
        ("parameters: {day: .nan}", 21),
        ("parameters: {day: !!binary aGk=}", 21),
        ("description: 3.5", 16),
        ("triggers: [DeploymentEventTrigger]", 13),
        ("triggers: {DeploymentEventTriggr: {}}", 14),
        ("triggers: {DeploymentEventTrigger: 1}", 38),
    ],
)
def test_wrong_types(entry: str, column: int) -> None:
    assert run(f"daily_sales:\n  {entry}\n") == [("AS304", 2, column)]


def test_entry_and_keys_that_are_not_strings() -> None:
    assert run("daily_sales: 3\n") == [("AS304", 1, 14)]
    assert run("yes: {}\n") == [("AS304", 1, 1)]
    assert "quote it ('yes')" in messages("yes: {}\n")[0]
    assert run("daily_sales:\n  parameters: {1: a}\n") == [("AS304", 2, 16)]


@pytest.mark.parametrize(
    "cron", ["0 25 * * *", "* * * *", "*/0 * * * *", "0 0 * * 8", "0 0 * * MONDAY", "@reboot"]
)
def test_invalid_cron(cron: str) -> None:
    assert run(f"daily_sales:\n  cron: '{cron}'\n") == [("AS305", 2, 9)]


def test_cron_message_names_the_field() -> None:
    assert messages("daily_sales: {cron: '0 25 * * *'}")[0] == (
        "daily_sales.cron: invalid cron '0 25 * * *': hour: '25' is out of range (0-23)"
    )


def test_duplicate_entries() -> None:
    both = "daily_sales: {}\ndaily-sales: {}\n"
    assert run(both) == [("AS306", 2, 1)]
    assert "names the same flow as 'daily_sales'" in messages(both)[0]
    assert run("daily_sales: {}\ndaily_sales: {}\n") == [("AS306", 2, 1)]
    assert run("daily_sales:\n  cron: '@daily'\n  cron: '@hourly'\n") == [("AS306", 3, 3)]


def test_merge_keys_are_applied_not_duplicates() -> None:
    text = """\
    churn-report: &defaults
      work_pool_name: pool
      cron: '@daily'
    daily_sales:
      <<: *defaults
      cron: '0 6 * * *'
    """
    assert run(text) == []


def test_ignored_keys_of_1x_examples() -> None:
    text = "daily_sales:\n  name: daily_sales\n  import_path: pkg.flows:daily_sales\n"
    assert run(text) == [("AS307", 2, 3), ("AS307", 3, 3)]


def test_unknown_parameter() -> None:
    text = "daily_sales:\n  parameters:\n    day: x\n    days: 3\n"
    assert run(text) == [("AS308", 4, 5)]
    finding = check_deploy_config(text, "d.yaml", flows())[0]
    assert [str(location) for location in finding.related] == ["flows.py:4:1"]
    assert "has no parameter 'days' (parameters: day, dry_run)" in finding.message


def test_the_check_finds_the_default_deploy_config(check: Check) -> None:
    findings = check({"flows.py": FLOWS, CONFIG: "daily_sales: {cron: nope}\n"})
    assert where(findings) == [("AS305", CONFIG, 1, 21), ("AS105", "flows.py", 11, 5)]


def test_a_configured_deploy_config(check: Check) -> None:
    files: dict[str, str | bytes] = {
        "flows.py": FLOWS,
        "pyproject.toml": "[tool.acme-scan]\ndeploy-config = 'deploy.yml'\nignore = ['AS105']\n",
        "deploy.yml": "missing: {}\n",
        CONFIG: "also_missing: {}\n",  # not the configured one: not read
    }
    assert where(check(files)) == [("AS302", "deploy.yml", 1, 1)]


def test_deploy_config_rules_can_be_ignored(check: Check) -> None:
    assert codes(check({"flows.py": FLOWS, CONFIG: "x: {}\n"}, ignore=["AS3", "AS105"])) == []


def test_a_deploy_config_that_is_not_utf8(check: Check) -> None:
    findings = check({CONFIG: b"\xff\xfe: {}\n"})
    assert codes(findings) == ["AS301"]
    assert "not UTF-8" in findings[0].message
