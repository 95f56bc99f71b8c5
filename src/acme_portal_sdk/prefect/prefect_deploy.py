"""`aps-prefect-deploy`: acme-portal-sdk 1.x's deploy command, for 1.x projects' CI unchanged.

It accepts 1.2.0's command lines exactly (the options of 1.2.0's parser, with acme-config's
`-app-name`, `-env` and `-ver-number`):

    aps-prefect-deploy deploy -app-name APP -env ENV -ver-number N -image-uri I
        -branch-name B -commit-hash C -project-name P -package-version V
        -static-flow-config-path F [--flows-to-deploy all|a,b]
    aps-prefect-deploy promote -app-name APP -env TARGET -ver-number N -source-env SOURCE
        -branch-name B -project-name P -static-flow-config-path F [--flows-to-deploy all|a,b]

and does what `aps deploy` / `aps promote` do (it runs their code, with their messages and
exit codes), in the current directory, as 1.x did:

- the run variables are those of the dotenv file `{app}.{env}.{ver}.env` in the current
  directory (what acme-config's `load_saved_parameters` read; `ac fetch` writes it), with
  `-ver-number` read as an integer (`01` is `1`) as acme-config did. They go into the
  deployments' job variables (`env`), under `DEPLOYMENT_NAME`. A missing file is an input
  error (exit 2), naming the file.
- the default work pool is 1.x's `ecs-pool` (an entry's `work_pool_name` wins);
- `--flows-to-deploy all` deploys the flows `.acme_portal_sdk/flow_finder.py`'s finder lists
  (1.x called its `find_flows()`), or every deployable flow of the current directory when
  that file is absent.

Two options 1.x did not have are accepted: `--work-pool` (another default pool) and
`--dry-run` (print the plan, change nothing).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from acme_portal_sdk.cli import console

logger = logging.getLogger(__name__)

PROG = "aps-prefect-deploy"
#: The work pool 1.x's `aps-prefect-deploy` gave flows whose configuration names none.
DEFAULT_WORK_POOL = "ecs-pool"


def _segment(value: str) -> str:
    """1.x's `-project-name` / `-branch-name` type: `_` becomes `-`."""
    return str(value).replace("_", "-")


def _add_main_arguments(parser: argparse.ArgumentParser) -> None:
    """acme-config's `add_main_arguments` (0.0.14), as 1.2.0 used it."""
    parser.add_argument("-app-name", required=True, type=str, help="Application name")
    parser.add_argument("-env", required=True, type=str, help="Environment")
    parser.add_argument("-ver-number", required=True, type=int, help="Version number")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-project-name", type=_segment, required=True, help="Name of the project")
    parser.add_argument("-branch-name", type=_segment, required=True, help="Name of the branch")


def _add_tail(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-static-flow-config-path",
        type=str,
        required=True,
        help="Path to static flow deployment configuration file",
    )
    parser.add_argument(
        "--flows-to-deploy",
        type=str,
        default="all",
        help="Comma separated list of flow config names to deploy, or 'all'",
    )
    parser.add_argument(
        "--work-pool",
        default=DEFAULT_WORK_POOL,
        help=f"work pool of flows whose configuration names none (default: {DEFAULT_WORK_POOL})",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change; change nothing"
    )


def parser() -> argparse.ArgumentParser:
    """1.2.0's parser (same options, same required ones), plus `--work-pool` and `--dry-run`."""
    result = argparse.ArgumentParser(prog=PROG, description="Deploy flows to prefect")
    subparsers = result.add_subparsers(dest="command")
    deploy = subparsers.add_parser("deploy", help="deploy flows to an environment")
    _add_main_arguments(deploy)
    _add_common(deploy)
    deploy.add_argument("-commit-hash", type=str, required=True, help="Git commit hash")
    deploy.add_argument("-image-uri", type=str, required=True, help="Image URI")
    deploy.add_argument("-package-version", type=str, required=True, help="Package version")
    _add_tail(deploy)
    promote = subparsers.add_parser("promote", help="promote flows to another environment")
    _add_main_arguments(promote)
    promote.add_argument("-source-env", type=str, required=True, help="Source environment")
    _add_common(promote)
    _add_tail(promote)
    return result


def env_file_path(app_name: str, env: str, ver_number: int, directory: Path) -> Path:
    """acme-config's file name: `{app_name}.{env}.{ver_number}.env` in `directory`."""
    return directory / f"{app_name}.{env}.{ver_number}.env"


