"""The package surface: pinned names, a quiet import, and a call as the extension makes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import acme_portal_sdk
from acme_portal_sdk import deployment_finder, deployment_promote, flow_deploy, flow_finder
from acme_scan._version import __version__


def run_python(
    code: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )


def test_public_names_are_pinned() -> None:
    assert sorted(acme_portal_sdk.__all__) == [
        "AcmePortalError",
        "DeployInfo",
        "DeployInfoPrep",
        "DeployWorkflow",
        "DeploymentDetails",
        "DeploymentFinder",
        "DeploymentPromote",
        "FlowDeployer",
        "FlowDetails",
        "FlowFinder",
        "PROTOCOL_VERSION",
        "PromoteWorkflow",
        "__version__",
        "main",
    ]
    for name in acme_portal_sdk.__all__:
        assert hasattr(acme_portal_sdk, name), name


def test_base_classes_are_top_level_and_same_as_in_their_modules() -> None:
    assert acme_portal_sdk.FlowFinder is flow_finder.FlowFinder
    assert acme_portal_sdk.DeploymentFinder is deployment_finder.DeploymentFinder
    assert acme_portal_sdk.DeployWorkflow is flow_deploy.DeployWorkflow
    assert acme_portal_sdk.PromoteWorkflow is deployment_promote.PromoteWorkflow
    for name in ("FlowFinder", "DeploymentFinder", "DeployWorkflow", "PromoteWorkflow"):
        assert isinstance(getattr(acme_portal_sdk, name), type)


def test_versions() -> None:
    assert acme_portal_sdk.__version__ == __version__
    assert acme_portal_sdk.PROTOCOL_VERSION == 1


def test_import_prints_nothing(tmp_path: Path) -> None:
    result = run_python("import acme_portal_sdk", tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_import_configures_no_logging_and_does_not_import_prefect(tmp_path: Path) -> None:
    result = run_python(
        """
        import json, logging, sys
        import acme_portal_sdk
        import acme_portal_sdk.prefect.flow_finder
        loggers = [logging.getLogger(), *(
            logger for logger in logging.Logger.manager.loggerDict.values()
            if isinstance(logger, logging.Logger)
        )]
        print(json.dumps({
            "with_handlers": [l.name for l in loggers if l.handlers],
            "root_level": logging.getLogger().level,
            "prefect": sorted(m for m in sys.modules if m.split(".")[0] == "prefect"),
            # (on 3.10 `tomllib` is the backport, registered where `acme_scan` is imported)
            "tomllib": sys.version_info >= (3, 11) and "tomllib" in sys.modules,
        }))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "with_handlers": [],
        "root_level": 30,
        "prefect": [],
        "tomllib": False,  # loaded only where TOML is read (~3 ms of every runner call)
    }


