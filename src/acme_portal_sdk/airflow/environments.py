"""Which Airflow server is which environment, and how the SDK logs in to it.

On Airflow an environment is a server: one Airflow deployment (API server, scheduler,
dag-processor, metadata database) per environment, as platform teams run dev, uat and prod.
`AirflowEnvironment` names one: its base URL, credentials (a token, or a username and
password for `POST /auth/token`), the request timeout, and the git ref its DAG bundle tracks
(`deploy_ref`, default `airflow/<env>`, i.e. `refs/heads/airflow/<env>` of the remote).

`resolve_environment(name, environments)` takes it from `environments` (a mapping of names
to `AirflowEnvironment`s, to base URLs or to dicts of the fields), else from the process
environment: `AIRFLOW_<ENV>_URL` (`<ENV>` upper-cased, `-` and `.` as `_`), and
`AIRFLOW_<ENV>_TOKEN` / `_USERNAME` / `_PASSWORD`, falling back to `AIRFLOW_TOKEN`,
`AIRFLOW_USERNAME`, `AIRFLOW_PASSWORD` (acme-portal-sdk 1.2.0's names).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from acme_portal_sdk.airflow.client import DEFAULT_TIMEOUT, AirflowClient
from acme_portal_sdk.errors import AirflowNotConfiguredError, InputError

#: Environment names: a git ref component and a Variable key part.
ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
DEFAULT_DEPLOY_REF = "airflow/{env}"

EnvironmentsLike = Mapping[str, "AirflowEnvironment | str | Mapping[str, Any]"]


@dataclass(frozen=True)
class AirflowEnvironment:
    """One environment: an Airflow API server and the git ref its DAG bundle tracks."""

    name: str
    url: str
    token: str | None = None
    username: str | None = None
    password: str | None = None
    deploy_ref: str = DEFAULT_DEPLOY_REF
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if not ENV_NAME.match(self.name):
            raise InputError(
                f"environment name {self.name!r} is not valid: use letters, digits, "
                "'_', '.' and '-', starting with a letter or digit"
            )

    @property
    def ref(self) -> str:
        """The full git ref the environment's bundle tracks, e.g. `refs/heads/airflow/dev`."""
        ref = self.deploy_ref.format(env=self.name)
        return ref if ref.startswith("refs/") else f"refs/heads/{ref}"

    def client(self) -> AirflowClient:
        return AirflowClient(
            self.url,
            username=self.username,
            password=self.password,
            token=self.token,
            timeout=self.timeout,
        )

    def dag_url(self, dag_id: str) -> str:
        """The DAG's page in the Airflow UI."""
        from acme_portal_sdk.airflow.client import quote

        return f"{self.url.rstrip('/')}/dags/{quote(dag_id)}"


def _variable(prefix: str, name: str) -> str:
    return f"AIRFLOW_{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}_{prefix}"


def from_process_environment(name: str, *, timeout: float = DEFAULT_TIMEOUT) -> AirflowEnvironment:
    """The environment `name` as the process environment configures it."""
    url = os.environ.get(_variable("URL", name))
    if not url:
        raise AirflowNotConfiguredError(
            f"no Airflow server is configured for environment {name!r}: set "
            f"{_variable('URL', name)} to its base URL (e.g. http://airflow-{name}:8080), or "
            "pass `environments={...}`"
        )

    return environment_at(name, url, timeout=timeout, url_variable=_variable("URL", name))


def environment_at(
    name: str,
    url: str,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    url_variable: str | None = None,
) -> AirflowEnvironment:
    """Environment `name` at `url`; credentials not given come from `credentials(name)`.

    `url_variable` names the environment variable `url` was read from: a credential read
    from the environment must then come from the same source (a project's `.env` naming
    only the URL must not receive the user's own token: `check_credential_sources`).
    """
    found = credentials(name)
    if url_variable is not None:
        from acme_portal_sdk._environment import check_credential_sources

        given = {"TOKEN": token, "USERNAME": username, "PASSWORD": password}
        check_credential_sources(
            url_variable,
            [
                _credential_variable(key, name)
                for key, value in given.items()
                if not value and found[key.lower()]
            ],
        )
    return AirflowEnvironment(
        name=name,
        url=url,
        token=token or found["token"],
        username=username or found["username"],
        password=password or found["password"],
        timeout=timeout,
    )


def _credential_variable(key: str, name: str) -> str:
    """The variable `credentials(name)` read `key` from."""
    specific = _variable(key, name)
    return specific if os.environ.get(specific) else f"AIRFLOW_{key}"


def credentials(name: str) -> dict[str, str | None]:
    """`token`, `username` and `password` of environment `name` from the process environment."""
    return {
        key.lower(): os.environ.get(_variable(key, name))
        or os.environ.get(f"AIRFLOW_{key}")
        or None
        for key in ("TOKEN", "USERNAME", "PASSWORD")
    }


def resolve_environment(
    name: str,
    environments: EnvironmentsLike | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> AirflowEnvironment:
    """The environment called `name`: from `environments`, else the process environment."""
    if environments is None or name not in environments:
        if environments:
            raise AirflowNotConfiguredError(
                f"environment {name!r} is not one of the configured Airflow environments "
                f"({', '.join(sorted(environments))})"
            )
        return from_process_environment(name, timeout=timeout)
    value = environments[name]
    if isinstance(value, AirflowEnvironment):
        return value
    if isinstance(value, str):
        return environment_at(name, value, timeout=timeout)
    known = {f.name for f in fields(AirflowEnvironment)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise InputError(f"environment {name!r}: unknown settings {', '.join(unknown)}")
    return AirflowEnvironment(**{"timeout": timeout, **value, "name": name})
