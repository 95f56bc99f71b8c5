"""The naming convention: names are built, validated and parsed back (from the right)."""

from __future__ import annotations

import pytest

from acme_portal_sdk.prefect.naming import (
    DeploymentName,
    commit_from_version,
    deployment_tags,
    deployment_version,
    name_problems,
    parse_deployment_name,
    tag_values,
)


def test_the_convention_of_1x() -> None:
    name = DeploymentName("acme_prefect", "main", "hello_world", "dev")
    assert name.name == "acme-prefect--main--hello-world--dev"
    assert deployment_tags("acme_prefect", "feat_x", "abc", "1.0") == [
        "PROJECT_NAME=acme-prefect",
        "BRANCH_NAME=feat-x",
        "COMMIT_HASH=abc",
        "PACKAGE_VERSION=1.0",
    ]
    assert deployment_version("feat_x", "abc") == "feat-x-abc"


@pytest.mark.parametrize(
    "branch",
    ["main", "feature-x", "feature_x", "a-b-c", "fix--double", "release--1--2", "-lead", "trail-"],
)
@pytest.mark.parametrize("flow", ["hello_world", "etl", "a_b_c", "Name With Spaces.v2"])
@pytest.mark.parametrize("env", ["dev", "uat", "prod-eu"])
def test_round_trip_with_tags(branch: str, flow: str, env: str) -> None:
    built = DeploymentName("acme_prefect", branch, flow, env)
    tags = deployment_tags("acme_prefect", branch, "c0ffee", "1.2.3")
    parsed = parse_deployment_name(built.name, tags)
    assert parsed == DeploymentName("acme-prefect", branch.replace("_", "-"), flow, env)
    assert not name_problems("acme_prefect", branch, flow, env)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("acme--main--hello-world--dev", ("acme", "main", "hello_world", "dev")),
        # the branch is everything between the project and the flow: parsed from the right
        ("acme--feature-x--hello-world--dev", ("acme", "feature-x", "hello_world", "dev")),
        ("acme--fix--double--etl--prod", ("acme", "fix--double", "etl", "prod")),
        ("acme--a--b--c--etl--uat", ("acme", "a--b--c", "etl", "uat")),
        ("acme--trail---etl--uat", ("acme", "trail-", "etl", "uat")),
    ],
)
def test_parse_without_tags(name: str, expected: tuple[str, str, str, str]) -> None:
    assert parse_deployment_name(name) == DeploymentName(*expected)


def test_tags_are_authoritative() -> None:
    # A flow segment containing `--` is only recoverable through the tags.
    tags = ["PROJECT_NAME=acme", "BRANCH_NAME=main", "COMMIT_HASH=1"]
    assert parse_deployment_name("acme--main--a--b--dev", tags) == DeploymentName(
        "acme", "main", "a__b", "dev"
    )
    # When the tags disagree with the name, the tags' values are reported.
    tags = ["PROJECT_NAME=other", "BRANCH_NAME=release"]
    assert parse_deployment_name("acme--main--etl--dev", tags) == DeploymentName(
        "other", "release", "etl", "dev"
    )


@pytest.mark.parametrize(
    "name",
    ["hello", "a--b--c", "a--b----dev", "--b--c--d", "a--b--c--", "a-- --c--d", ""],
)
def test_names_outside_the_convention(name: str) -> None:
    assert parse_deployment_name(name) is None


def test_tag_values() -> None:
    tags = ["x", "COMMIT_HASH=a=b", "COMMIT_HASH=second", "OTHER=1", "PACKAGE_VERSION="]
    assert tag_values(tags) == {"COMMIT_HASH": "a=b", "PACKAGE_VERSION": ""}


@pytest.mark.parametrize(
    ("parts", "fragment"),
    [
        (("acme", "main", "etl", ""), "environment name is empty"),
        (("acme", "  ", "etl", "dev"), "branch name is empty"),
        (("", "main", "etl", "dev"), "project name is empty"),
        (("acme", "feature/x", "etl", "dev"), "contains /"),
        (("acme", "main", "etl", "d<v"), "contains <"),
        (("acme", "main", "etl", "d&v%"), "contains % &"),
        (("a--b", "main", "etl", "dev"), "ambiguous"),
        (("acme_", "main", "etl", "dev"), "ambiguous"),
        (("acme", "main", "etl", "dev--eu"), "ambiguous"),
        (("acme", " main", "etl", "dev"), "whitespace"),
        (("acme", "main", "etl", "d\tv"), "control characters"),
    ],
)
def test_name_problems(parts: tuple[str, str, str, str], fragment: str) -> None:
    problems = name_problems(*parts)
    assert any(fragment in p for p in problems), problems


def test_commit_from_version() -> None:
    assert commit_from_version("feature-x-abc123", "feature_x") == "abc123"
    assert commit_from_version("other-abc", "main") == ""
    assert commit_from_version(None, "main") == ""
