"""`aps deployments`: the deployments of the Prefect server, as the extension shows them.

`--format table` (default) is one row per deployment; `tree` groups them as the extension's
tree does (flow -> `Branch: <branch>` -> `Environment: <env>`); `json` prints the list the
extension receives.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from acme_portal_sdk.cli import console
from acme_portal_sdk.deployment_finder import DeploymentDetails
from acme_portal_sdk.flow_finder import FlowDetails


def parser() -> argparse.ArgumentParser:
    """The `aps deployments` argument parser."""
    result = argparse.ArgumentParser(
        prog="aps deployments",
        description=__doc__,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    result.add_argument(
        "--flow", action="append", default=[], help="only this flow (repeatable; _ or - form)"
    )
    result.add_argument("--project", help="only this project's deployments")
    result.add_argument("--format", choices=("table", "tree", "json"), default="table")
    console.add_verbosity(result)
    return result


def table_lines(deployments: Sequence[DeploymentDetails]) -> list[str]:
    """One row per deployment, sorted by project, flow, branch and environment."""
    rows = [
        [
            d.project_name,
            d.flow_name,
            d.branch,
            d.env,
            d.commit_hash[:10],
            d.package_version,
            d.updated_at,
            d.url,
        ]
        for d in sorted(
            deployments, key=lambda d: (d.project_name, d.flow_name, d.branch, d.env, d.name)
        )
    ]
    headers = ["PROJECT", "FLOW", "BRANCH", "ENV", "COMMIT", "PACKAGE", "UPDATED", "URL"]
    return [*console.table(headers, rows), f"{len(rows)} deployment(s)"]


def tree_lines(
    deployments: Sequence[DeploymentDetails], flows: Sequence[FlowDetails] | None = None
) -> list[str]:
    """The extension's tree: flow -> `Branch: b` -> `Environment: e`.

    With `flows`, every flow is shown (as the extension lists them), deployed or not, and
    deployments of flows not among them are listed last.
    """
    by_flow: dict[str, list[DeploymentDetails]] = {}
    for d in deployments:
        by_flow.setdefault(d.flow_name, []).append(d)
    names = [f.name for f in flows] if flows is not None else sorted(by_flow)
    labels = {f.name: f"{f.name}  ({f.source_relative}:{f.line_number})" for f in flows or ()}
    lines = []
    for name in names:
        lines.append(labels.get(name, name))
        lines.extend(_branches(by_flow.get(name, [])) or ["  (no deployments)"])
    others = sorted(set(by_flow) - set(names))
    for name in others:
        lines.append(f"{name}  (not a flow of this project)")
        lines.extend(_branches(by_flow[name]))
    return lines


def _branches(deployments: Sequence[DeploymentDetails]) -> list[str]:
    lines = []
    for branch in sorted({d.branch for d in deployments}):
        lines.append(f"  Branch: {branch}")
        for d in sorted((d for d in deployments if d.branch == branch), key=lambda d: d.env):
            lines.append(
                f"    Environment: {d.env}  {d.name}  commit {d.commit_hash[:10]}  {d.url}"
            )
    return lines


def execute(args: argparse.Namespace) -> int:
    """Run `aps deployments` with parsed arguments."""
    from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder
    from acme_portal_sdk.prefect.naming import to_flow_name

    deployments = PrefectDeploymentFinder(args.project).list_deployments()
    if args.flow:
        wanted = {to_flow_name(name) for name in args.flow}
        deployments = [d for d in deployments if d.flow_name in wanted]
    if args.format == "json":
        print(json.dumps([d.to_dict() for d in deployments], indent=2, sort_keys=True))
    elif args.format == "tree":
        print("\n".join(tree_lines(deployments)))
    else:
        print("\n".join(table_lines(deployments)))
    return console.EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """`aps deployments`; returns the exit code."""
    return console.run("aps deployments", parser(), execute, argv)
