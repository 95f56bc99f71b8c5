"""`PrefectFlowDeployer`: creates or updates deployments through Prefect's client.

Nothing here imports the project's code: a deployment is created from its entrypoint and
static parameter schema with `create_flow_from_name` and `create_deployment`, always with
the full desired state (the call replaces every field). Triggers are re-created as
automations owned by the deployment, as Prefect's own `deploy` does.

Order of work for several deployments: validate all (`validate_deploy_infos`, no server
contact), then apply each one; a failure is recorded and the next one is attempted; when the
server becomes unreachable or refuses our credentials, the rest are reported as skipped.
`DeploymentsFailedError` is raised at the end, with the `DeployReport`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from acme_portal_sdk.errors import (
    AcmePortalError,
    ServerAuthError,
    ServerNotConfiguredError,
    ServerUnavailableError,
    WorkPoolNotFoundError,
)
from acme_portal_sdk.flow_deploy import DeployInfo, FlowDeployer
from acme_portal_sdk.prefect.connection import (
    ServerSettings,
    http_detail,
    http_status,
    prefect_client,
    server_errors,
)
from acme_portal_sdk.prefect.deploy_info import (
    PrefectDeployInfo,
    trigger_instances,
    validate_deploy_infos,
)
from acme_portal_sdk.prefect.plan import DeploymentPlan, Plan, compare
from acme_portal_sdk.prefect.report import (
    Applied,
    DeploymentFailure,
    DeploymentOutcome,
    DeployReport,
)
from acme_portal_sdk.prefect.state import FIELDS, create_arguments, desired_state, server_state
from acme_portal_sdk.prefect.urls import deployment_url

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

logger = logging.getLogger(__name__)

#: Failures after which no other deployment can succeed: the rest are skipped.
FATAL_ERRORS = (ServerUnavailableError, ServerAuthError, ServerNotConfiguredError)


class ServerSession:
    """One client's view of the server while deploying: reads, plans and writes."""

    def __init__(self, client: SyncPrefectClient, settings: ServerSettings) -> None:
        self.client = client
        self.settings = settings
        self._pools: dict[str, bool] = {}

    def url(self, deployment_id: str) -> str:
        """The UI page of a deployment."""
        return deployment_url(self.settings.ui_base, deployment_id)

    def work_pool_exists(self, name: str) -> bool:
        """Whether the server has the work pool `name` (asked once per pool)."""
        if name not in self._pools:
            from prefect.exceptions import ObjectNotFound

            try:
                with server_errors(self.settings.api_url, f"reading work pool {name!r}"):
                    self.client.read_work_pool(name)
                self._pools[name] = True
            except ObjectNotFound:
                self._pools[name] = False
        return self._pools[name]

    def read(self, flow_name: str, deployment_name: str) -> Any | None:
        """The deployment `flow_name/deployment_name`, or None when there is none."""
        from prefect.exceptions import ObjectNotFound

        try:
            with server_errors(
                self.settings.api_url, f"reading deployment {flow_name}/{deployment_name}"
            ):
                return self.client.read_deployment_by_name(f"{flow_name}/{deployment_name}")
        except ObjectNotFound:
            return None

    def plan(self, info: PrefectDeployInfo, *, source: str | None = None) -> DeploymentPlan:
        """What `apply(info)` would do; writes nothing."""
        existing = self.read(info.flow_name, info.name)
        action, changes = compare(
            FIELDS, None if existing is None else server_state(existing), desired_state(info)
        )
        problem = None
        if info.work_pool_name and not self.work_pool_exists(info.work_pool_name):
            problem = str(WorkPoolNotFoundError(info.work_pool_name, api_url=self.settings.api_url))
        if info.triggers:
            changes = (*changes, *compare(("triggers",), None, {"triggers": info.triggers})[1])
            action = "create" if existing is None else "update"
        deployment_id = None if existing is None else str(existing.id)
        return DeploymentPlan(
            flow_name=info.flow_name,
            deployment_name=info.name,
            action=action,
            changes=changes,
            deployment_id=deployment_id,
            url=None if deployment_id is None else self.url(deployment_id),
            problem=problem,
            source=source,
        )

    def apply(self, info: PrefectDeployInfo) -> DeploymentOutcome:
        """Create or update the deployment `info` describes (its full state)."""
        api_url = self.settings.api_url
        if info.work_pool_name and not self.work_pool_exists(info.work_pool_name):
            raise WorkPoolNotFoundError(info.work_pool_name, api_url=api_url)
        existing = self.read(info.flow_name, info.name)
        desired = desired_state(info)
        applied: Applied
        if existing is None:
            applied = "created"
        else:
            action, _ = compare(FIELDS, server_state(existing), desired)
            applied = "unchanged" if action == "unchanged" and not info.triggers else "updated"
        action_text = f"deploying {info.flow_name}/{info.name}"
        try:
            with server_errors(api_url, action_text):
                flow_id = self.client.create_flow_from_name(info.flow_name)
                deployment_id = self.client.create_deployment(
                    flow_id=flow_id, **create_arguments(info)
                )
        except AcmePortalError as exc:
            cause = exc.__cause__
            if (
                cause is not None
                and http_status(cause) == 404
                and "work pool" in (http_detail(cause).lower())
            ):
                raise WorkPoolNotFoundError(info.work_pool_name or "", api_url=api_url) from exc
            raise
        self.sync_triggers(deployment_id, info)
        logger.info("%s %s/%s", applied, info.flow_name, info.name)
        return DeploymentOutcome(
            flow_name=info.flow_name,
            deployment_name=info.name,
            deployment_id=str(deployment_id),
            url=self.url(str(deployment_id)),
            action=applied,
        )

    def sync_triggers(self, deployment_id: Any, info: PrefectDeployInfo) -> None:
        """Replace the automations owned by the deployment with its configured triggers."""
        api_url = self.settings.api_url
        with server_errors(api_url, f"replacing the triggers of {info.name}"):
            try:
                self.client.delete_resource_owned_automations(f"prefect.deployment.{deployment_id}")
            except Exception as exc:
                if http_status(exc) == 404:  # a server without automations
                    if info.triggers:
                        logger.warning("the server does not support triggers: %s", info.name)
                    return
                raise
            for trigger in trigger_instances(info.triggers):
                trigger.set_deployment_id(deployment_id)
                self.client.create_automation(trigger.as_automation())


