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
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from acme_portal_sdk.deployment_finder import DeploymentDetails, DeploymentFinder
from acme_portal_sdk.errors import InputError
from acme_portal_sdk.flow_finder import FlowDetails
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
#: How deployments are read: `auto` (REST unless only Prefect can resolve the settings or
#: Prefect is already imported), `rest` (always `httpx`), `prefect` (Prefect's client).
APIS = ("auto", "rest", "prefect")
#: How many skipped names the warning shows.
SHOWN_SKIPPED = 5
#: What an absent timestamp becomes (never an empty string: it breaks the extension's tree).
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?"
    r"(Z|[+-]\d\d(?::?\d\d)?)?$",
    re.IGNORECASE,
)


def parse_timestamp(value: str | dt.datetime | None) -> dt.datetime | None:
    """An ISO-8601 timestamp as the API writes it (`...Z`, `+00:00`, any fraction digits)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    match = _TIMESTAMP.match(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz = dt.timezone.utc
    if zone and zone.upper() != "Z":
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        tz = dt.timezone(offset if zone[0] == "+" else -offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return dt.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
    )


def iso_timestamp(value: str | dt.datetime | None) -> str:
    """`value` as `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC (naive values are taken as UTC)."""
    value = parse_timestamp(value) or EPOCH
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def read_all_deployments(client: SyncPrefectClient, page_size: int = PAGE_SIZE) -> list[Any]:
    """Every deployment on the server, with Prefect's client, page by page (ids deduplicated).

    Used when the server's settings can only be had from Prefect (see
    `acme_portal_sdk.prefect.rest.rest_settings`); the REST path reads the same pages.
    """
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


def _attributes(deployment: Mapping[str, Any]) -> dict[str, Any]:
    crons = [
        str(s["schedule"]["cron"])
        for s in deployment.get("schedules") or ()
        if isinstance(s.get("schedule"), dict) and "cron" in s["schedule"]
    ]
    return {
        "version": deployment.get("version") or "",
        "work_pool_name": deployment.get("work_pool_name") or "",
        "work_queue_name": deployment.get("work_queue_name") or "",
        "paused": bool(deployment.get("paused")),
        "cron": ", ".join(crons),
    }


def deployment_details(deployment: Any, ui_base: str) -> DeploymentDetails | None:
    """The `DeploymentDetails` of a deployment, or None when its name is not ours.

    `deployment` is the API's JSON object of a deployment (what `POST /deployments/filter`
    returns), or a Prefect client object (converted to that JSON first).
    """
    data: Mapping[str, Any] = (
        deployment if isinstance(deployment, Mapping) else deployment.model_dump(mode="json")
    )
    tags = [str(tag) for tag in data.get("tags") or []]
    name = str(data["name"])
    parsed = parse_deployment_name(name, tags)
    if parsed is None:
        return None
    values = tag_values(tags)
    version = data.get("version")
    commit = values.get(COMMIT_TAG) or commit_from_version(version, parsed.branch)
    created = iso_timestamp(data.get("created"))
    updated = data.get("updated")
    return DeploymentDetails(
        name=name,
        project_name=parsed.project,
        branch=parsed.branch,
        flow_name=parsed.flow,
        env=parsed.env,
        commit_hash=commit,
        package_version=values.get(PACKAGE_VERSION_TAG, ""),
        tags=tags,
        id=str(data["id"]),
        created_at=created,
        updated_at=iso_timestamp(updated) if updated else created,
        flow_id=str(data.get("flow_id")),
        url=deployment_url(ui_base, str(data["id"])),
        child_attributes=_attributes(data),
    )


class PrefectDeploymentFinder(DeploymentFinder):
    """Lists the deployments of the server Prefect's settings name (`PREFECT_API_URL`).

    `project_name` keeps only that project's deployments (`_` and `-` spellings are the
    same): on a server shared by several projects, the extension joins deployments to flows
    by flow name alone, so another project's flow of the same name would show up (and two
    deployments of one flow, branch and environment make it show an error). The default,
    None, lists every project's, as acme-portal-sdk 1.x did.

    Listing does not import Prefect: it reads `POST /deployments/filter` with `httpx` (see
    `acme_portal_sdk.prefect.rest`), each request bounded by `timeout` seconds (default:
    `PREFECT_API_REQUEST_TIMEOUT`, else 30). `api` chooses the transport (see `APIS`).
    The constructor contacts nothing and imports nothing; `page_size` is for tests.
    Raises `ServerNotConfiguredError`, `ServerUnavailableError` or `ServerAuthError` (all
    naming `PREFECT_API_URL`) when the server cannot be used.
    """

    def __init__(
        self,
        project_name: str | None = None,
        *,
        page_size: int = PAGE_SIZE,
        timeout: float | None = None,
        api: str = "auto",
    ) -> None:
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {PAGE_SIZE}, got {page_size}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
        if api not in APIS:
            raise ValueError(f"api must be one of {', '.join(APIS)}, got {api!r}")
        self.project_name = project_name
        self.page_size = page_size
        self.timeout = timeout
        self.api = api

    def get_deployments(
        self,
        deployments_to_fetch: list[DeploymentDetails] | None = None,
        flows_to_fetch: list[FlowDetails] | None = None,
    ) -> list[DeploymentDetails]:
        """`DeploymentFinder.get_deployments`, also with positional arguments (as in 1.x)."""
        return super().get_deployments(
            deployments_to_fetch=deployments_to_fetch, flows_to_fetch=flows_to_fetch
        )

    def read_deployments(self) -> tuple[list[dict[str, Any]], str]:
        """Every deployment on the server (the API's JSON objects), and its UI's root URL.

        Over the REST API with `httpx` when the server's settings are known without
        Prefect (see `acme_portal_sdk.prefect.rest`) and Prefect is not imported yet, else
        with Prefect's client.
        """
        from acme_portal_sdk.prefect.rest import (
            RestClient,
            read_all_deployments_rest,
            rest_settings,
        )

        # Prefect already imported (by the user's module, say): its settings are the truth,
        # including temporary ones, and its client costs nothing more to load.
        settings = None
        if self.api == "rest" or (self.api == "auto" and "prefect.settings" not in sys.modules):
            settings = rest_settings()
            if settings is None and self.api == "rest":
                raise InputError(
                    "the Prefect server's settings come from a source only Prefect reads "
                    "(prefect.toml, [tool.prefect] or the profiles file): use api='auto'"
                )
        if settings is not None:
            logger.debug("listing deployments of %s over REST", settings.server.api_url)
            with RestClient(settings, timeout=self.timeout) as client:
                return read_all_deployments_rest(client, self.page_size), settings.server.ui_base
        action = "listing deployments"
        with prefect_client() as (prefect, server), server_errors(server.api_url, action):
            found = read_all_deployments(prefect, self.page_size)
        return [d.model_dump(mode="json") for d in found], server.ui_base

    def list_deployments(self) -> list[DeploymentDetails]:
        """Every deployment following the naming convention, sorted by name."""
        deployments, ui_base = self.read_deployments()
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
                    deployment["name"],
                )
                skipped.append(deployment["name"])
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
