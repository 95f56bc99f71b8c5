"""Pure parts of deploying: UI URLs, timestamps, the deploy configuration, plans, reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from acme_portal_sdk.errors import DeployConfigError, DeploymentsFailedError
from acme_portal_sdk.prefect.deploy_config import (
    DEFAULT_CONCURRENCY_LIMIT,
    load_deploy_config,
    parse_deploy_config,
)
from acme_portal_sdk.prefect.deployment_finder import iso_timestamp
from acme_portal_sdk.prefect.plan import DeploymentPlan, FieldChange, Plan, compare
from acme_portal_sdk.prefect.report import DeploymentFailure, DeploymentOutcome, DeployReport
from acme_portal_sdk.prefect.urls import deployment_url, ui_base_url

ID = "6053308f-51da-4dce-b397-dcd424ad270f"


@pytest.mark.parametrize(
    ("api_url", "ui_url", "expected"),
    [
        (
            "https://api.prefect.cloud/api/accounts/a1/workspaces/w2",
            None,
            f"https://app.prefect.cloud/account/a1/workspace/w2/deployments/deployment/{ID}",
        ),
        (
            "https://api.prefect.cloud/api/accounts/a1/workspaces/w2/",
            "https://ignored.example",
            f"https://app.prefect.cloud/account/a1/workspace/w2/deployments/deployment/{ID}",
        ),
        ("http://127.0.0.1:4200/api", None, f"http://127.0.0.1:4200/deployments/deployment/{ID}"),
        (
            "https://prefect.acme.io/api",
            "https://ui.acme.io/",
            f"https://ui.acme.io/deployments/deployment/{ID}",
        ),
        (
            "https://prefect.acme.io/x",
            None,
            f"https://prefect.acme.io/x/deployments/deployment/{ID}",
        ),
    ],
)
def test_deployment_urls(api_url: str, ui_url: str | None, expected: str) -> None:
    assert deployment_url(ui_base_url(api_url, ui_url), ID) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC), "2026-01-02T03:04:05.678Z"),
        (
            dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2026-01-02T01:04:05.000Z",
        ),
        (dt.datetime(2026, 1, 2), "2026-01-02T00:00:00.000Z"),
        (None, "1970-01-01T00:00:00.000Z"),
    ],
)
def test_timestamps_are_what_javascript_prints(value: dt.datetime | None, expected: str) -> None:
    assert iso_timestamp(value) == expected


CONFIG = """
hello_world:
  work_pool_name: pool-a
  parameters: {name: x, day: 2026-01-02}
  cron: "0 6 * * *"
  paused: true
  concurrency_limit: {limit: 2, collision_strategy: CANCEL_NEW}
  description: Hello.
acme-daily-sales:
  concurrency_limit: null
  name: ignored-1x-key
empty:
"""


def test_config_accepts_both_spellings_and_defaults() -> None:
    config = parse_deploy_config(CONFIG)
    hello = config.for_flow("hello-world")
    assert hello == config.for_flow("hello_world")
    assert hello.work_pool_name == "pool-a"
    assert hello.parameters == {"name": "x", "day": "2026-01-02"}  # a YAML date is sent as ISO
    assert (hello.cron, hello.paused, hello.description) == ("0 6 * * *", True, "Hello.")
    assert (hello.concurrency_limit, hello.collision_strategy) == (2, "CANCEL_NEW")
    sales = config.for_flow("acme_daily_sales")
    assert sales.concurrency_limit is None  # explicit null: no limit
    assert "description" not in sales.given
    default = config.for_flow("not_configured")
    assert default.concurrency_limit == DEFAULT_CONCURRENCY_LIMIT
    assert (default.paused, default.parameters, default.work_pool_name) == (False, {}, None)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a:\n  work_pool: x\n", "unknown key 'work_pool'"),
        ("a:\n  work_pool_name: ''\n", "non-empty string"),
        ("a:\n  paused: maybe\n", "true or false"),
        ("a:\n  concurrency_limit: 0\n", "positive integer"),
        ("a:\n  concurrency_limit: {limit: 1, collision_strategy: X}\n", "ENQUEUE"),
        ("a:\n  parameters: [1]\n", "mapping of parameter names"),
        ("a:\n  triggers: {Nope: {}}\n", "unknown trigger type"),
        ("a_b: {}\na-b: {}\n", "the same flow"),
        ("- a\n", "must be a mapping of flow names"),
        ("a: [\n", "not valid YAML"),
        ("a:\n  cron: 5\n", "a cron string"),
        ("a:\n  cron: */5 * * * *\n", 'quote it (cron: "*/5 * * * *")'),
        ("a:\n  cron: '61 * * * *'\n", "'61' is out of range (0-59)"),
        ("a:\n  parameters: {x: .inf}\n", "a.parameters.x: inf is not a JSON number"),
    ],
)
def test_config_problems(text: str, fragment: str) -> None:
    with pytest.raises(DeployConfigError) as info:
        parse_deploy_config(text)
    assert fragment in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    assert load_deploy_config(tmp_path / "absent.yaml").entries == {}
    with pytest.raises(DeployConfigError, match="does not exist"):
        load_deploy_config(tmp_path / "absent.yaml", required=True)


def test_compare_goes_into_mappings() -> None:
    fields = ("version", "job_variables")
    existing = {"version": "a", "job_variables": {"env": {"X": "1", "Y": "2"}, "image": "i"}}
    desired = {"version": "a", "job_variables": {"env": {"X": "9", "Z": "3"}, "image": "i"}}
    action, changes = compare(fields, existing, desired)
    assert action == "update"
    assert changes == (
        FieldChange("job_variables.env.X", "1", "9"),
        FieldChange("job_variables.env.Y", "2", None),
        FieldChange("job_variables.env.Z", None, "3"),
    )
    assert compare(fields, desired, desired) == ("unchanged", ())
    assert compare(fields, None, desired)[0] == "create"


def test_plan_lines() -> None:
    plan = Plan(
        (
            DeploymentPlan("f", "d1", "update", (FieldChange("version", "a", "b"),)),
            DeploymentPlan("f", "d2", "create", (FieldChange("paused", None, False),), problem="!"),
            DeploymentPlan("f", "d3", "unchanged"),
        )
    )
    assert plan.lines() == [
        "~ update f/d1",
        '    version: "a" -> "b"',
        "+ create f/d2",
        "    ! !",
        "    paused: false",
        "= unchanged f/d3",
        "Dry run: 1 to create, 1 to update, 1 unchanged, 1 would fail. Nothing was changed.",
    ]
    assert plan.changes == 2


def test_report_raises_listing_both_sides() -> None:
    report = DeployReport(
        deployed=[DeploymentOutcome("f", "ok--d", "1", "http://u/1", "created")],
        failed=[DeploymentFailure("g", "bad--d", "work pool 'x' does not exist", "E")],
    )
    with pytest.raises(DeploymentsFailedError) as info:
        report.raise_for_failures()
    message = str(info.value)
    assert "1 of 2 deployment(s) failed" in message
    assert "bad--d: work pool 'x' does not exist" in message
    assert "Deployed: ok--d" in message
    assert info.value.report is report
