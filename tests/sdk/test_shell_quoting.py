"""The extension's refresh goes through `/bin/sh`: nothing the SDK returns may run there.

The extension builds a command string with the kwargs' JSON inside double quotes, escaping
only `\\` and `"`, and `/bin/sh` runs it. On a refresh the kwargs hold the FlowDetails dicts
the SDK returned, so a `$(...)`, `` `...` `` or `$HOME` in a flow's name, docstring or path
would be expanded, and run. These tests replay that quoting exactly on flows that hold all
three, and check that nothing runs (no marker file appears) and the refresh returns the
same flows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from acme_portal_sdk import DeploymentDetails, DeploymentFinder, FlowDetails
from acme_portal_sdk._shell import REPLACEMENTS, shell_safe, shell_safe_text
from tests.sdk.test_extension_protocol import listing, workspace

__all__ = ["workspace"]  # the fixture

EVIL_FLOWS = '''\
from prefect import flow


@flow(name="evil-$(touch MARK_name)-`touch MARK_tick`")
def evil():
    """Then runs `touch MARK_doc` and $(touch MARK_sub), in $HOME and ${HOME}.

    A "quoted" word, a backslash \\\\ and \\$(touch MARK_escaped).
    """
'''


def extension_command(root: Path, kwargs: dict[str, Any], out: str = "out.json") -> str:
    """The runner's command line as the extension builds it (v0.0.8)."""
    # JSON.stringify: compact, non-ASCII kept; then .replace(/\\/g, "\\\\").replace(/"/g, '\\"')
    text = json.dumps(kwargs, ensure_ascii=False, separators=(",", ":"))
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{sys.executable}" sdk_object_runner.py flow_finder FlowFinder "{out}" "{escaped}"'


