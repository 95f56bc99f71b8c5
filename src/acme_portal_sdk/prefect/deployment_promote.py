"""Promotion: recreate a flow's deployment of one environment in another.

`PrefectDeploymentPromote` reads the source environment's deployment
(`read_deployment_by_name("<flow>/<project>--<branch>--<flow>--<source env>")`) and creates
the target environment's deployment of the same code: it carries the source's image, tags
(project, branch, commit, package version), version, entrypoint, path, pull steps and
parameter schema, and applies the target's settings from the deploy configuration (work
pool — else the default work pool, else the source's —, queue, parameters, schedule, paused,
concurrency, description, triggers) and a fresh `DEPLOYMENT_NAME` job variable. Promoting
twice gives the same state (the second is reported `unchanged`).

Order of work: refuse identical environments and invalid names; load the configuration;
read every source (a missing one refuses the whole promotion, nothing written); validate
every target; then write each target, as `PrefectFlowDeployer.deploy_all` does.

`PrefectPromoteWorkflow` is the extension's "promote" action on top of it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from acme_portal_sdk.deployment_promote import DeploymentPromote, PromoteWorkflow
from acme_portal_sdk.errors import (
    InvalidNameError,
    SameEnvironmentError,
    SourceDeploymentNotFoundError,
)
from acme_portal_sdk.prefect.connection import prefect_client, server_errors
from acme_portal_sdk.prefect.deploy_config import DeployConfig
from acme_portal_sdk.prefect.deploy_info import (
    PrefectDeployInfo,
    PrefectDeployInfoPrep,
    job_variables,
    validate_deploy_infos,
)
from acme_portal_sdk.prefect.deployer import PrefectFlowDeployer, ServerSession, apply_all
from acme_portal_sdk.prefect.naming import (
    BRANCH_TAG,
    PROJECT_TAG,
    DeploymentName,
    component_problems,
    name_problems,
    parse_deployment_name,
    tag_values,
    to_flow_name,
    to_segment,
)
from acme_portal_sdk.prefect.plan import Plan
from acme_portal_sdk.prefect.report import DeployReport

logger = logging.getLogger(__name__)


def target_deploy_info(
    source: Any,
    flow_name: str,
    target_env: str,
    config: DeployConfig,
    *,
    default_work_pool: str | None = None,
    env_vars: Mapping[str, str] | None = None,
) -> PrefectDeployInfo:
    """The target deployment of a promotion from the Prefect deployment `source`."""
    tags = list(source.tags or [])
    values = tag_values(tags)
    parsed = parse_deployment_name(source.name, tags)
    project = values.get(PROJECT_TAG) or (parsed.project if parsed else "")
    branch = values.get(BRANCH_TAG) or (parsed.branch if parsed else "")
    name = DeploymentName(project, branch, to_flow_name(flow_name), target_env).name
    image = (source.job_variables or {}).get("image")
    settings = config.for_flow(flow_name)
    description = settings.description if "description" in settings.given else source.description
    return PrefectDeployInfo(
        name=name,
        flow_name=flow_name,
        work_pool_name=settings.work_pool_name or default_work_pool or source.work_pool_name,
        work_queue_name=settings.work_queue_name,
        parameters=dict(settings.parameters),
        job_variables=job_variables(name, image, env_vars),
        cron=settings.cron,
        paused=settings.paused,
        concurrency_limit=settings.concurrency_limit,
        collision_strategy=settings.collision_strategy,
        description=description or "",
        tags=tags,
        triggers=dict(settings.triggers),
        image_uri=image,
        version=source.version,
        entrypoint=source.entrypoint,
        parameter_openapi_schema=source.parameter_openapi_schema,
        path=source.path,
        pull_steps=list(source.pull_steps or []),
        enforce_parameter_schema=(
            True if source.enforce_parameter_schema is None else source.enforce_parameter_schema
        ),
        accepts_extra_parameters=None,
    )


class PrefectDeploymentPromote(DeploymentPromote):
    """Promotes deployments between environments of the server Prefect's settings name.

    `flow_deploy_info_prep` supplies the deploy configuration and default work pool (its
    defaults: the configuration of `root_dir`, no default pool); `deployer` is kept for
    acme-portal-sdk 1.x signatures. `match_branch_prefix` (used by `PrefectPromoteWorkflow`)
    accepts, when no source has exactly the given branch, the one source whose branch starts
    with `{branch}-`: the extension cuts branch names at their first `-` when promoting.
    The constructor contacts nothing.
    """

    def __init__(
        self,
        deployer: PrefectFlowDeployer | None = None,
        flow_deploy_info_prep: PrefectDeployInfoPrep | None = None,
        *,
        root_dir: str | Path = ".",
        match_branch_prefix: bool = False,
    ) -> None:
        self.deployer = deployer or PrefectFlowDeployer()
        self.flow_deploy_info_prep = flow_deploy_info_prep or PrefectDeployInfoPrep(
            root_dir=root_dir
        )
        self.match_branch_prefix = match_branch_prefix

    def promote(
        self,
        project_name: str,
        branch_name: str,
        source_env: str,
        target_env: str,
        flows_to_deploy: list[str],
        target_env_vars: Mapping[str, str] | None = None,
    ) -> None:
        """Promote `flows_to_deploy`; raises on failure (see `promote_all`)."""
        self.promote_all(
            project_name, branch_name, source_env, target_env, flows_to_deploy, target_env_vars
        )

    def promote_all(
        self,
        project_name: str,
        branch_name: str,
        source_env: str,
        target_env: str,
        flows_to_deploy: Sequence[str],
        target_env_vars: Mapping[str, str] | None = None,
    ) -> DeployReport:
        """Promote every flow; `DeploymentsFailedError` at the end when any write failed."""
        report = DeployReport()
        with self._session_and_targets(
            project_name, branch_name, source_env, target_env, flows_to_deploy, target_env_vars
        ) as (session, targets):
            apply_all(session, [info for info, _ in targets], report)
        report.raise_for_failures()
        return report

    def plan(
        self,
        project_name: str,
        branch_name: str,
        source_env: str,
        target_env: str,
        flows_to_deploy: Sequence[str],
        target_env_vars: Mapping[str, str] | None = None,
    ) -> Plan:
        """What `promote_all` would do, without changing anything."""
        with self._session_and_targets(
            project_name, branch_name, source_env, target_env, flows_to_deploy, target_env_vars
        ) as (session, targets):
            return Plan(tuple(session.plan(info, source=source) for info, source in targets))

    @contextmanager
    def _session_and_targets(
        self,
        project_name: str,
        branch_name: str,
        source_env: str,
        target_env: str,
        flows_to_deploy: Sequence[str],
        target_env_vars: Mapping[str, str] | None,
    ) -> Iterator[tuple[ServerSession, list[tuple[PrefectDeployInfo, str]]]]:
        """Check the request, open a session, read every source and build every target."""
        config = self._check(project_name, branch_name, source_env, target_env, flows_to_deploy)
        with prefect_client() as (client, settings):
            session = ServerSession(client, settings)
            yield (
                session,
                self._targets(
                    session,
                    project_name,
                    branch_name,
                    source_env,
                    target_env,
                    flows_to_deploy,
                    target_env_vars,
                    config,
                ),
            )

    def _check(
        self,
        project_name: str,
        branch_name: str,
        source_env: str,
        target_env: str,
        flows: Sequence[str],
    ) -> DeployConfig:
        if source_env.strip() == target_env.strip():
            raise SameEnvironmentError(
                f"the source and target environments are both {source_env!r}: promote to "
                "another environment"
            )
        problems = [
            f"{flow}: {problem}"
            for flow in flows
            for problem in name_problems(project_name, branch_name, flow, target_env)
        ]
        problems.extend(
            f"source: {p}" for p in component_problems("environment", source_env, delimiter=True)
        )
        if not flows:
            problems.append("no flows to promote")
        if problems:
            raise InvalidNameError(problems)
        return self.flow_deploy_info_prep.load_config()

    def _targets(
        self,
        session: ServerSession,
        project_name: str,
        branch_name: str,
        source_env: str,
        target_env: str,
        flows: Sequence[str],
        env_vars: Mapping[str, str] | None,
        config: DeployConfig,
    ) -> list[tuple[PrefectDeployInfo, str]]:
        """Read every source and build every target; raise before writing anything."""
        targets = []
        missing = []
        for flow in dict.fromkeys(to_flow_name(f) for f in flows):
            found = self._read_source(session, project_name, branch_name, flow, source_env)
            if found is None:
                name = DeploymentName(project_name, branch_name, flow, source_env).name
                missing.append(f"{flow}/{name}")
                continue
            flow_on_server, source = found
            info = target_deploy_info(
                source,
                flow_on_server,
                target_env,
                config,
                default_work_pool=self.flow_deploy_info_prep.default_work_pool,
                env_vars=env_vars,
            )
            targets.append((info, f"{flow_on_server}/{source.name}"))
        if missing:
            raise SourceDeploymentNotFoundError(
                f"cannot promote from {source_env!r}: no deployment "
                + ", ".join(missing)
                + f" on the Prefect server at PREFECT_API_URL={session.settings.api_url}; "
                f"deploy to {source_env!r} first (nothing was promoted)",
                api_url=session.settings.api_url,
            )
        validate_deploy_infos([info for info, _ in targets])
        return targets

    def _read_source(
        self,
        session: ServerSession,
        project_name: str,
        branch_name: str,
        flow: str,
        source_env: str,
    ) -> tuple[str, Any] | None:
        """The source deployment of `flow` and the flow name it is filed under, or None."""
        name = DeploymentName(project_name, branch_name, flow, source_env).name
        candidates = list(dict.fromkeys((flow, to_segment(flow))))
        for flow_name in candidates:
            deployment = session.read(flow_name, name)
            if deployment is not None:
                return flow_name, deployment
        if self.match_branch_prefix:
            return self._by_branch_prefix(session, project_name, branch_name, flow, source_env)
        return None

    def _by_branch_prefix(
        self,
        session: ServerSession,
        project_name: str,
        branch_name: str,
        flow: str,
        source_env: str,
    ) -> tuple[str, Any] | None:
        from prefect.client.schemas.filters import (
            DeploymentFilter,
            DeploymentFilterName,
            FlowFilter,
            FlowFilterName,
        )

        prefix = f"{to_segment(project_name)}--{to_segment(branch_name)}-"
        with server_errors(session.settings.api_url, f"looking for deployments of {flow}"):
            flows = session.client.read_flows(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow, to_segment(flow)]))
            )
            flow_names = {str(f.id): f.name for f in flows}
            deployments = session.client.read_deployments(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow, to_segment(flow)])),
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(like_=prefix)),
            )
        matches = []
        for deployment in deployments:
            parsed = parse_deployment_name(deployment.name, deployment.tags or [])
            if (
                parsed is not None
                and parsed.flow == flow
                and parsed.env == source_env
                and to_segment(parsed.branch).startswith(to_segment(branch_name) + "-")
                and deployment.name.startswith(prefix)
            ):
                matches.append(deployment)
        if len(matches) == 1:
            source = matches[0]
            logger.info("promoting %s: branch %r taken as a prefix", source.name, branch_name)
            return flow_names.get(str(source.flow_id), flow), source
        if matches:
            logger.warning(
                "branch %r is the prefix of several branches (%s): name it in full",
                branch_name,
                ", ".join(sorted(m.name for m in matches)),
            )
        return None


class PrefectPromoteWorkflow(PromoteWorkflow):
    """The extension's "promote" action, done directly against the Prefect server.

    `run(flows_to_deploy, source_env, target_env, ref, additional_context)` promotes each
    flow of the project `project_name` (default: `[project] name` of `root_dir`'s
    `pyproject.toml`, else the folder's name) on branch `ref` (default: the checked-out
    branch) and returns the URL of the first target deployment (the only one when, as from
    the extension, one flow is promoted). The constructor contacts nothing.
    """

    def __init__(
        self,
        *,
        root_dir: str | Path = ".",
        project_name: str | None = None,
        default_work_pool: str | None = None,
        static_flow_deploy_config: str | Path | None = None,
        env_vars: Mapping[str, str] | None = None,
    ) -> None:
        self.root_dir = Path(root_dir)
        self.project_name = project_name
        self.default_work_pool = default_work_pool
        self.static_flow_deploy_config = static_flow_deploy_config
        self.env_vars = dict(env_vars or {})

    def run(
        self,
        flows_to_deploy: list[str],
        source_env: str,
        target_env: str,
        ref: str | None = None,
        additional_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str | None:
        """Promote the flows; the URL of the first target deployment."""
        from acme_portal_sdk import repository

        root = self.root_dir.absolute()
        promote = PrefectDeploymentPromote(
            flow_deploy_info_prep=PrefectDeployInfoPrep(
                self.static_flow_deploy_config, self.default_work_pool, root_dir=root
            ),
            match_branch_prefix=True,
        )
        report = promote.promote_all(
            project_name=self.project_name or repository.project_name(root),
            branch_name=ref or repository.current_branch(root),
            source_env=source_env,
            target_env=target_env,
            flows_to_deploy=flows_to_deploy,
            target_env_vars=self.env_vars,
        )
        return report.urls[0] if report.urls else None
