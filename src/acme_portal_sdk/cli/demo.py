"""`aps demo`: the whole deployment story on a throwaway local Prefect server.

1. copies the example project (`examples/acme_prefect`, or `--project`) into a temporary
   folder and writes a deploy configuration there;
2. starts `prefect server start` on a free loopback port with a temporary `PREFECT_HOME`
   and waits for `/api/health`;
3. creates a `process` work pool, scans the project (its code is never imported) and
   deploys every flow to `dev`;
4. promotes one flow (`hello_world`) from `dev` to `uat`;
5. prints the deployments as the extension shows them (flow -> Branch -> Environment);
6. stops the server by its PID and deletes the temporary folder, also on errors and Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from acme_portal_sdk.cli import console
from acme_portal_sdk.errors import InputError

EXAMPLE = Path("examples") / "acme_prefect"
WORK_POOL = "demo-pool"
PROJECT = "acme_prefect"
BRANCH = "main"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
PACKAGE_VERSION = "1.0.0"
PROMOTED_FLOW = "hello_world"
DEMO_CONFIG = """\
# Per-flow deploy settings (the format of acme-portal-sdk 1.x's static_flow_deploy_config.yaml).
hello_world:
  parameters: {name: demo}
  description: Greet the demo.
acme-daily-sales:
  cron: "0 6 * * MON-FRI"
  concurrency_limit: {limit: 1, collision_strategy: CANCEL_NEW}
churn_report:
  paused: true
"""


def parser() -> argparse.ArgumentParser:
    """The `aps demo` argument parser."""
    result = argparse.ArgumentParser(
        prog="aps demo",
        description=__doc__,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    result.add_argument(
        "--project", help=f"project to deploy (default: {EXAMPLE} of this repository)"
    )
    result.add_argument(
        "--startup-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for the server to be healthy (default: 120)",
    )
    console.add_verbosity(result)
    return result


def find_example(given: str | None) -> Path:
    """The project to deploy: `given`, else the bundled example (cwd, then the checkout)."""
    if given:
        candidates = [Path(given)]
    else:
        checkout = Path(__file__).resolve().parents[3]
        candidates = [Path.cwd() / EXAMPLE, checkout / EXAMPLE]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.absolute()
    raise InputError(
        f"no example project at {', '.join(str(c) for c in candidates)}: run `aps demo` from "
        "a checkout of acme-portal-sdk or give --project DIR"
    )


def copy_project(source: Path, target: Path) -> Path:
    """Copy the project (not its index or caches) and add the demo's deploy configuration."""
    shutil.copytree(
        source, target, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__", ".git")
    )
    config = target / ".acme_portal_sdk" / "static_flow_deploy_config.yaml"
    config.parent.mkdir(exist_ok=True)
    if not config.exists():
        config.write_text(DEMO_CONFIG, encoding="utf-8")
    return target


def create_work_pool(name: str) -> None:
    """Create a `process` work pool on the current server (idempotent)."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.workers.process import ProcessWorker

    from acme_portal_sdk.prefect.connection import prefect_client, server_errors

    pool = WorkPoolCreate(
        name=name,
        type="process",
        base_job_template=ProcessWorker.get_default_base_job_template(),
    )
    with prefect_client() as (client, settings):
        action = f"creating work pool {name!r}"
        with server_errors(settings.api_url, action), contextlib.suppress(ObjectAlreadyExists):
            client.create_work_pool(pool)


def step(message: str) -> float:
    """Print a step's title; its start time."""
    print(f"\n== {message}", flush=True)
    return time.perf_counter()


def done(started: float) -> None:
    """Print how long a step took."""
    print(f"   ({time.perf_counter() - started:.2f} s)", flush=True)


def execute(args: argparse.Namespace) -> int:
    """Run `aps demo` with parsed arguments."""
    from acme_portal_sdk.cli.deployments import tree_lines
    from acme_portal_sdk.prefect.deploy_info import PrefectDeployInfoPrep
    from acme_portal_sdk.prefect.deployer import PrefectFlowDeployer
    from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder
    from acme_portal_sdk.prefect.deployment_promote import PrefectDeploymentPromote
    from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder
    from acme_portal_sdk.prefect.local_server import LocalPrefectServer, client_environment

    example = find_example(args.project)
    with tempfile.TemporaryDirectory(prefix="aps-demo-") as temp:
        root = copy_project(example, Path(temp) / "project")
        started = step(f"Starting a local Prefect server (PREFECT_HOME={temp}/prefect)")
        server = LocalPrefectServer(Path(temp) / "prefect", startup_timeout=args.startup_timeout)
        with server, client_environment(server.environment()):
            print(f"   PREFECT_API_URL={server.api_url} (pid {server.pid})", flush=True)
            done(started)

            started = step(f"Creating the process work pool {WORK_POOL!r}")
            create_work_pool(WORK_POOL)
            done(started)

            started = step(f"Deploying every flow of {example.name} to dev")
            prep = PrefectDeployInfoPrep(default_work_pool=WORK_POOL, root_dir=root)
            infos = prep.prep_deploy_info(
                project_name=PROJECT,
                branch_name=BRANCH,
                commit_hash=COMMIT,
                image_uri=None,
                package_version=PACKAGE_VERSION,
                env="dev",
                flows_to_deploy=prep.all_flow_names(),
            )
            print(
                "\n".join(f"   {line}" for line in PrefectFlowDeployer().deploy_all(infos).lines())
            )
            done(started)

            started = step(f"Promoting {PROMOTED_FLOW} from dev to uat")
            promote = PrefectDeploymentPromote(flow_deploy_info_prep=prep)
            arguments: dict[str, Any] = {
                "project_name": PROJECT,
                "branch_name": BRANCH,
                "source_env": "dev",
                "target_env": "uat",
                "flows_to_deploy": [PROMOTED_FLOW],
            }
            print("\n".join(f"   {line}" for line in promote.plan(**arguments).lines()))
            print("\n".join(f"   {line}" for line in promote.promote_all(**arguments).lines()))
            done(started)

            started = step("Deployments, as the acme-portal extension shows them")
            flows = PrefectFlowFinder(root).list_flows()
            deployments = PrefectDeploymentFinder().list_deployments()
            print("\n".join(tree_lines(deployments, flows)))
            done(started)

            step(f"Stopping the Prefect server (pid {server.pid})")
    print("Done: the server is stopped and its temporary folder removed.")
    return console.EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """`aps demo`; returns the exit code."""
    return console.run("aps demo", parser(), execute, argv)
