"""What one Prefect deployment should be (`PrefectDeployInfo`) and how it is prepared.

Preparation never imports the project's code: the flow's entrypoint, description and
parameter schema come from acme-scan's index, the settings from the deploy configuration
(`acme_portal_sdk.prefect.deploy_config`), the rest from the `DeployContext` (project,
branch, commit, image, package version, environment).

`validate_deploy_infos` checks everything that can be checked without a server (names, work
pool, entrypoint, cron, triggers, parameters against the flow's schema) and reports every
problem of every deployment at once; deployers call it before contacting the server.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acme_portal_sdk.errors import (
    DeployConfigError,
    DeploymentValidationError,
    FlowNotFoundError,
    InvalidNameError,
)
from acme_portal_sdk.flow_deploy import DeployInfo, DeployInfoPrep
from acme_portal_sdk.prefect.deploy_config import (
    DeployConfig,
    FlowDeployConfig,
    default_config_path,
    load_deploy_config,
)
from acme_portal_sdk.prefect.naming import (
    BANNED_CHARACTERS,
    DeploymentName,
    deployment_tags,
    deployment_version,
    name_problems,
    to_flow_name,
)
from acme_scan.confined import is_inside

if TYPE_CHECKING:
    from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder
    from acme_scan.check.config import CheckConfig
    from acme_scan.models import Flow, Index

logger = logging.getLogger(__name__)

#: The job variable that tells a flow run the name of its deployment (as in 1.x).
DEPLOYMENT_NAME_VARIABLE = "DEPLOYMENT_NAME"


@dataclass
class PrefectDeployInfo(DeployInfo):
    """Everything sent to Prefect for one deployment (the full desired state).

    On top of `DeployInfo`: `triggers` (trigger type -> arguments), `image_uri` (also in
    `job_variables["image"]`), `version`, `entrypoint` (`path:qualname`),
    `parameter_openapi_schema`, `path` (working directory of runs), `pull_steps`,
    `enforce_parameter_schema`, `collision_strategy` (of the concurrency limit) and
    `accepts_extra_parameters` (whether parameters the schema does not name are allowed:
    True for flows taking `**kwargs`, None when unknown, which skips that check).
    `flow_name` is the flow's name on the server: its `FlowDetails.name` (`_` form), as
    acme-portal-sdk 1.x registered it.
    """

    triggers: dict[str, dict[str, Any]] | None = None
    image_uri: str | None = None
    version: str | None = None
    entrypoint: str | None = None
    parameter_openapi_schema: dict[str, Any] | None = None
    path: str | None = "."
    pull_steps: list[dict[str, Any]] = field(default_factory=list)
    enforce_parameter_schema: bool = True
    collision_strategy: str | None = None
    accepts_extra_parameters: bool | None = False


@dataclass(frozen=True)
class DeployContext:
    """Where and what is deployed: the same for every flow of one deployment run."""

    project_name: str
    branch_name: str
    commit_hash: str
    package_version: str
    env: str
    image_uri: str | None = None
    env_vars: Mapping[str, str] = field(default_factory=dict)

    def name_for(self, flow_name: str) -> DeploymentName:
        """The deployment name of `flow_name` in this context."""
        return DeploymentName(self.project_name, self.branch_name, flow_name, self.env)

    def problems(self) -> list[str]:
        """What is wrong with the commit and package version (names are checked per flow)."""
        problems = []
        for label, value in (
            ("commit hash", self.commit_hash),
            ("package version", self.package_version),
        ):
            if not value.strip():
                problems.append(f"the {label} is empty")
        return problems


def job_variables(
    deployment_name: str, image_uri: str | None, env_vars: Mapping[str, str] | None
) -> dict[str, Any]:
    """The job variables of a deployment: the run's environment and, if any, its image."""
    variables: dict[str, Any] = {
        "env": {**(env_vars or {}), DEPLOYMENT_NAME_VARIABLE: deployment_name}
    }
    if image_uri:
        variables["image"] = image_uri
    return variables


def accepts_extra_parameters(flow: Flow) -> bool:
    """Whether the flow takes `**kwargs` (so any parameter name is accepted)."""
    return any(p.kind == "var_keyword" for p in flow.parameters)


