"""`aps init`: write the `.acme_portal_sdk/` files the extension imports, and a deploy config.

Writes `flow_finder.py`, `deployment_finder.py`, `flow_deploy.py` and `deployment_promote.py`
(deploying and promoting directly with Prefect, `--prefect`, the default; or by dispatching
GitHub Actions workflows, `--github`) and a starter `static_flow_deploy_config.yaml` listing
the project's flows (commented out: every flow starts with the defaults). Existing files are
kept unless `--force`. `aps check-config` passes on the result.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

from acme_portal_sdk.cli import console
from acme_portal_sdk.cli.check_config import CONFIG_DIR

logger = logging.getLogger(__name__)

DEPLOY_CONFIG = "static_flow_deploy_config.yaml"

FLOW_FINDER = '''\
"""The flows the acme-portal extension lists (found statically, never imported)."""

from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder

flow_finder = PrefectFlowFinder(".")  # the workspace root (the extension's cwd)
'''

DEPLOYMENT_FINDER = '''\
"""The deployments the acme-portal extension lists (from the server PREFECT_API_URL names)."""

from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder

deployment_finder = PrefectDeploymentFinder(project_name={project!r})  # None: every project
'''

PREFECT_DEPLOY = '''\
"""How the acme-portal extension deploys flows: directly, with Prefect."""

from acme_portal_sdk.prefect.flow_deploy import PrefectDeployWorkflow

# default_work_pool: the pool of flows whose entry in static_flow_deploy_config.yaml names none.
deploy = PrefectDeployWorkflow(env="dev", project_name={project!r}, default_work_pool=None)
'''

PREFECT_PROMOTE = '''\
"""How the acme-portal extension promotes deployments: directly, with Prefect."""

from acme_portal_sdk.prefect.deployment_promote import PrefectPromoteWorkflow

promote = PrefectPromoteWorkflow(project_name={project!r})
'''

GITHUB_DEPLOY = '''\
"""How the acme-portal extension deploys flows: by dispatching .github/workflows/deploy.yml."""

from acme_portal_sdk.github import GithubActionsDeployWorkflow

deploy = GithubActionsDeployWorkflow()  # the workflow takes the input `flows-to-deploy`
'''

GITHUB_PROMOTE = '''\
"""How the acme-portal extension promotes deployments: by dispatching promote.yml."""

from acme_portal_sdk.github import GithubActionsPromoteWorkflow

promote = GithubActionsPromoteWorkflow()
'''

CONFIG_HEADER = """\
# Per-flow deployment settings, keyed by flow name (`daily_sales` or `daily-sales`).
# A flow without an entry gets the defaults: the default work pool, no schedule, not
# paused, a concurrency limit of 1, its own description, no parameters. Keys:
# work_pool_name, work_queue_name, parameters, cron, paused, concurrency_limit,
# description, triggers. `acme-scan check` and `aps check-config` validate this file.
"""


def starter_config(flows: Sequence[str]) -> str:
    """The starter deploy config: the header, then a commented entry per flow."""
    names = list(flows) or ["my_flow"]
    entries = "".join(
        f'#\n# {name}:\n#   work_pool_name: my-pool\n#   cron: "0 6 * * *"\n' for name in names
    )
    return CONFIG_HEADER + entries


def parser() -> argparse.ArgumentParser:
    """The `aps init` argument parser."""
    result = argparse.ArgumentParser(
        prog="aps init",
        description=__doc__,
        allow_abbrev=False,
        formatter_class=console.HelpFormatter,
    )
    result.add_argument("--root", default=".", help="root of the project (default: .)")
    kind = result.add_mutually_exclusive_group()
    kind.add_argument(
        "--prefect",
        dest="github",
        action="store_false",
        help="deploy and promote directly with Prefect (the default)",
    )
    kind.add_argument(
        "--github",
        dest="github",
        action="store_true",
        help="deploy and promote by dispatching GitHub Actions workflows",
    )
    result.add_argument("--force", action="store_true", help="overwrite existing files")
    console.add_verbosity(result)
    return result


def files_for(root: Path, *, github: bool) -> dict[str, str]:
    """The files `aps init` writes under `root/.acme_portal_sdk`, by name."""
    from acme_portal_sdk import repository

    project = repository.project_name(root)
    return {
        "flow_finder.py": FLOW_FINDER,
        "deployment_finder.py": DEPLOYMENT_FINDER.format(project=project),
        "flow_deploy.py": (GITHUB_DEPLOY if github else PREFECT_DEPLOY).format(project=project),
        "deployment_promote.py": (GITHUB_PROMOTE if github else PREFECT_PROMOTE).format(
            project=project
        ),
        DEPLOY_CONFIG: starter_config(_flow_names(root)),
    }


def _flow_names(root: Path) -> list[str]:
    from acme_portal_sdk.errors import AcmePortalError
    from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder

    try:
        return [flow.name for flow in PrefectFlowFinder(root).list_flows()]
    except AcmePortalError as exc:
        logger.warning("listing the flows failed (%s): the deploy config gets an example", exc)
        return []


def execute(args: argparse.Namespace) -> int:
    """Run `aps init` with parsed arguments."""
    from acme_portal_sdk.errors import InputError
    from acme_scan.confined import Folder
    from acme_scan.errors import AcmeScanError

    root = Path(args.root).absolute()
    if not root.is_dir():
        raise InputError(f"{root} is not a directory: give the project root with --root")
    for name, text in files_for(root, github=args.github).items():
        # Written like every path in a repository: below the root, never through a link.
        try:
            with Folder(root, root / CONFIG_DIR / name, create=True) as folder:
                if folder.lstat() is not None and not args.force:
                    print(f"kept     {CONFIG_DIR}/{name} (exists; --force overwrites it)")
                    continue
                folder.write_atomic(text.encode("utf-8"))
        except AcmeScanError as exc:
            raise InputError(str(exc)) from exc
        print(f"wrote    {CONFIG_DIR}/{name}")
    print("Next: `aps check-config` checks them; `acme-scan check` checks the flows.")
    return console.EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """`aps init`; returns the exit code."""
    return console.run("aps init", parser(), execute, argv)
