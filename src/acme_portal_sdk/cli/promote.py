"""`aps promote`: recreate flows' deployments of one environment in another.

Reads each flow's deployment in `--source-env` and deploys the same code (image, commit,
package version, version) to `--target-env` with the target's settings from the deploy
configuration. `--dry-run` prints what would be created or changed and changes nothing.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from acme_portal_sdk.cli import console
from acme_portal_sdk.cli.deploy import add_source_arguments


def parser() -> argparse.ArgumentParser:
    """The `aps promote` argument parser."""
    result = argparse.ArgumentParser(
        prog="aps promote",
        description=__doc__,
        allow_abbrev=False,
        formatter_class=console.HelpFormatter,
    )
    result.add_argument(
        "--source-env", "-source-env", required=True, help="environment to promote from"
    )
    result.add_argument(
        "--target-env",
        "--env",
        "-env",
        dest="target_env",
        required=True,
        help="environment to promote to",
    )
    add_source_arguments(result)
    return result


def execute(args: argparse.Namespace) -> int:
    """Run `aps promote` with parsed arguments."""
    from acme_portal_sdk import repository
    from acme_portal_sdk.prefect.deploy_info import PrefectDeployInfoPrep
    from acme_portal_sdk.prefect.deployment_promote import PrefectDeploymentPromote

    root = console.project_root(args.root)
    prep = PrefectDeployInfoPrep(args.static_flow_config_path, args.work_pool, root_dir=root)
    promote = PrefectDeploymentPromote(flow_deploy_info_prep=prep)
    flows = console.split_flows(args.flows_to_deploy)
    arguments = {
        "project_name": args.project_name or repository.project_name(root),
        "branch_name": args.branch_name or repository.current_branch(root),
        "source_env": args.source_env,
        "target_env": args.target_env,
        "flows_to_deploy": prep.all_flow_names() if flows is None else flows,
        "target_env_vars": console.parse_env_vars(args.env_var),
    }
    if args.dry_run:
        plan = promote.plan(**arguments)
        print(console.printable("\n".join(plan.lines(detail=args.verbose > 0))))
        return console.EXIT_FAILED if plan.problems else console.EXIT_OK
    report = promote.promote_all(**arguments)
    print("\n".join(report.lines()))
    return console.EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """`aps promote`; returns the exit code."""
    return console.run("aps promote", parser(), execute, argv)