def build_deploy_info(
    flow: Flow,
    settings: FlowDeployConfig,
    context: DeployContext,
    default_work_pool: str | None = None,
) -> PrefectDeployInfo:
    """The deployment of the scanned `flow` in `context` with its configured `settings`."""
    if flow.name is None:
        raise ValueError(f"{flow.path}:{flow.line}: the flow's name is unknown statically")
    flow_name = to_flow_name(flow.name)
    name = context.name_for(flow_name).name
    description = settings.description if "description" in settings.given else flow.description
    return PrefectDeployInfo(
        name=name,
        flow_name=flow_name,
        work_pool_name=settings.work_pool_name or default_work_pool,
        work_queue_name=settings.work_queue_name,
        parameters=dict(settings.parameters),
        job_variables=job_variables(name, context.image_uri, context.env_vars),
        cron=settings.cron,
        paused=settings.paused,
        concurrency_limit=settings.concurrency_limit,
        collision_strategy=settings.collision_strategy,
        description=description or "",
        tags=deployment_tags(
            context.project_name,
            context.branch_name,
            context.commit_hash,
            context.package_version,
        ),
        triggers=dict(settings.triggers),
        image_uri=context.image_uri,
        version=deployment_version(context.branch_name, context.commit_hash),
        entrypoint=flow.entrypoint,
        parameter_openapi_schema=flow.parameter_schema,
        accepts_extra_parameters=(
            accepts_extra_parameters(flow) if flow.parameter_schema is not None else None
        ),
    )


def deployable_flows(index: Index) -> dict[str, list[Flow]]:
    """The index's deployable flows by `FlowDetails.name` (a list when a name is reused)."""
    flows: dict[str, list[Flow]] = {}
    for flow in index.flows:
        if (
            flow.framework == "prefect"
            and flow.deployable
            and flow.name is not None
            and flow.entrypoint is not None
        ):
            flows.setdefault(to_flow_name(flow.name), []).append(flow)
    return flows


def select_flows(index: Index, requested: Sequence[str]) -> list[Flow]:
    """The flows named in `requested` (either spelling, duplicates ignored), in that order.

    Raises `FlowNotFoundError` naming every unknown flow (with close matches), and
    `DeploymentValidationError` for names several flows share.
    """
    from acme_portal_sdk._shell import shell_safe_text

    available = deployable_flows(index)
    # A name the extension sends back is in its shell-safe form (no ` or $): map it back.
    unsafe = {shell_safe_text(name): name for name in available if shell_safe_text(name) != name}
    wanted = list(
        dict.fromkeys(
            unsafe.get(name, name) for name in (to_flow_name(n.strip()) for n in requested)
        )
    )
    unknown = [name for name in wanted if name not in available]
    if unknown:
        not_deployable = {
            to_flow_name(f.name): f
            for f in index.flows
            if f.framework == "prefect" and f.name is not None and not f.deployable
        }
        described = []
        for name in unknown:
            if name in not_deployable:
                flow = not_deployable[name]
                described.append(
                    f"{name} ({flow.path}:{flow.line} cannot be loaded from an entrypoint)"
                )
                continue
            close = difflib.get_close_matches(name, list(available), n=1)
            described.append(f"{name} (did you mean {close[0]}?)" if close else name)
        raise FlowNotFoundError(described, sorted(available))
    shared = {name: available[name] for name in wanted if len(available[name]) > 1}
    if shared:
        raise DeploymentValidationError(
            [
                f"flow name {name} is defined {len(flows)} times ("
                + ", ".join(f"{f.path}:{f.line}" for f in flows)
                + "): rename all but one (acme-scan check reports this as AS201/AS202)"
                for name, flows in shared.items()
            ]
        )
    return [available[name][0] for name in wanted]


def project_rules(root: Path) -> CheckConfig | None:
    """The rule selection and severities of `[tool.acme-scan]` (None: unreadable, defaults)."""
    from acme_scan import AcmeScanError, load_settings
    from acme_scan.check.config import check_config

    try:
        return check_config(load_settings(root), root / "pyproject.toml")
    except AcmeScanError as exc:
        logger.warning("%s (deploy-config rules run with their defaults)", exc)
        return None


