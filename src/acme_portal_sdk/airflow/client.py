"""A small client of Airflow 3's REST API (`/api/v2`), with the standard library only.

Authentication is Airflow 3's: a JWT as `Authorization: Bearer <token>`. The token is the
one given, else obtained once with `POST /auth/token` from a username and password (and
obtained again, once, when the server says it expired); with neither, requests go without
one (a server with `simple_auth_manager_all_admins`). Airflow 3 refuses basic auth and has
no `/api/v1`.

Every request has a timeout. Every failure is an `acme_portal_sdk.errors.AirflowError`
naming the method, the URL and the server's `detail`: `AirflowUnavailableError` (no
answer), `AirflowAuthError` (401/403), `AirflowNotFoundError` (404), `AirflowError` (any
other status, e.g. a 422 with its validation messages). Nothing is retried but the token.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from acme_portal_sdk.errors import (
    AirflowAuthError,
    AirflowError,
    AirflowNotFoundError,
    AirflowUnavailableError,
)

logger = logging.getLogger(__name__)

#: Seconds any one request may take.
DEFAULT_TIMEOUT = 30.0
#: Items per page: the server's `[api] maximum_page_limit` default (larger is capped).
PAGE_SIZE = 100
API = "/api/v2"

Params = Mapping[str, str | int | bool | Sequence[str]]


def _detail(body: bytes) -> str:
    """The server's explanation: `detail` (a string, or 422's list of messages), or the body."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:500]
    detail = data.get("detail", data) if isinstance(data, dict) else data
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, Mapping):
                where = ".".join(str(part) for part in item.get("loc", ()))
                parts.append(f"{where}: {item.get('msg', item)}")
            else:
                parts.append(str(item))
        return "; ".join(parts)
    if isinstance(detail, Mapping) and "error" in detail:
        return str(detail["error"])
    return str(detail)


