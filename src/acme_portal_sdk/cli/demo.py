"""`aps demo`: the whole deployment story on a throwaway local Prefect server.

1. copies the project (`--root DIR`, default: the bundled `examples/acme_prefect`) into a
   temporary folder; the bundled example gets a demo deploy configuration, any other
   project keeps its own;
2. starts `prefect server start` on a free loopback port with a temporary `PREFECT_HOME`
   and waits for `/api/health`;
3. creates `process` work pools (the demo's and those the deploy configuration names),
   scans the project (its code is never imported) and deploys every flow to `dev`, under
   the project's name (`[project] name` of pyproject.toml, else the folder's);
4. promotes one of the flows it deployed (`hello_world` when there is one) to `uat`;
5. prints the deployments as the extension shows them (flow -> Branch -> Environment);
6. stops the server by its PID and deletes the temporary folder, also on errors and Ctrl-C;
   with `--keep`, leaves both in place and prints how to use and stop the server.
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
        formatter_class=console.HelpFormatter,
    )
    result.add_argument("--root", help=f"project to deploy (default: {EXAMPLE} of this repository)")
    result.add_argument("--project", dest="root", help=argparse.SUPPRESS)  # 2.0's name
    result.add_argument(
        "--keep",
        action="store_true",
        help="leave the server (and the copy of the project) running; print how to stop it",
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
        "a checkout of acme-portal-sdk or give --root DIR"
    )


def copy_project(source: Path, target: Path, *, example: bool = True) -> Path:
    """Copy the project (not its index or caches); the bundled `example` gets a config."""
    shutil.copytree(
        source, target, ignore=shutil.ignore_patterns(".acme_scan", "__pycache__", ".git")
    )
    config = target / ".acme_portal_sdk" / "static_flow_deploy_config.yaml"
    if example and not config.exists():
        config.parent.mkdir(exist_ok=True)
        config.write_text(DEMO_CONFIG, encoding="utf-8")
    return target


def is_bundled_example(path: Path) -> bool:
    """Whether `path` is this repository's `examples/acme_prefect`."""
    return path.resolve() in {
        (Path.cwd() / EXAMPLE).resolve(),
        (Path(__file__).resolve().parents[3] / EXAMPLE).resolve(),
    }


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
    from acme_portal_sdk import repository
    from acme_portal_sdk.prefect.local_server import LocalPrefectServer

    example = find_example(args.root)
    temp = Path(tempfile.mkdtemp(prefix="aps-demo-"))
    kept = False
    try:
        # The copy keeps the folder's name: without pyproject.toml it is the project's name.
        root = copy_project(
            example, temp / "project" / example.name, example=is_bundled_example(example)
        )
        project = repository.project_name(root)
        started = step(f"Starting a local Prefect server (PREFECT_HOME={temp}/prefect)")
        server = LocalPrefectServer(temp / "prefect", startup_timeout=args.startup_timeout)
        with server:
            print(f"   PREFECT_API_URL={server.api_url} (pid {server.pid})", flush=True)
            done(started)
            _story(server, root, project, example.name)
            if args.keep:
                pid = server.detach()
                kept = True
                _print_keep(server.api_url, str(temp / "prefect"), pid, root, temp)
                return console.EXIT_OK
            step(f"Stopping the Prefect server (pid {server.pid})")
    finally:
        if not kept:
            shutil.rmtree(temp, ignore_errors=True)
    print("Done: the server is stopped and its temporary folder removed.")
    return console.EXIT_OK


def _story(server: Any, root: Path, project: str, shown: str) -> None:
    """Steps 3-5, against the running `server`."""
    from acme_portal_sdk.cli.deployments import tree_lines
    from acme_portal_sdk.prefect.deploy_info import PrefectDeployInfoPrep
    from acme_portal_sdk.prefect.deployer import PrefectFlowDeployer
    from acme_portal_sdk.prefect.deployment_finder import PrefectDeploymentFinder
    from acme_portal_sdk.prefect.deployment_promote import PrefectDeploymentPromote
    from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder
    from acme_portal_sdk.prefect.local_server import client_environment

    with client_environment(server.environment()):
        prep = PrefectDeployInfoPrep(default_work_pool=WORK_POOL, root_dir=root)
        config = prep.load_config()  # validated here, before the server is used
        pools = sorted(
            {WORK_POOL}
            | {entry.work_pool_name for entry in config.entries.values() if entry.work_pool_name}
        )
        started = step(f"Creating the process work pool(s) {', '.join(map(repr, pools))}")
        for pool in pools:
            create_work_pool(pool)
        done(started)

        started = step(f"Deploying every flow of {shown} to dev (project {project!r})")
        flows = prep.all_flow_names()
        if not flows:
            raise InputError(f"{shown} has no deployable flow: nothing to demonstrate")
        infos = prep.prep_deploy_info(
            project_name=project,
            branch_name=BRANCH,
            commit_hash=COMMIT,
            image_uri=None,
            package_version=PACKAGE_VERSION,
            env="dev",
            flows_to_deploy=flows,
        )
        report = PrefectFlowDeployer().deploy_all(infos)
        print("\n".join(f"   {line}" for line in report.lines()))
        done(started)

        deployed = [outcome.flow_name for outcome in report.deployed]
        promoted = PROMOTED_FLOW if PROMOTED_FLOW in deployed else deployed[0]
        started = step(f"Promoting {promoted} from dev to uat")
        promote = PrefectDeploymentPromote(flow_deploy_info_prep=prep)
        arguments: dict[str, Any] = {
            "project_name": project,
            "branch_name": BRANCH,
            "source_env": "dev",
            "target_env": "uat",
            "flows_to_deploy": [promoted],
        }
        print("\n".join(f"   {line}" for line in promote.plan(**arguments).lines()))
        print("\n".join(f"   {line}" for line in promote.promote_all(**arguments).lines()))
        done(started)

        started = step("Deployments, as the acme-portal extension shows them")
        listed = PrefectFlowFinder(root).list_flows()
        deployments = PrefectDeploymentFinder().list_deployments()
        print("\n".join(tree_lines(deployments, listed)))
        done(started)


def _print_keep(api_url: str, home: str, pid: int, root: Path, temp: Path) -> None:
    print(
        "\n".join(
            [
                "",
                f"The Prefect server keeps running (pid {pid}). To use it:",
                f"  export PREFECT_API_URL={api_url} PREFECT_HOME={home}",
                "  aps deployments --format tree",
                f"  aps deploy --root {root} --env dev --work-pool {WORK_POOL} "
                f"--branch-name {BRANCH} --commit-hash {COMMIT[:12]} --dry-run",
                "To stop it and remove its files:",
                f"  kill -- -{pid} && rm -rf {temp}",
            ]
        ),
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`aps demo`; returns the exit code."""
    return console.run("aps demo", parser(), execute, argv)
