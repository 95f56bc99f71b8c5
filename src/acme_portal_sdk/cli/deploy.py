"""`aps deploy`: deploy a project's flows to one environment of the Prefect server.

Like acme-portal-sdk 1.x's `aps-prefect-deploy deploy` (whose single-dash option spellings,
e.g. `-project-name`, are accepted too), without importing the project's code. Project,
branch, commit and package version default to what the repository says; `--dry-run` prints
what would be created or changed, field by field, and changes nothing.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from acme_portal_sdk.cli import console


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by `aps deploy` and `aps promote`."""
    parser.add_argument("--root", help=console.ROOT_HELP)
    parser.add_argument(
        "--project-name",
        "-project-name",
        help="project name (default: [project] name of pyproject.toml, else the folder name)",
    )
    parser.add_argument(
        "--branch-name", "-branch-name", help="git branch (default: the checked-out branch)"
    )
    parser.add_argument(
        "--flows-to-deploy",
        "-flows-to-deploy",
        default="all",
        help="comma-separated flow names, or 'all' (default)",
    )
    parser.add_argument(
        "--static-flow-config-path",
        "-static-flow-config-path",
        help="per-flow deploy configuration "
        "(default: .acme_portal_sdk/static_flow_deploy_config.yaml if present)",
    )
    parser.add_argument("--work-pool", help="work pool of flows whose configuration names none")
    parser.add_argument(
        "--env-var",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment variable of the flow runs (repeatable)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change; change nothing"
    )
    console.add_verbosity(parser)


def parser() -> argparse.ArgumentParser:
    """The `aps deploy` argument parser."""
    result = argparse.ArgumentParser(
        prog="aps deploy",
        description=__doc__,
        allow_abbrev=False,
        formatter_class=console.HelpFormatter,
    )
    result.add_argument("--env", "-env", required=True, help="environment, e.g. dev")
    result.add_argument("--commit-hash", "-commit-hash", help="commit deployed (default: git HEAD)")
    result.add_argument("--image-uri", "-image-uri", help="container image of the runs")
    result.add_argument(
        "--package-version",
        "-package-version",
        help="package version (default: [project] version of pyproject.toml)",
    )
    result.add_argument(
        "--require-clean",
        action="store_true",
        help="refuse to deploy from a work tree with uncommitted changes (default: a warning)",
    )
    add_source_arguments(result)
    return result


def check_work_tree(root: Path, commit: str, *, require_clean: bool) -> None:
    """Warn (or, with `require_clean`, refuse) when the tree differs from the commit deployed.

    The deployment is tagged with `commit`, but the code deployed is the work tree's.
    """
    import logging

    from acme_portal_sdk import repository
    from acme_portal_sdk.errors import InputError

    changed = repository.uncommitted_files(root)
    if not changed:
        return
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    message = (
        f"the work tree has uncommitted changes ({shown}): the deployment would be tagged "
        f"with commit {commit[:12]}, which does not contain them"
    )
    if require_clean:
        raise InputError(f"{message}; commit or stash them first (--require-clean)")
    logging.getLogger(__name__).warning(
        "%s; commit them first, or pass --require-clean to refuse", message
    )


def execute(args: argparse.Namespace) -> int:
    """Run `aps deploy` with parsed arguments."""
    from acme_portal_sdk import repository
    from acme_portal_sdk.prefect.deploy_info import PrefectDeployInfoPrep
    from acme_portal_sdk.prefect.deployer import PrefectFlowDeployer
    from acme_portal_sdk.prefect.flow_deploy import UNKNOWN_VERSION

    root = console.project_root(args.root)
    prep = PrefectDeployInfoPrep(args.static_flow_config_path, args.work_pool, root_dir=root)
    flows = console.split_flows(args.flows_to_deploy)
    _, version = repository.project_metadata(root)
    commit = args.commit_hash or repository.commit_hash(root)
    if not args.commit_hash or args.require_clean:
        check_work_tree(root, commit, require_clean=args.require_clean)
    infos = prep.prep_deploy_info(
        project_name=args.project_name or repository.project_name(root),
        branch_name=args.branch_name or repository.current_branch(root),
        commit_hash=commit,
        image_uri=args.image_uri,
        package_version=args.package_version or version or UNKNOWN_VERSION,
        env=args.env,
        flows_to_deploy=prep.all_flow_names() if flows is None else flows,
        env_vars=console.parse_env_vars(args.env_var),
    )
    deployer = PrefectFlowDeployer()
    if args.dry_run:
        plan = deployer.plan(infos)
        print(console.printable("\n".join(plan.lines(detail=args.verbose > 0))))
        return console.EXIT_FAILED if plan.problems else console.EXIT_OK
    report = deployer.deploy_all(infos)
    print("\n".join(report.lines()))
    return console.EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """`aps deploy`; returns the exit code."""
    return console.run("aps deploy", parser(), execute, argv)
