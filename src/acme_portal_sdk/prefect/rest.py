"""Reading a Prefect server over its REST API with `httpx`, without importing Prefect.

`import prefect` costs about a second, which the extension pays on every tree refresh to
list deployments. Listing needs two things Prefect's client would do: find the server (its
settings) and page through `POST /deployments/filter`. Both are done here:

- `rest_settings()` resolves the server the way Prefect does for the settings that matter
  here (`PREFECT_API_URL`, `PREFECT_API_KEY`, `PREFECT_API_AUTH_STRING`, `PREFECT_UI_URL`,
  `PREFECT_CLOUD_API_URL`, `PREFECT_CLOUD_UI_URL`, `PREFECT_API_TLS_INSECURE_SKIP_VERIFY`,
  `PREFECT_API_SSL_CERT_FILE`, `PREFECT_CLIENT_CUSTOM_HEADERS`,
  `PREFECT_API_REQUEST_TIMEOUT`): the environment first, then the active profile of
  `profiles.toml` (`PREFECT_PROFILE`, else the file's `active`; under `PREFECT_HOME`,
  default `~/.prefect`, or at `PREFECT_PROFILES_PATH`). When another source could be
  involved (a `prefect.toml`, a `[tool.prefect]` table in `pyproject.toml`, a `.env`
  setting a `PREFECT_` variable the environment lacks, an unreadable profiles file, a
  profile it does not define), it returns None and callers use Prefect's
  own settings instead (as `PrefectDeploymentFinder` also does when Prefect is already
  imported in the process).
- `RestClient` sends every request with a timeout (`DEFAULT_TIMEOUT` seconds, or
  `PREFECT_API_REQUEST_TIMEOUT`, or the caller's `timeout`), and turns failures into the
  same errors as the Prefect client path (`acme_portal_sdk.prefect.connection.translate`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acme_portal_sdk.prefect.connection import ServerSettings
from acme_portal_sdk.prefect.urls import CLOUD_API_URL, CLOUD_UI_URL

logger = logging.getLogger(__name__)

#: Seconds each request may take (connect, read, write, pool) unless configured otherwise.
DEFAULT_TIMEOUT = 30.0
#: The profiles Prefect ships: a profile name among these may be absent from the user's file.
DEFAULT_PROFILES = frozenset({"ephemeral", "local", "test", "cloud"})
_TRUE = frozenset({"1", "true", "yes", "on", "t", "y"})


@dataclass(frozen=True)
class RestSettings:
    """What a REST client of the server needs."""

    server: ServerSettings
    api_key: str | None = None
    auth_string: str | None = None
    verify: bool | str = True
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT


def _profile(environ: Mapping[str, str]) -> dict[str, str] | None:
    """The active profile's settings; None when Prefect's own resolution is needed."""
    from acme_scan._compat import tomllib

    home = Path(environ.get("PREFECT_HOME") or "~/.prefect").expanduser()
    path = Path(environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        logger.debug("%s cannot be read (%s): using Prefect's settings", path, exc)
        return None
    profiles = data.get("profiles", {})
    name = environ.get("PREFECT_PROFILE") or data.get("active") or "ephemeral"
    if not isinstance(profiles, dict) or not isinstance(name, str):
        return None
    profile = profiles.get(name)
    if profile is None:
        return {} if name in DEFAULT_PROFILES else None
    if not isinstance(profile, dict):
        return None
    return {str(key): str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in profile.items()}  # fmt: skip


def _other_sources(cwd: Path, environ: Mapping[str, str]) -> bool:
    """Whether Prefect would also read settings from files in `cwd`: `prefect.toml`,
    `[tool.prefect]` in `pyproject.toml`, or a `.env` setting a `PREFECT_` variable that the
    environment does not have (Prefect reads that file itself; `acme_portal_sdk` may not
    have loaded it, see `acme_portal_sdk._environment`)."""
    if (cwd / "prefect.toml").is_file():
        return True
    env_file = cwd / ".env"
    try:
        text = env_file.read_text(encoding="utf-8") if env_file.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return True
    if "PREFECT_" in text:
        from dotenv import dotenv_values

        try:
            values = dotenv_values(env_file)
        except (OSError, ValueError):
            return True
        if any(key.startswith("PREFECT_") and key not in environ for key in values):
            return True
    try:
        text = (cwd / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "[tool.prefect" in text


def rest_settings(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> RestSettings | None:
    """The server's REST settings, or None when only Prefect's settings can say.

    Raises `ServerNotConfiguredError` when no `PREFECT_API_URL` is configured anywhere, and
    (for the process environment) `CredentialSourceError` when the URL and a credential come
    from different sources, as Prefect's path does.
    """
    from acme_portal_sdk.errors import InputError, ServerNotConfiguredError

    real_environment = environ is None
    environ = os.environ if environ is None else environ
    if _other_sources(Path.cwd() if cwd is None else cwd, environ):
        return None
    profile = _profile(environ)
    if profile is None:
        return None

    def setting(name: str) -> str | None:
        value = environ.get(name)
        if value is None:
            value = profile.get(name)
        return value or None

    api_url = setting("PREFECT_API_URL")
    if not api_url:
        raise ServerNotConfiguredError()
    api_key, auth_string = setting("PREFECT_API_KEY"), setting("PREFECT_API_AUTH_STRING")
    if real_environment:  # the same refusal as on Prefect's path (`connection.current_settings`)
        from acme_portal_sdk._environment import check_credential_sources

        check_credential_sources(
            "PREFECT_API_URL",
            [
                name
                for name, value in (
                    ("PREFECT_API_KEY", api_key),
                    ("PREFECT_API_AUTH_STRING", auth_string),
                )
                if value
            ],
        )
    verify: bool | str = True
    if (setting("PREFECT_API_TLS_INSECURE_SKIP_VERIFY") or "").lower() in _TRUE:
        verify = False
    elif setting("PREFECT_API_SSL_CERT_FILE"):
        verify = str(setting("PREFECT_API_SSL_CERT_FILE"))
    headers: dict[str, str] = {}
    custom = setting("PREFECT_CLIENT_CUSTOM_HEADERS")
    if custom:
        try:
            parsed = json.loads(custom)
        except ValueError as exc:
            raise InputError(f"PREFECT_CLIENT_CUSTOM_HEADERS is not a JSON object: {exc}") from exc
        if not isinstance(parsed, dict):
            raise InputError("PREFECT_CLIENT_CUSTOM_HEADERS is not a JSON object")
        headers = {str(k): str(v) for k, v in parsed.items()}
    timeout_text = setting("PREFECT_API_REQUEST_TIMEOUT")
    try:
        timeout = float(timeout_text) if timeout_text else DEFAULT_TIMEOUT
    except ValueError as exc:
        raise InputError(f"PREFECT_API_REQUEST_TIMEOUT is not a number: {timeout_text!r}") from exc
    return RestSettings(
        server=ServerSettings(
            api_url=api_url,
            ui_url=setting("PREFECT_UI_URL"),
            cloud_api_url=setting("PREFECT_CLOUD_API_URL") or CLOUD_API_URL,
            cloud_ui_url=setting("PREFECT_CLOUD_UI_URL") or CLOUD_UI_URL,
        ),
        api_key=api_key,
        auth_string=auth_string,
        verify=verify,
        headers=headers,
        timeout=timeout,
    )


class RestClient:
    """A small synchronous client of the server's REST API (use it as a context manager)."""

    def __init__(self, settings: RestSettings, *, timeout: float | None = None) -> None:
        import httpx

        self.settings = settings
        self.api_url = settings.server.api_url.rstrip("/")
        headers = dict(settings.headers)
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key}"
        elif settings.auth_string:
            token = base64.b64encode(settings.auth_string.encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        self.timeout = settings.timeout if timeout is None else timeout
        self._client = httpx.Client(
            base_url=self.api_url + "/",
            headers=headers,
            timeout=httpx.Timeout(self.timeout),
            verify=settings.verify,
        )

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def post(self, path: str, body: Mapping[str, Any], action: str) -> Any:
        """POST `body` as JSON to `path` (relative to the API URL); the decoded answer."""
        with self.errors(action):
            response = self._client.post(path.lstrip("/"), json=dict(body))
            response.raise_for_status()
            return response.json()

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Failures inside become our errors (`translate`), naming `action`."""
        from acme_portal_sdk.errors import AcmePortalError
        from acme_portal_sdk.prefect.connection import translate

        try:
            yield
        except AcmePortalError:
            raise
        except Exception as exc:
            raise translate(exc, self.settings.server.api_url, action) from exc


def read_all_deployments_rest(client: RestClient, page_size: int) -> list[dict[str, Any]]:
    """Every deployment on the server as JSON, page by page, sorted by name (ids deduplicated)."""
    found: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        page = client.post(
            "deployments/filter",
            {"limit": page_size, "offset": offset, "sort": "NAME_ASC"},
            "listing deployments",
        )
        if not isinstance(page, list):
            from acme_portal_sdk.errors import ServerError

            raise ServerError(
                f"the Prefect server at PREFECT_API_URL={client.api_url} answered "
                f"{type(page).__name__} instead of a list of deployments",
                api_url=client.api_url,
            )
        for deployment in page:
            found.setdefault(str(deployment["id"]), deployment)
        if len(page) < page_size:
            return list(found.values())
        offset += len(page)