def test_listing_a_small_projects_flows_loads_no_logging_or_openssl(tmp_path: Path) -> None:
    """The extension's flow listing (every call a new process) loads `logging` only to emit a
    record (`acme_scan._log`) and `hashlib` only for a large index: ~5 ms of each call."""
    (tmp_path / "flows.py").write_text("from prefect import flow\n\n@flow\ndef etl(): ...\n")
    result = run_python(
        f"""
        import json, sys
        from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder
        cold = PrefectFlowFinder({str(tmp_path)!r})()
        warm = PrefectFlowFinder({str(tmp_path)!r})()
        loaded = sorted(m for m in ("logging", "hashlib", "_hashlib") if m in sys.modules)
        print(json.dumps([len(cold), len(warm), loaded]))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [1, 1, []]


def test_a_warm_listing_of_a_small_project_loads_no_orjson(tmp_path: Path) -> None:
    """Nor what orjson loads (`uuid` and `platform`; also `datetime`, which Python 3.10 loads
    for other reasons): a warm scan that writes nothing, the kept listing and the
    shell-safety check of a few flows use the standard library's `json`, which the
    extension's runner has loaded anyway (~5 ms of each call)."""
    (tmp_path / "flows.py").write_text("from prefect import flow\n\n@flow\ndef etl(): ...\n")
    listing = f"""
        import json, sys
        from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder
        flows = PrefectFlowFinder({str(tmp_path)!r})()
        loaded = sorted(m for m in ("orjson", "uuid", "platform") if m in sys.modules)
        print(json.dumps([[f["name"] for f in flows], loaded]))
        """
    cold = run_python(listing, tmp_path)
    assert cold.returncode == 0, cold.stderr
    assert json.loads(cold.stdout) == [["etl"], ["orjson", "platform", "uuid"]]  # it wrote
    warm = run_python(listing, tmp_path)
    assert warm.returncode == 0, warm.stderr
    assert json.loads(warm.stdout) == [["etl"], []]


RUNNER = """
import importlib, json, os, sys, traceback
module_name, class_name, output_file = sys.argv[1:4]
kwargs = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
sys.path.insert(0, os.path.join(os.getcwd(), ".acme_portal_sdk"))
try:
    import acme_portal_sdk
    base = getattr(acme_portal_sdk, class_name)
    module = importlib.import_module(module_name)
    obj = next(getattr(module, n) for n in dir(module) if isinstance(getattr(module, n), base))
    with open(output_file, "w") as f:
        json.dump(obj(**kwargs), f)
except Exception as e:
    with open(output_file[: -len(".json")] + "_error.json", "w") as f:
        json.dump({"error_type": type(e).__name__, "error_message": str(e),
                   "module_name": module_name, "class_name": class_name,
                   "traceback": traceback.format_exc()}, f)
    sys.exit(1)
"""

USER_FLOW_FINDER = """
from acme_portal_sdk import FlowDetails, FlowFinder

class Mine(FlowFinder):
    def list_flows(self):
        return [
            FlowDetails(name=n, original_name=n, description="", id=f"id-{n}",
                        source_path=f"/p/{n}.py", source_relative=f"{n}.py", grouping=[g])
            for n, g in (("a", "x"), ("b", "y"))
        ]

finder = Mine()
"""

USER_DEPLOY = """
from acme_portal_sdk import DeployWorkflow

class Deploy(DeployWorkflow):
    def run(self, flows_to_deploy, ref, additional_context=None):
        return f"https://ci/{ref}/{','.join(flows_to_deploy)}/{sorted(additional_context)}"

deploy = Deploy()
"""


def call_like_the_extension(
    root: Path, module: str, class_name: str, kwargs: object | None = None
) -> object:
    runner = root / "sdk_object_runner.py"
    runner.write_text(RUNNER)
    output = root / "out.json"
    args = [sys.executable, str(runner), module, class_name, str(output)]
    if kwargs is not None:
        args.append(json.dumps(kwargs))
    result = subprocess.run(args, cwd=root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, (root / "out_error.json").read_text()
    assert (result.stdout, result.stderr) == ("", "")
    return json.loads(output.read_text())


def test_calls_as_the_extension_makes_them(tmp_path: Path) -> None:
    config = tmp_path / ".acme_portal_sdk"
    config.mkdir()
    (config / "flow_finder.py").write_text(USER_FLOW_FINDER)
    (config / "flow_deploy.py").write_text(USER_DEPLOY)

    flows = call_like_the_extension(tmp_path, "flow_finder", "FlowFinder")
    assert isinstance(flows, list)
    assert [f["name"] for f in flows] == ["a", "b"]

    refetched = call_like_the_extension(
        tmp_path,
        "flow_finder",
        "FlowFinder",
        {"flows_to_fetch": [{**flows[1], "extension_only": 1}], "flow_groups": None},
    )
    assert refetched == [flows[1]]

    url = call_like_the_extension(
        tmp_path,
        "flow_deploy",
        "DeployWorkflow",
        {"flows_to_deploy": ["a"], "ref": "main", "additional_context": {"k": "v"}},
    )
    assert url == "https://ci/main/a/['k']"