class PrefectDeployInfoPrep(DeployInfoPrep):
    """Prepares the `PrefectDeployInfo` of flows from the index and the deploy configuration.

    `static_flow_deploy_config`: the configuration file (default: the project's, see
    `acme_portal_sdk.prefect.deploy_config`); `default_work_pool`: the pool of flows whose
    entry names none; `prefect_flow_finder`: gives the project root (its `root_dir`) and the
    index (default: a `PrefectFlowFinder` of `root_dir`). The constructor reads nothing.
    """

    def __init__(
        self,
        static_flow_deploy_config: str | Path | None = None,
        default_work_pool: str | None = None,
        prefect_flow_finder: PrefectFlowFinder | None = None,
        *,
        root_dir: str | Path = ".",
    ) -> None:
        self.static_flow_deploy_config = static_flow_deploy_config
        self.default_work_pool = default_work_pool
        self.prefect_flow_finder = prefect_flow_finder
        self.root_dir = Path(prefect_flow_finder.root_dir if prefect_flow_finder else root_dir)

    def finder(self) -> PrefectFlowFinder:
        """The flow finder giving the project's index."""
        if self.prefect_flow_finder is None:
            from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder

            self.prefect_flow_finder = PrefectFlowFinder(self.root_dir)
        return self.prefect_flow_finder

    def load_config(self) -> DeployConfig:
        """Load the deploy configuration, validated as `acme-scan check` validates it.

        Every problem of the file (against the project's flows and their parameters, with
        the rule selection and severities of `[tool.acme-scan]`) is raised at once in one
        `DeployConfigError`, before anything touches a server. A file named outside the
        project is validated too, but its values are never echoed.
        """
        root = self.root_dir.absolute()
        rules = project_rules(root)
        flows = self.finder().index().flows
        if self.static_flow_deploy_config is not None:
            path = Path(self.static_flow_deploy_config)
            try:
                return load_deploy_config(path, required=True, flows=flows, root=root, config=rules)
            except DeployConfigError as exc:
                if is_inside(root, path) or not path.is_file():
                    raise
                # Never echo values of a file outside the project (it may be anything).
                raise DeployConfigError(
                    path,
                    [
                        f"{len(exc.problems)} problem(s); values of a file outside the project "
                        f"{root} are not shown: run `acme-scan check` in its own project"
                    ],
                ) from None
        path, explicit = default_config_path(root)
        return load_deploy_config(
            path, required=explicit, confined_to=root, flows=flows, root=root, config=rules
        )

    def all_flow_names(self) -> list[str]:
        """The `FlowDetails.name` of every deployable flow of the project, in index order."""
        return list(deployable_flows(self.finder().index()))

    def prep_deploy_info(  # type: ignore[override]
        self,
        project_name: str,
        branch_name: str,
        commit_hash: str,
        image_uri: str | None,
        package_version: str,
        env: str,
        flows_to_deploy: Sequence[str],
        env_vars: Mapping[str, str] | None = None,
    ) -> list[PrefectDeployInfo]:
        """One `PrefectDeployInfo` per flow of `flows_to_deploy`, validated.

        Raises `FlowNotFoundError`, `DeployConfigError`, `InvalidNameError` or
        `DeploymentValidationError`, all before any server is contacted.
        """
        context = DeployContext(
            project_name=project_name,
            branch_name=branch_name,
            commit_hash=commit_hash,
            package_version=package_version,
            env=env,
            image_uri=image_uri or None,
            env_vars=dict(env_vars or {}),
        )
        config = self.load_config()
        flows = select_flows(self.finder().index(), flows_to_deploy)
        problems = context.problems()
        for flow in flows:
            assert flow.name is not None  # select_flows keeps named flows only
            problems.extend(
                f"{to_flow_name(flow.name)}: {p}"
                for p in name_problems(project_name, branch_name, flow.name, env)
            )
        if problems:
            raise InvalidNameError(problems)
        infos = [
            build_deploy_info(
                flow,
                config.for_flow(flow.name or ""),
                context,
                self.default_work_pool,
            )
            for flow in flows
        ]
        validate_deploy_infos(infos)
        return infos


def _name_problems(label: str, value: str | None) -> list[str]:
    if value is None or not value.strip():
        return [f"the {label} is empty"]
    problems = []
    if value != value.strip():
        problems.append(f"the {label} {value!r} has leading or trailing whitespace")
    banned = sorted(BANNED_CHARACTERS.intersection(value))
    if banned:
        problems.append(f"the {label} {value!r} contains {' '.join(banned)} (refused by Prefect)")
    return problems