def through_sh(root: Path, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["/bin/sh", "-c", extension_command(root, kwargs)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (result.stderr, (root / "out_error.json").read_text())
    flows = json.loads((root / "out.json").read_text(encoding="utf-8"))
    assert isinstance(flows, list)
    return flows


def markers(root: Path) -> list[Path]:
    return sorted(p for p in root.parent.rglob("MARK*") if p.is_file())


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


@pytest.fixture
def evil_workspace(workspace: Path) -> Path:
    folder = workspace / "flows" / "`touch MARK_dir`$HOME"
    folder.mkdir(parents=True)
    (folder / "evil.py").write_text(EVIL_FLOWS, encoding="utf-8")
    return workspace


def test_the_harness_really_goes_through_the_shell(evil_workspace: Path) -> None:
    """Control: the same quoting of the raw strings does run them (so the test can fail)."""
    root = evil_workspace
    raw = {"flows_to_fetch": [{"description": "runs `touch MARK_control`", "id": "$(pwd)"}]}
    subprocess.run(["/bin/sh", "-c", extension_command(root, raw)], cwd=root, check=False)
    assert [p.name for p in markers(root)] == ["MARK_control"]


def test_refresh_through_sh_runs_nothing_and_finds_the_same_flows(evil_workspace: Path) -> None:
    root = evil_workspace
    flows = listing(root)
    evil = next(f for f in flows if f["name"].startswith("evil"))
    returned = strings(flows)
    assert not [s for s in returned if "$" in s or "`" in s]
    assert evil["name"] == "evil_\uff04(touch MARK_name)_\u02cbtouch MARK_tick\u02cb"
    assert evil["description"].startswith("Then runs \u02cbtouch MARK_doc\u02cb and \uff04(")
    assert (
        'A "quoted" word, a backslash \\ and \\\uff04(touch MARK_escaped).' in evil["description"]
    )
    assert evil["grouping"] == ["flows", "\u02cbtouch MARK_dir\u02cb\uff04HOME"]

    # single-flow refresh, then every flow, then group refresh: as the extension sends them
    assert through_sh(root, {"flows_to_fetch": [evil], "flow_groups": None}) == [evil]
    assert through_sh(root, {"flows_to_fetch": flows, "flow_groups": None}) == flows
    group = evil["grouping"][-1]
    assert through_sh(root, {"flows_to_fetch": None, "flow_groups": [group]}) == [evil]
    assert markers(root) == []


def test_shell_safe_is_idempotent_and_leaves_clean_values_alone() -> None:
    clean = [{"name": "a", "n": 1, "tags": ["x"], "ok": True, "none": None}]
    assert shell_safe(clean) is clean
    dirty = {"$k": ["`a`", {"b": "$(c)"}], "t": ("$",), 1: "$"}  # an int key: not orjson's
    safe = shell_safe(dirty)
    assert safe == {"\uff04k": ["\u02cba\u02cb", {"b": "\uff04(c)"}], "t": ("\uff04",), 1: "\uff04"}
    assert shell_safe(safe) == safe
    assert set(REPLACEMENTS) == {"`", "$"}
    assert shell_safe_text('\\ "') == '\\ "'


@pytest.mark.parametrize("count", [1, 255, 256, 2_000])
def test_small_and_large_results_are_made_safe_alike(count: int) -> None:
    """Below `ORJSON_FROM_ITEMS` items the check uses `json`, from it on orjson: the same
    answers either way (a clean result is returned itself, a dirty one made safe)."""
    from acme_portal_sdk._shell import ORJSON_FROM_ITEMS

    assert ORJSON_FROM_ITEMS == 256
    clean = [{"name": f"flow-{i}", "n": i, "tags": ["x"], "none": None} for i in range(count)]
    assert shell_safe(clean) is clean
    dirty = [{"name": f"$flow-{i}", "tags": ["`x`"], "n": i} for i in range(count)]
    safe = shell_safe(dirty)
    assert safe == [
        {"name": f"\uff04flow-{i}", "tags": ["\u02cbx\u02cb"], "n": i} for i in range(count)
    ]
    assert shell_safe(safe) == safe
    assert dirty[0]["name"] == "$flow-0"  # a copy: the value passed in is unchanged


def test_deployment_refresh_matches_the_safe_form() -> None:
    def details(name: str, flow: str) -> DeploymentDetails:
        return DeploymentDetails(
            name=name, project_name="p", branch="b", flow_name=flow, env="dev",
            commit_hash="c", package_version="1", tags=[], id=f"id-{name}",
            created_at="2026-01-01T00:00:00.000Z", updated_at="2026-01-01T00:00:00.000Z",
            flow_id="fid", url="https://x/$y",
        )  # fmt: skip

    class Finder(DeploymentFinder):
        def list_deployments(self) -> list[DeploymentDetails]:
            return [details("p--b--f$x--dev", "f$x"), details("p--b--g--dev", "g")]

    everything = Finder()()
    assert [d["url"] for d in everything] == ["https://x/\uff04y"] * 2
    assert Finder()(deployments_to_fetch=everything[:1]) == everything[:1]
    flow = FlowDetails("f\uff04x", "f$x", "", "i", "/p.py", "p.py")
    assert Finder()(flows_to_fetch=[flow.to_dict()]) == everything[:1]


def test_deploy_accepts_the_safe_form_of_a_flow_name(evil_workspace: Path) -> None:
    """The extension sends back the name it was given: it deploys the real flow."""
    from acme_portal_sdk.prefect.deploy_info import PrefectDeployInfoPrep

    safe_name = next(f["name"] for f in listing(evil_workspace) if f["name"].startswith("evil"))
    prep = PrefectDeployInfoPrep(default_work_pool="pool", root_dir=evil_workspace)
    (info,) = prep.prep_deploy_info(
        project_name="p",
        branch_name="main",
        commit_hash="c",
        image_uri=None,
        package_version="1",
        env="dev",
        flows_to_deploy=[safe_name],
    )
    assert info.flow_name == "evil_$(touch MARK_name)_`touch MARK_tick`"
    assert info.entrypoint is not None
    assert info.entrypoint.endswith("evil.py:evil")
