"""Deploy and promote workflows: the extension's keyword arguments reach `run`."""

from __future__ import annotations

from typing import Any

import pytest

from acme_portal_sdk import DeployWorkflow, PromoteWorkflow

CONTEXT = {"obj_name": "hello_world", "module": "flows.hello"}


class Deploy(DeployWorkflow):
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def run(
        self,
        flows_to_deploy: list[str],
        ref: str | None = None,
        additional_context: dict[str, Any] | None = None,
    ) -> str | None:
        self.calls.append({"flows": flows_to_deploy, "ref": ref, "context": additional_context})
        return "https://example.com/run/1"


class LegacyDeploy(DeployWorkflow):
    """Written for 1.x: no `additional_context`, no `**kwargs`."""

    def run(self, flows_to_deploy: list[str], ref: str | None = None) -> str | None:
        return f"{','.join(flows_to_deploy)}@{ref}"


class Promote(PromoteWorkflow):
    def run(self, **kwargs: Any) -> str | None:
        return repr(sorted(kwargs))


class LegacyPromote(PromoteWorkflow):
    def run(
        self, flows_to_deploy: list[str], source_env: str, target_env: str, ref: str
    ) -> str | None:
        return None


def test_deploy_receives_additional_context() -> None:
    workflow = Deploy()
    url = workflow(flows_to_deploy=["hello_world"], ref="main", additional_context=CONTEXT)
    assert url == "https://example.com/run/1"
    assert workflow.calls == [{"flows": ["hello_world"], "ref": "main", "context": CONTEXT}]


def test_legacy_deploy_has_additional_context_dropped() -> None:
    url = LegacyDeploy()(flows_to_deploy=["a", "b"], ref="main", additional_context=CONTEXT)
    assert url == "a,b@main"


def test_other_unknown_keywords_still_fail() -> None:
    with pytest.raises(TypeError):
        LegacyDeploy()(flows_to_deploy=["a"], ref="main", typo=1)


def test_promote_with_var_keywords_receives_everything() -> None:
    url = Promote()(
        flows_to_deploy=["a"],
        source_env="dev",
        target_env="prod",
        ref="main",
        additional_context=CONTEXT,
    )
    assert url == repr(["additional_context", "flows_to_deploy", "ref", "source_env", "target_env"])


def test_legacy_promote() -> None:
    result = LegacyPromote()(
        flows_to_deploy=["a"],
        source_env="dev",
        target_env="prod",
        ref="main",
        additional_context=CONTEXT,
    )
    assert result is None


def test_workflows_are_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        DeployWorkflow()  # type: ignore[abstract]
    with pytest.raises(TypeError, match="abstract"):
        PromoteWorkflow()  # type: ignore[abstract]