def _cron_problems(cron: str) -> list[str]:
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        return [f"cron {cron!r} is not a valid cron expression: {_first_error(exc)}"]
    return []


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return str(found[0].get("msg", exc))
    return str(exc).splitlines()[0]


def trigger_instances(triggers: Mapping[str, Mapping[str, Any]] | None) -> list[Any]:
    """Prefect trigger objects for `{trigger type: arguments}` (pydantic validates them)."""
    if not triggers:
        return []
    from prefect.events import (
        DeploymentCompoundTrigger,
        DeploymentEventTrigger,
        DeploymentMetricTrigger,
        DeploymentSequenceTrigger,
    )

    classes: dict[str, Any] = {
        "DeploymentEventTrigger": DeploymentEventTrigger,
        "DeploymentMetricTrigger": DeploymentMetricTrigger,
        "DeploymentCompoundTrigger": DeploymentCompoundTrigger,
        "DeploymentSequenceTrigger": DeploymentSequenceTrigger,
    }
    instances = []
    for kind, arguments in triggers.items():
        if kind not in classes:
            raise ValueError(f"unknown trigger type {kind!r}")
        instances.append(classes[kind](**dict(arguments)))
    return instances


def _trigger_problems(triggers: Mapping[str, Mapping[str, Any]] | None) -> list[str]:
    try:
        trigger_instances(triggers)
    except (TypeError, ValueError) as exc:
        return [f"invalid triggers: {_first_error(exc)}"]
    return []


def parameter_problems(
    parameters: Mapping[str, Any],
    schema: Mapping[str, Any] | None,
    *,
    accepts_extra: bool | None,
) -> list[str]:
    """Why `parameters` do not fit the flow's parameter `schema` (as Prefect checks them).

    Values are validated with Prefect's own validator (required parameters may be missing:
    runs can supply them); names the schema does not have are refused unless the flow takes
    `**kwargs` (`accepts_extra`), or that is unknown (None).
    """
    if not parameters:
        return []
    if not schema:  # the signature is unknown statically: nothing to check against
        return []
    problems: list[str] = []
    properties = schema.get("properties") or {}
    if accepts_extra is False:
        problems.extend(
            f"unknown parameter {name!r} (the flow's parameters are: "
            f"{', '.join(properties) or 'none'})"
            for name in parameters
            if name not in properties
        )
    from prefect.utilities.schema_tools.validation import validate

    for error in validate(dict(parameters), dict(schema), ignore_required=True):
        where = ".".join(str(p) for p in error.path) or "parameters"
        problems.append(f"parameter {where}: {error.message}")
    return problems


def deploy_info_problems(info: PrefectDeployInfo) -> list[str]:
    """Every problem of one deployment that can be found without a server."""
    problems = [
        *_name_problems("deployment name", info.name),
        *_name_problems("flow name", info.flow_name),
    ]
    if not info.work_pool_name or not info.work_pool_name.strip():
        problems.append(
            "no work pool: set `work_pool_name` in the deploy configuration or give a "
            "default work pool (--work-pool)"
        )
    if not info.entrypoint or ":" not in info.entrypoint:
        problems.append(f"invalid entrypoint {info.entrypoint!r} (expected path.py:function)")
    if info.cron:
        problems.extend(_cron_problems(info.cron))
    if info.concurrency_limit is not None and info.concurrency_limit < 1:
        problems.append(f"concurrency_limit must be positive, got {info.concurrency_limit}")
    problems.extend(_trigger_problems(info.triggers))
    problems.extend(
        parameter_problems(
            info.parameters or {},
            info.parameter_openapi_schema,
            accepts_extra=info.accepts_extra_parameters,
        )
    )
    return problems


def validate_deploy_infos(infos: Sequence[PrefectDeployInfo]) -> None:
    """Raise `DeploymentValidationError` listing every problem of every deployment."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for info in infos:
        key = (info.flow_name, info.name)
        if key in seen:
            problems.append(f"{info.name}: listed twice")
        seen.add(key)
        problems.extend(f"{info.name or info.flow_name}: {p}" for p in deploy_info_problems(info))
    if problems:
        raise DeploymentValidationError(problems)
