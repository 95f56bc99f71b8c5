"""The one place that opens a Prefect client and turns its failures into our errors.

Prefect is imported here lazily, when a server is about to be contacted: importing
`acme_portal_sdk` (or any of its Prefect modules) never imports it. The server is the one
Prefect's settings name (`PREFECT_API_URL`, from the environment or the active profile); when
none is configured we refuse, rather than letting Prefect start a temporary server of its own
(which would list no deployments and lose every one created).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acme_portal_sdk._environment import check_credential_sources
from acme_portal_sdk.errors import (
    API_URL_SETTING,
    AcmePortalError,
    PrefectNotInstalledError,
    ServerAuthError,
    ServerError,
    ServerNotConfiguredError,
    ServerUnavailableError,
)
from acme_portal_sdk.prefect.urls import CLOUD_API_URL, CLOUD_UI_URL, ui_base_url

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

logger = logging.getLogger(__name__)


def require_prefect() -> None:
    """Import Prefect's client, or raise `PrefectNotInstalledError`."""
    try:
        import prefect.client.orchestration  # noqa: F401
    except ImportError as exc:
        raise PrefectNotInstalledError() from exc


@dataclass(frozen=True)
class ServerSettings:
    """Where the Prefect server is, as Prefect's current settings say."""

    api_url: str
    ui_url: str | None = None
    cloud_api_url: str = CLOUD_API_URL
    cloud_ui_url: str = CLOUD_UI_URL

    @property
    def ui_base(self) -> str:
        """The root of the UI pages of this server's objects."""
        return ui_base_url(
            self.api_url,
            self.ui_url,
            cloud_api_url=self.cloud_api_url,
            cloud_ui_url=self.cloud_ui_url,
        )


def current_settings() -> ServerSettings:
    """The server Prefect's settings point at; `ServerNotConfiguredError` when none."""
    require_prefect()
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    api_url = settings.api.url
    if not api_url:
        raise ServerNotConfiguredError()
    check_credential_sources(
        API_URL_SETTING,
        [
            name
            for name, value in (
                ("PREFECT_API_KEY", settings.api.key),
                ("PREFECT_API_AUTH_STRING", settings.api.auth_string),
            )
            if value
        ],
    )
    return ServerSettings(
        api_url=str(api_url),
        ui_url=str(settings.ui_url) if settings.ui_url else None,
        cloud_api_url=str(settings.cloud.api_url or CLOUD_API_URL),
        cloud_ui_url=str(settings.cloud.ui_url or CLOUD_UI_URL),
    )


def http_detail(exc: BaseException) -> str:
    """The server's explanation of an HTTP error (its JSON `detail`), or the error text."""
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            detail = body.get("detail") or body.get("exception_detail")
            if detail:
                return str(detail)
        status = getattr(response, "status_code", "?")
        reason = getattr(response, "reason_phrase", "")
        return f"{status} {reason}".strip()
    return str(exc)


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of an HTTP error, or None for any other exception."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def translate(exc: Exception, api_url: str, action: str) -> AcmePortalError:
    """Our error for a failure of the Prefect client while doing `action`."""
    import httpx

    where = f"the Prefect server at {API_URL_SETTING}={api_url}"
    if isinstance(exc, AcmePortalError):
        return exc
    if isinstance(exc, httpx.TransportError):
        return ServerUnavailableError(
            f"cannot reach {where} while {action} ({type(exc).__name__}: {exc}); is the server "
            f"running and {API_URL_SETTING} right?",
            api_url=api_url,
        )
    status = http_status(exc)
    if status in (401, 403):
        return ServerAuthError(
            f"{where} refused our credentials while {action} ({status}: {http_detail(exc)}); "
            "check PREFECT_API_KEY (Prefect Cloud) or PREFECT_API_AUTH_STRING (self-hosted), "
            f"and that {API_URL_SETTING} names the right workspace",
            api_url=api_url,
        )
    if status is not None:
        detail = http_detail(exc)
        hint = (
            f"; is {API_URL_SETTING} right (it usually ends in /api)?"
            if status == 404 and detail.startswith("404")
            else ""
        )
        return ServerError(f"{where} answered {detail} while {action}{hint}", api_url=api_url)
    return ServerError(
        f"{where} failed while {action}: {type(exc).__name__}: {exc}", api_url=api_url
    )


@contextmanager
def server_errors(api_url: str, action: str) -> Iterator[None]:
    """Convert failures of the client inside the block with `translate`.

    Prefect's `ObjectNotFound` passes through: callers decide what a missing object means.
    """
    from prefect.exceptions import ObjectNotFound

    try:
        yield
    except ObjectNotFound:
        raise
    except AcmePortalError:
        raise
    except Exception as exc:
        raise translate(exc, api_url, action) from exc


@contextmanager
def prefect_client() -> Iterator[tuple[SyncPrefectClient, ServerSettings]]:
    """A synchronous Prefect client for the configured server, with its settings.

    Raises `PrefectNotInstalledError` or `ServerNotConfiguredError` before anything is
    contacted; the client itself connects lazily, on its first request.
    """
    settings = current_settings()
    from prefect.client.orchestration import get_client

    logger.debug("connecting to %s", settings.api_url)
    with server_errors(settings.api_url, "connecting"):
        client = get_client(sync_client=True)
    with client:
        yield client, settings