class AirflowClient:
    """Requests to one Airflow API server at `url` (its base URL, without `/api/v2`)."""

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.password = password
        self.timeout = timeout
        self._token = token
        self._token_given = token is not None

    # --- transport ---------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        auth: bool = True,
    ) -> tuple[int, bytes]:
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(
                [
                    (key, str(v).lower() if isinstance(v, bool) else str(v))
                    for key, value in params.items()
                    for v in (value if isinstance(value, list | tuple) else [value])
                ]
            )
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth and self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        logger.debug("%s %s", method, url)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status: int = response.status
                return status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AirflowUnavailableError(
                f"cannot reach the Airflow API server at {self.url} ({method} {path}): {reason}. "
                "Is it running, and is the URL right?",
                url=self.url,
            ) from exc

    def login(self) -> str:
        """A token from `POST /auth/token` with the username and password."""
        if not (self.username and self.password):
            raise AirflowAuthError(
                f"the Airflow server at {self.url} needs a token: give `token=` (or "
                "AIRFLOW_TOKEN), or `username=` and `password=` (AIRFLOW_USERNAME, "
                "AIRFLOW_PASSWORD)",
                url=self.url,
            )
        status, body = self._send(
            "POST",
            "/auth/token",
            body={"username": self.username, "password": self.password},
            auth=False,
        )
        if status not in (200, 201):
            raise AirflowAuthError(
                f"the Airflow server at {self.url} refused to log in user {self.username!r} "
                f"(POST /auth/token: {status} {_detail(body)})",
                url=self.url,
                status=status,
            )
        try:
            token = json.loads(body)["access_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise AirflowError(
                f"POST {self.url}/auth/token answered without an access_token", url=self.url
            ) from exc
        if not isinstance(token, str):
            raise AirflowError(f"POST {self.url}/auth/token: access_token is not a string")
        self._token = token
        return token

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
    ) -> Any:
        """Send one API request (`path` under the server, e.g. `/api/v2/dags`); its JSON."""
        if self._token is None and self.username and self.password:
            self.login()
        status, data = self._send(method, path, params=params, body=body)
        if (
            status == 401
            and not self._token_given
            and self.username
            and self.password
            and b"Expired" in data
        ):
            self.login()
            status, data = self._send(method, path, params=params, body=body)
        where = f"{method} {self.url}{path}"
        if status in (401, 403):
            hint = (
                "give a valid token or credentials"
                if status == 401
                else "the user lacks the permission (its role), or the token is invalid"
            )
            raise AirflowAuthError(
                f"{where}: {status} {_detail(data)}: {hint}", url=self.url, status=status
            )
        if status == 404:
            raise AirflowNotFoundError(f"{where}: 404 {_detail(data)}", url=self.url, status=404)
        if not 200 <= status < 300:
            raise AirflowError(f"{where}: {status} {_detail(data)}", url=self.url, status=status)
        if not data or data.strip() == b"null":
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            raise AirflowError(f"{where}: the answer is not JSON", url=self.url) from exc

    # --- API ---------------------------------------------------------------------------

    def paginate(
        self, path: str, key: str, params: Params | None = None, page_size: int = PAGE_SIZE
    ) -> list[dict[str, Any]]:
        """Every item of a paginated listing (`{key: [...], total_entries: N}`)."""
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self.request(
                "GET", path, params={**(params or {}), "limit": page_size, "offset": offset}
            )
            if not isinstance(page, Mapping) or not isinstance(page.get(key), list):
                raise AirflowError(f"GET {self.url}{path}: the answer has no list {key!r}")
            batch: list[dict[str, Any]] = page[key]
            items.extend(batch)
            offset += len(batch)
            total = page.get("total_entries")
            if not batch or (isinstance(total, int) and offset >= total):
                return items

    def dags(self, params: Params | None = None) -> list[dict[str, Any]]:
        """`GET /api/v2/dags`, every page, sorted by dag_id."""
        return self.paginate(f"{API}/dags", "dags", {"order_by": "dag_id", **(params or {})})

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        """`GET /api/v2/dags/{dag_id}`; None when the server has no such DAG."""
        try:
            found: dict[str, Any] = self.request("GET", f"{API}/dags/{quote(dag_id)}")
        except AirflowNotFoundError:
            return None
        return found

    def dag_versions(self) -> list[dict[str, Any]]:
        """Every DAG's versions (`GET /api/v2/dags/~/dagVersions`)."""
        return self.paginate(f"{API}/dags/~/dagVersions", "dag_versions")

    def variable(self, key: str) -> str | None:
        """A Variable's value; None when it does not exist."""
        try:
            found = self.request("GET", f"{API}/variables/{quote(key)}")
        except AirflowNotFoundError:
            return None
        value = found.get("value") if isinstance(found, Mapping) else None
        return value if isinstance(value, str) else None

    def set_variable(self, key: str, value: str, description: str) -> None:
        """Create or overwrite a Variable (the bulk endpoint's upsert), or raise."""
        answer = self.request(
            "PATCH",
            f"{API}/variables",
            body={
                "actions": [
                    {
                        "action": "create",
                        "entities": [{"key": key, "value": value, "description": description}],
                        "action_on_existence": "overwrite",
                    }
                ]
            },
        )
        result = answer.get("create") if isinstance(answer, Mapping) else None
        errors = result.get("errors") if isinstance(result, Mapping) else None
        if errors or not isinstance(result, Mapping) or key not in result.get("success", []):
            raise AirflowError(
                f"PATCH {self.url}{API}/variables: Variable {key!r} was not written: "
                f"{errors or answer}",
                url=self.url,
            )

    def delete_variable(self, key: str) -> None:
        """Delete a Variable (absent is fine)."""
        try:
            self.request("DELETE", f"{API}/variables/{quote(key)}")
        except AirflowNotFoundError:
            return

    def request_parse(self, file_token: str) -> None:
        """Ask the dag-processor to re-parse a DAG's file soon (`PUT parseDagFile`)."""
        self.request("PUT", f"{API}/parseDagFile/{quote(file_token)}")


def quote(segment: str) -> str:
    """A path segment, percent-encoded (dag_ids may hold Unicode and dots)."""
    return urllib.parse.quote(segment, safe="")
