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


def _check_file(config_dir: Path, file_name: str, base_class: type) -> str | None:
    """Import one configuration file as the extension does; return the problem, or None."""
    path = config_dir / file_name
    if not path.is_file():
        return f"missing file {path}"
    spec = importlib.util.spec_from_file_location(f"_aps_check_{path.stem}", path)
    if spec is None or spec.loader is None:
        return f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(config_dir))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # report any failure of user code, as the extension would
        return f"importing {path} failed: {type(exc).__name__}: {exc}"
    finally:
        sys.path.remove(str(config_dir))
    if not any(isinstance(getattr(module, name), base_class) for name in dir(module)):
        return f"{path} defines no instance of a {base_class.__name__} subclass"
    return None


def check_project_configuration(project_dir: str | Path = ".") -> tuple[bool, list[str]]:
    """Check the `.acme_portal_sdk` files of `project_dir`.

    Returns whether the configuration is complete and one message per file (plus a summary).
    """
    config_dir = Path(project_dir).absolute() / CONFIG_DIR
    messages: list[str] = []
    complete = True
    for file_name, base_class in REQUIRED_FILES.items():
        problem = _check_file(config_dir, file_name, base_class)
        if problem is None:
            messages.append(f"OK     {file_name}")
        else:
            complete = False
            messages.append(f"ERROR  {file_name}: {problem}")
    messages.append("Configuration is complete." if complete else "Configuration is incomplete.")
    return complete, messages


def parser() -> argparse.ArgumentParser:
    """The `aps check-config` argument parser."""
    result = argparse.ArgumentParser(
        prog="aps check-config", description=f"check the {CONFIG_DIR} files the extension imports"
    )
    result.add_argument(
        "--project-dir", default=".", help="root of the project (default: current directory)"
    )
    return result


def execute(args: argparse.Namespace) -> int:
    """Run `aps check-config` with parsed arguments."""
    complete, messages = check_project_configuration(args.project_dir)
    print("\n".join(messages))
    return console.EXIT_OK if complete else console.EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """`aps check-config`; 0 when the configuration is complete, 1 otherwise."""
    return console.run("aps check-config", parser(), execute, argv)