def load_saved_parameters(
    app_name: str, env: str, ver_number: int, directory: Path
) -> dict[str, str]:
    """The variables of the env file, as acme-config's `load_saved_parameters` read them.

    `python-dotenv`'s `dotenv_values` with its defaults (so `${VAR}` is interpolated, as in
    1.x). A key without a value (a bare `KEY` line) is skipped with a warning: a run's
    environment cannot hold it. Raises `EnvFileNotFoundError` (exit 2) for a missing file.
    """
    from dotenv import dotenv_values

    from acme_portal_sdk.errors import EnvFileNotFoundError, InputError

    path = env_file_path(app_name, env, ver_number, directory)
    if not path.is_file():
        raise EnvFileNotFoundError(
            path,
            f": `{PROG}` reads the run variables of -app-name {app_name} -env {env} "
            f"-ver-number {ver_number} from it (acme-config's `ac fetch` writes it there)",
        )
    try:
        values = dotenv_values(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"env file {path} cannot be read: {exc}") from exc
    result = {}
    for key, value in values.items():
        if value is None:
            logger.warning("%s: %s has no value (no '='): not passed to the runs", path, key)
        else:
            result[key] = value
    return result


def flows_to_deploy(value: str, directory: Path) -> str:
    """`--flows-to-deploy` for `aps deploy|promote`: `all` becomes 1.x's list of names.

    1.x deployed `all` as the names `.acme_portal_sdk/flow_finder.py`'s finder returns from
    `find_flows()`; without that file, `all` stays every deployable flow of `directory`.
    """
    if value != "all":
        return value
    from acme_portal_sdk.cli.check_config import CONFIG_DIR, _import_file
    from acme_portal_sdk.errors import InputError
    from acme_portal_sdk.flow_finder import FlowFinder

    config_dir = directory / CONFIG_DIR
    if not (config_dir / "flow_finder.py").is_file():
        return value
    finder, problem = _import_file(config_dir, "flow_finder.py", FlowFinder)
    if problem is not None or not isinstance(finder, FlowFinder):
        raise InputError(f"cannot list the flows to deploy: {problem}")
    names = [flow.name for flow in finder.find_flows()]
    if not names:
        raise InputError(f"{config_dir / 'flow_finder.py'} finds no flows to deploy")
    return ",".join(names)


def _option(name: str, value: object) -> str:
    # `--name=value`: a value starting with `-` is never taken for an option
    return f"--{name}={value}"


def translate(args: argparse.Namespace, directory: Path) -> tuple[str, list[str]]:
    """The `aps deploy|promote` command line doing what the 1.x `args` asked for."""
    env_vars = load_saved_parameters(args.app_name, args.env, args.ver_number, directory)
    argv = [
        _option("project-name", args.project_name),
        _option("branch-name", args.branch_name),
        _option("static-flow-config-path", args.static_flow_config_path),
        _option("flows-to-deploy", flows_to_deploy(args.flows_to_deploy, directory)),
        _option("work-pool", args.work_pool),
        *(_option("env-var", f"{key}={value}") for key, value in env_vars.items()),
    ]
    if args.dry_run:
        argv.append("--dry-run")
    if args.command == "deploy":
        argv += [
            _option("env", args.env),
            _option("commit-hash", args.commit_hash),
            _option("image-uri", args.image_uri),
            _option("package-version", args.package_version),
        ]
    else:
        argv += [_option("source-env", args.source_env), _option("target-env", args.env)]
    return args.command, argv


def _execute(args: argparse.Namespace) -> int:
    from acme_portal_sdk.cli import deploy, promote

    command, argv = translate(args, Path.cwd())
    module = deploy if command == "deploy" else promote
    execute: Callable[[argparse.Namespace], int] = module.execute
    return execute(module.parser().parse_args(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """`aps-prefect-deploy deploy|promote ...`; returns the exit code (those of `aps deploy`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    the_parser = parser()
    if not args or args[0] not in ("deploy", "promote", "-h", "--help"):
        the_parser.print_usage(sys.stderr)
        console.error(PROG, "expected a command: deploy or promote")
        return console.EXIT_USAGE
    return console.run(PROG, the_parser, _execute, args)


if __name__ == "__main__":
    sys.exit(main())
