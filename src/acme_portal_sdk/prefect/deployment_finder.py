"""`PrefectDeploymentFinder`: every deployment of the Prefect server, as the extension shows it.

Deployments are read page by page (`PAGE_SIZE`, the server's default and maximum page,
sorted by name) until a short page, so servers with more than 200 deployments are listed
whole. Each name is parsed with `acme_portal_sdk.prefect.naming.parse_deployment_name`
(tags first, then from the right); deployments whose names do not follow the convention are
skipped, with one warning on stderr (logging) naming a few of them and a debug line each.

Every `DeploymentDetails` has ISO-8601 UTC timestamps in the exact form JavaScript's
`Date.prototype.toISOString` produces, a `url` to its page in the Prefect UI (Prefect Cloud
or self-hosted, see `acme_portal_sdk.prefect.urls`) and `child_attributes` with its
`version`, `work_pool_name`, `work_queue_name`, `paused` state and `cron` schedules.
`flow_name` is the extension's flow name (`_` form), so deployments join their flows.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from acme_portal_sdk.deployment_finder import DeploymentDetails, DeploymentFinder
from acme_portal_sdk.prefect.connection import prefect_client, server_errors
from acme_portal_sdk.prefect.naming import (
    COMMIT_TAG,
    PACKAGE_VERSION_TAG,
    commit_from_version,
    parse_deployment_name,
    tag_values,
    to_segment,
)
from acme_portal_sdk.prefect.urls import deployment_url

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

logger = logging.getLogger(__name__)

#: Deployments per request: the server's default page size (and its maximum).
PAGE_SIZE = 200
#: How many skipped names the warning shows.
SHOWN_SKIPPED = 5
#: What an absent timestamp becomes (never an empty string: it breaks the extension's tree).
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def iso_timestamp(value: dt.datetime | None) -> str:
    """`value` as `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC (naive values are taken as UTC)."""
    value = value or EPOCH
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def read_all_deployments(client: SyncPrefectClient, page_size: int = PAGE_SIZE) -> list[Any]:
    """Every deployment on the server, page by page (duplicates across pages dropped)."""
    from prefect.client.schemas.sorting import DeploymentSort

    found: dict[str, Any] = {}
    offset = 0
    while True:
        page = client.read_deployments(limit=page_size, offset=offset, sort=DeploymentSort.NAME_ASC)
        for deployment in page:
            found.setdefault(str(deployment.id), deployment)
        if len(page) < page_size:
            return list(found.values())
        offset += len(page)


def _attributes(deployment: Any) -> dict[str, Any]:
    crons = [s.schedule.cron for s in deployment.schedules or () if hasattr(s.schedule, "cron")]
    return {
        "version": deployment.version or "",
        "work_pool_name": deployment.work_pool_name or "",
        "work_queue_name": deployment.work_queue_name or "",
        "paused": bool(deployment.paused),
        "cron": ", ".join(crons),
    }


def deployment_details(deployment: Any, ui_base: str) -> DeploymentDetails | None:
    """The `DeploymentDetails` of a Prefect deployment, or None when its name is not ours."""
    tags = list(deployment.tags or [])
    parsed = parse_deployment_name(deployment.name, tags)
    if parsed is None:
        return None
    values = tag_values(tags)
    commit = values.get(COMMIT_TAG) or commit_from_version(deployment.version, parsed.branch)
    created = iso_timestamp(deployment.created)
    return DeploymentDetails(
        name=deployment.name,
        project_name=parsed.project,
        branch=parsed.branch,
        flow_name=parsed.flow,
        env=parsed.env,
        commit_hash=commit,
        package_version=values.get(PACKAGE_VERSION_TAG, ""),
        tags=tags,
        id=str(deployment.id),
        created_at=created,
        updated_at=iso_timestamp(deployment.updated) if deployment.updated else created,
        flow_id=str(deployment.flow_id),
        url=deployment_url(ui_base, str(deployment.id)),
        child_attributes=_attributes(deployment),
    )


class PrefectDeploymentFinder(DeploymentFinder):
    """Lists the deployments of the server Prefect's settings name (`PREFECT_API_URL`).

    `project_name` keeps only that project's deployments (`_` and `-` spellings are the
    same): on a server shared by several projects, the extension joins deployments to flows
    by flow name alone, so another project's flow of the same name would show up (and two
    deployments of one flow, branch and environment make it show an error). The default,
    None, lists every project's, as acme-portal-sdk 1.x did.

    The constructor contacts nothing and imports nothing; `page_size` is for tests.
    Raises `ServerNotConfiguredError`, `ServerUnavailableError` or `ServerAuthError` (all
    naming `PREFECT_API_URL`) when the server cannot be used.
    """

    def __init__(self, project_name: str | None = None, *, page_size: int = PAGE_SIZE) -> None:
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {PAGE_SIZE}, got {page_size}")
        self.project_name = project_name
        self.page_size = page_size

    def list_deployments(self) -> list[DeploymentDetails]:
        """Every deployment following the naming convention, sorted by name."""
        with prefect_client() as (client, settings):
            with server_errors(settings.api_url, "listing deployments"):
                deployments = read_all_deployments(client, self.page_size)
            ui_base = settings.ui_base
        result = []
        skipped = []
        project = None if self.project_name is None else to_segment(self.project_name)
        for deployment in deployments:
            details = deployment_details(deployment, ui_base)
            if (
                details is not None
                and project is not None
                and to_segment(details.project_name) != project
            ):
                continue
            if details is None:
                logger.debug(
                    "skipping deployment %r: not {project}--{branch}--{flow}--{env}",
                    deployment.name,
                )
                skipped.append(deployment.name)
            else:
                result.append(details)
        if skipped:
            shown = ", ".join(repr(name) for name in skipped[:SHOWN_SKIPPED])
            more = (
                f" and {len(skipped) - SHOWN_SKIPPED} more" if len(skipped) > SHOWN_SKIPPED else ""
            )
            logger.warning(
                "skipped %d deployment(s) not named {project}--{branch}--{flow}--{env}: %s%s",
                len(skipped),
                shown,
                more,
            )
        _warn_duplicates(result)
        return result


def _warn_duplicates(deployments: list[DeploymentDetails]) -> None:
    """One warning (bounded) when deployments share a flow, branch and environment."""
    seen: dict[tuple[str, str, str], str] = {}
    pairs = []
    for d in deployments:
        key = (d.flow_name, d.branch, d.env)
        if key in seen:
            pairs.append(f"{seen[key]!r} and {d.name!r}")
        else:
            seen[key] = d.name
    if pairs:
        more = f" and {len(pairs) - SHOWN_SKIPPED} more" if len(pairs) > SHOWN_SKIPPED else ""
        logger.warning(
            "%d pair(s) of deployments share a flow, branch and environment (the extension "
            "shows an error for them; give the finder a project_name, or delete one): %s%s",
            len(pairs),
            "; ".join(pairs[:SHOWN_SKIPPED]),
            more,
        )