class PrefectFlowDeployer(FlowDeployer):
    """Deploys `PrefectDeployInfo`s to the server Prefect's settings name.

    The constructor contacts nothing; every method opens one client for its whole run.
    """

    def deploy(self, flow_deploy_info: DeployInfo) -> None:
        """Deploy one flow; raises on failure (see `deploy_all`)."""
        if not isinstance(flow_deploy_info, PrefectDeployInfo):
            raise TypeError(
                "PrefectFlowDeployer deploys PrefectDeployInfo objects, not "
                f"{type(flow_deploy_info).__name__}"
            )
        self.deploy_all([flow_deploy_info])

    def deploy_all(self, infos: Sequence[PrefectDeployInfo]) -> DeployReport:
        """Deploy every info, in order; raise `DeploymentsFailedError` at the end if any failed.

        Raises `DeploymentValidationError` before contacting the server when any info is
        invalid (then nothing is deployed).
        """
        validate_deploy_infos(infos)
        report = DeployReport()
        if not infos:
            return report
        with prefect_client() as (client, settings):
            apply_all(ServerSession(client, settings), infos, report)
        report.raise_for_failures()
        return report

    def plan(self, infos: Sequence[PrefectDeployInfo]) -> Plan:
        """What `deploy_all(infos)` would do, without changing anything."""
        validate_deploy_infos(infos)
        if not infos:
            return Plan(())
        with prefect_client() as (client, settings):
            session = ServerSession(client, settings)
            return Plan(tuple(session.plan(info) for info in infos))


def apply_all(
    session: ServerSession,
    infos: Sequence[PrefectDeployInfo],
    report: DeployReport,
) -> None:
    """Apply each info in turn, recording outcomes and failures in `report`."""
    fatal: AcmePortalError | None = None
    for info in infos:
        if fatal is not None:
            report.failed.append(
                DeploymentFailure(
                    info.flow_name,
                    info.name,
                    f"not attempted: {fatal}",
                    type(fatal).__name__,
                    attempted=False,
                )
            )
            continue
        try:
            report.deployed.append(session.apply(info))
        except AcmePortalError as exc:
            logger.error("%s/%s: %s", info.flow_name, info.name, exc)
            report.failed.append(
                DeploymentFailure(info.flow_name, info.name, str(exc), type(exc).__name__)
            )
            if isinstance(exc, FATAL_ERRORS):
                fatal = exc
        except Exception as exc:  # unexpected (a bug): keep going, keep the traceback
            logger.exception("%s/%s: unexpected error", info.flow_name, info.name)
            report.failed.append(
                DeploymentFailure(
                    info.flow_name, info.name, f"unexpected error: {exc!r}", type(exc).__name__
                )
            )
