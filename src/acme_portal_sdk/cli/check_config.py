"""`aps check-config`: the project's `.acme_portal_sdk` files, checked as the extension does."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

from acme_portal_sdk.cli import console
from acme_portal_sdk.deployment_finder import DeploymentFinder
from acme_portal_sdk.deployment_promote import PromoteWorkflow
from acme_portal_sdk.flow_deploy import DeployWorkflow
from acme_portal_sdk.flow_finder import FlowFinder

#: The directory of a project holding the objects the extension calls.
CONFIG_DIR = ".acme_portal_sdk"

#: Each file of `CONFIG_DIR` the extension imports, with the base class it looks for there.
REQUIRED_FILES: dict[str, type] = {
    "flow_finder.py": FlowFinder,
    "deployment_finder.py": DeploymentFinder,
    "flow_deploy.py": DeployWorkflow,
    "deployment_promote.py": PromoteWorkflow,
}


OK = "\u2705"  # the extension's users know these marks from acme-portal-sdk 1.x
FAILED = "\u274c"


def _import_file(config_dir: Path, file_name: str, base_class: type) -> tuple[object, str | None]:
    """Import one configuration file as the extension does: (the instance found, problem)."""
    path = config_dir / file_name
    if not path.is_file():
        return None, f"missing file {path}"
    spec = importlib.util.spec_from_file_location(f"_aps_check_{path.stem}", path)
    if spec is None or spec.loader is None:
        return None, f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(config_dir))
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # any failure of user code, `sys.exit()` too
        return None, f"importing {path} failed: {type(exc).__name__}: {exc}"
    finally:
        sys.path.remove(str(config_dir))
    for name in sorted(dir(module)):  # the extension takes the first, in dir() order
        value = getattr(module, name)
        if isinstance(value, base_class):
            return value, None
    return None, f"{path} defines no instance of a {base_class.__name__} subclass"


def _finder_checks(project: Path, finder: object) -> list[tuple[bool, str]]:
    """For a `PrefectFlowFinder`: its root exists and its index file, if any, is readable."""
    from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder

    if not isinstance(finder, PrefectFlowFinder):
        return []
    root = Path(finder.root_dir)
    root = root if root.is_absolute() else project / root
    if not root.is_dir():
        return [(False, f"flow finder root {root} is not a directory")]
    results = [(True, f"flow finder root {root}")]
    from acme_scan import AcmeScanError, load_settings
    from acme_scan.index.store import load_raw

    try:
        index_path = root / load_settings(root).index
    except AcmeScanError as exc:
        return [*results, (False, f"scan settings: {exc}")]
    if not index_path.exists():
        results.append((True, f"index {index_path} not built yet (the first listing builds it)"))
        return results
    try:
        data = load_raw(index_path)
    except AcmeScanError as exc:
        results.append((False, f"index: {exc}"))
    else:
        results.append((True, f"index {index_path} ({len(data['flows'])} flows)"))
    return results


def _deploy_config_check(project: Path, finder: object) -> list[tuple[bool, str]]:
    """The deploy config, validated as `aps deploy` (and `acme-scan check`) validate it."""
    from acme_portal_sdk.errors import AcmePortalError
    from acme_portal_sdk.prefect.deploy_config import default_config_path, load_deploy_config
    from acme_portal_sdk.prefect.deploy_info import project_rules
    from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder

    path, explicit = default_config_path(project)
    if not path.exists() and not explicit:
        return []
    root = Path(finder.root_dir) if isinstance(finder, PrefectFlowFinder) else project
    root = root if root.is_absolute() else project / root
    try:
        flows = PrefectFlowFinder(root, write_index=False).index().flows if root.is_dir() else None
        config = load_deploy_config(
            path,
            required=explicit,
            confined_to=project,
            flows=flows,
            root=project,
            config=project_rules(project),
        )
    except AcmePortalError as exc:
        return [(False, f"deploy config: {exc}")]
    return [(True, f"deploy config {path} ({len(config.entries)} flows)")]


def check_project_configuration(project_dir: str | Path = ".") -> tuple[bool, list[str]]:
    """Check the `.acme_portal_sdk` files of `project_dir`, then what they point at.

    Returns whether the configuration is complete and one `✅`/`❌` line per check (plus a
    summary): each of the four files exists and holds an instance of the right base class,
    the flow finder's root exists, its index file (if built) is readable, and the deploy
    configuration (if present) parses.
    """
    project = Path(project_dir).absolute()
    config_dir = project / CONFIG_DIR
    results: list[tuple[bool, str]] = []
    finder: object = None
    for file_name, base_class in REQUIRED_FILES.items():
        instance, problem = _import_file(config_dir, file_name, base_class)
        results.append(
            (problem is None, file_name if problem is None else f"{file_name}: {problem}")
        )
        if file_name == "flow_finder.py":
            finder = instance
    if finder is not None:
        results.extend(_finder_checks(project, finder))
    results.extend(_deploy_config_check(project, finder))
    complete = all(ok for ok, _ in results)
    messages = [f"{OK if ok else FAILED} {text}" for ok, text in results]
    messages.append("Configuration is complete." if complete else "Configuration is incomplete.")
    return complete, messages


def parser() -> argparse.ArgumentParser:
    """The `aps check-config` argument parser."""
    result = argparse.ArgumentParser(
        prog="aps check-config", description=f"check the {CONFIG_DIR} files the extension imports"
    )
    result.add_argument("--root", help=console.ROOT_HELP)
    result.add_argument("--project-dir", dest="root", help=argparse.SUPPRESS)  # 2.0's name
    return result


def execute(args: argparse.Namespace) -> int:
    """Run `aps check-config` with parsed arguments."""
    complete, messages = check_project_configuration(console.project_root(args.root))
    print(console.printable("\n".join(messages)))
    return console.EXIT_OK if complete else console.EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """`aps check-config`; 0 when the configuration is complete, 1 otherwise."""
    return console.run("aps check-config", parser(), execute, argv)
