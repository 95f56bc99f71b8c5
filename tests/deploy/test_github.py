"""The GitHub Actions workflows, against a fake `gh` on PATH that records its argv."""

from __future__ import annotations

import json
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from acme_portal_sdk.errors import GitHubWorkflowError, InputError, SameEnvironmentError
from acme_portal_sdk.github import GithubActionsDeployWorkflow, GithubActionsPromoteWorkflow

FAKE_GH = textwrap.dedent(
    """
    import datetime as dt, json, os, sys

    state_path = os.environ["FAKE_GH_STATE"]
    with open(state_path) as f:
        state = json.load(f)
    with open(os.environ["FAKE_GH_LOG"], "a") as f:
        f.write(json.dumps(sys.argv[1:]) + "\\n")
    args = sys.argv[1:]
    now = dt.datetime.now(dt.timezone.utc)

    def stamp(offset):
        return (now + dt.timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def run(run_id, branch, event, offset):
        return {"databaseId": run_id, "url": f"https://github.com/acme/repo/actions/runs/{run_id}",
                "createdAt": stamp(offset), "headBranch": branch, "event": event}

    if state.get("fail"):
        sys.stderr.write(state["fail"] + "\\n")
        sys.exit(1)
    if args[:2] == ["workflow", "run"]:
        ref = args[args.index("--ref") + 1]
        ours = run(500, ref, "workflow_dispatch", 1)
        # someone pushes right after: a NEWER run that is not ours
        state["pending"] = [ours, run(501, "other", "push", 5), run(502, ref, "push", 6)]
        if state.get("print_url"):
            print(f"Created workflow_dispatch event for x at {ref}")
            print(ours["url"])
    elif args[:2] == ["run", "list"]:
        state["lists"] = state.get("lists", 0) + 1
        if state.get("pending") and state["lists"] > state.get("appear_after", 2):
            state["runs"] = state["pending"] + state["runs"]
            state["pending"] = []
        if not state["runs"]:
            state["runs"] = [run(100, "main", "workflow_dispatch", -3600)]
        print(json.dumps(state["runs"] if not state.get("never") else state["runs"][-1:]))
    with open(state_path, "w") as f:
        json.dump(state, f)
    """
)


class FakeGh:
    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        self.state = root / "state.json"
        self.log = root / "argv.jsonl"
        script = self.bin / "gh"
        script.write_text(f"#!{sys.executable}\n{FAKE_GH}")
        script.chmod(0o755)
        self.configure()

    def configure(self, **state: Any) -> None:
        self.state.write_text(json.dumps({"runs": [], **state}))

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def gh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeGh:
    fake = FakeGh(tmp_path)
    monkeypatch.setenv("PATH", f"{fake.bin}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GH_STATE", str(fake.state))
    monkeypatch.setenv("FAKE_GH_LOG", str(fake.log))
    return fake


LIST = [
    "run",
    "list",
    "--workflow",
    "deploy.yml",
    "--limit",
    "20",
    "--json",
    "databaseId,url,createdAt,headBranch,event",
]


def test_deploy_returns_the_run_it_started(gh: FakeGh) -> None:
    flows = ["hello_world", "it's; rm -rf / #"]
    workflow = GithubActionsDeployWorkflow(poll_interval=0.01)
    url = workflow(flows_to_deploy=flows, ref="feature-x", additional_context={"k": "v"})
    assert url == "https://github.com/acme/repo/actions/runs/500"  # not 501/502, newer
    calls = gh.calls()
    assert calls[0] == LIST
    assert calls[1] == [
        "workflow",
        "run",
        "deploy.yml",
        "--ref",
        "feature-x",
        "-f",
        "flows-to-deploy=hello_world,it's; rm -rf / #",
    ]
    assert calls[2:] == [LIST] * (len(calls) - 2)
    assert len(calls) >= 4  # it polled until the run showed up


def test_deploy_uses_the_default_ref(gh: FakeGh) -> None:
    GithubActionsDeployWorkflow(poll_interval=0.01)(flows_to_deploy=["a"])
    assert gh.calls()[1][3:5] == ["--ref", "main"]


def test_promote_inputs(gh: FakeGh) -> None:
    workflow = GithubActionsPromoteWorkflow(poll_interval=0.01)
    url = workflow(
        flows_to_deploy=["a", "b"],
        source_env="dev",
        target_env="prod",
        ref="release",
        additional_context={},
    )
    assert url == "https://github.com/acme/repo/actions/runs/500"
    assert gh.calls()[1] == [
        "workflow",
        "run",
        "promote.yml",
        "--ref",
        "release",
        "-f",
        "flows-to-deploy=a,b",
        "-f",
        "source-env=dev",
        "-f",
        "target-env=prod",
    ]
    with pytest.raises(InputError, match="required"):
        workflow(flows_to_deploy=["a"], source_env="dev", target_env="prod", ref=None)
    with pytest.raises(SameEnvironmentError):
        workflow(flows_to_deploy=["a"], source_env="dev", target_env="dev", ref="main")


def test_a_printed_run_url_is_used_directly(gh: FakeGh) -> None:
    gh.configure(print_url=True)
    url = GithubActionsDeployWorkflow(poll_interval=0.01)(flows_to_deploy=["a"], ref="main")
    assert url == "https://github.com/acme/repo/actions/runs/500"
    assert [c[:2] for c in gh.calls()] == [["run", "list"], ["workflow", "run"]]


def test_no_run_showing_up_is_bounded(gh: FakeGh, caplog: pytest.LogCaptureFixture) -> None:
    gh.configure(never=True)
    workflow = GithubActionsDeployWorkflow(timeout=0.3, poll_interval=0.05)
    with caplog.at_level(logging.WARNING, logger="acme_portal_sdk"):
        assert workflow(flows_to_deploy=["a"], ref="main") is None
    assert "did not show up" in caplog.text


def test_gh_failures_are_clear(gh: FakeGh) -> None:
    gh.configure(fail="HTTP 404: workflow deploy.yml not found on the default branch")
    with pytest.raises(GitHubWorkflowError, match=r"workflow deploy\.yml not found"):
        GithubActionsDeployWorkflow()(flows_to_deploy=["a"], ref="main")
    with pytest.raises(GitHubWorkflowError, match="not installed or not on PATH"):
        GithubActionsDeployWorkflow(gh=str(gh.bin / "missing"))(flows_to_deploy=["a"])
    with pytest.raises(InputError, match="no flows"):
        GithubActionsDeployWorkflow()(flows_to_deploy=[])


def test_constructors_run_nothing(gh: FakeGh) -> None:
    GithubActionsDeployWorkflow()
    GithubActionsPromoteWorkflow()
    assert gh.calls() == []
