"""`AirflowDeploymentFinder`: the DAGs of each environment's Airflow, as the extension shows them.

For each environment (one Airflow server each, see `release`), every DAG is read from
`GET /api/v2/dags` (100 per page until `total_entries`; stale DAGs, whose file is gone,
excluded as Airflow's UI does), with `GET /api/v2/dags/~/dagVersions` for when each DAG
first appeared and the release records (`acme_portal.release.<project>` Variables) for
the branch and package version of the commit the DAG runs. A DAG is a deployment:

- `name`, `flow_name` and `flow_id`: the dag_id, so it joins its flow
  (`AirflowFlowFinder` names flows by dag_id); a 1.2.0-style dag_id
  `project--branch--flow--env` is parsed as 1.2.0 did, from the right;
- `env`: the environment; `project_name`, `branch`, `package_version`: the release record
  whose commit is the DAG's `bundle_version` (else the configured `project_name`, the
  bundle's name, `unknown`, `""`); `commit_hash`: `bundle_version` (the commit the
  environment's bundle was at when Airflow last parsed the DAG);
- `tags`: the tag names (the v2 API gives `{name, dag_id, ...}` objects);
- `created_at` (first DAG version), `updated_at` (last parse): ISO-8601 UTC as JavaScript
  prints it; `url`: the DAG's page in the Airflow UI; `id`: `<env>:<dag_id>`;
- `child_attributes`: `is_paused`, `schedule` (`timetable_summary`), `bundle_name`,
  `bundle_version`, `relative_fileloc`, `owners`, `has_import_errors`.

With `project_name`, only DAGs of that project's bundle or release are listed (a shared
server may hold other teams' DAGs of the same dag_id). The constructor contacts nothing;
every server failure raises (`acme_portal_sdk.errors.AirflowError`), never an empty list.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from acme_portal_sdk.airflow.client import DEFAULT_TIMEOUT, AirflowClient
from acme_portal_sdk.airflow.environments import (
    AirflowEnvironment,
    EnvironmentsLike,
    environment_at,
    resolve_environment,
)
from acme_portal_sdk.airflow.release import RELEASE_VARIABLE, Release
from acme_portal_sdk.deployment_finder import DeploymentDetails, DeploymentFinder

EPOCH = "1970-01-01T00:00:00.000Z"
RELEASE_PREFIX = RELEASE_VARIABLE.format(project="")


def js_timestamp(value: object) -> str:
    """An API timestamp (`2026-12-01T20:47:44.733867Z`) as JavaScript's `toISOString()`."""
    if not isinstance(value, str) or not value:
        return EPOCH
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return EPOCH
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    parsed = parsed.astimezone(dt.UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


def parse_legacy_dag_id(dag_id: str) -> tuple[str, str, str, str] | None:
    """1.2.0's `project--branch--flow--env` dag_ids: (project, branch, flow, env), or None."""
    parts = dag_id.split("--")
    if len(parts) < 4 or not all(parts):
        return None
    return parts[0], "--".join(parts[1:-2]), parts[-2].replace("-", "_"), parts[-1]


class AirflowDeploymentFinder(DeploymentFinder):
    """Lists the DAGs of one or more Airflow environments.

    1.2.0's arguments name one server (`airflow_url`, else `AIRFLOW_URL`; `username`,
    `password`, else `AIRFLOW_USERNAME` / `AIRFLOW_PASSWORD`; new: `token`, else
    `AIRFLOW_TOKEN`) as environment `env` (default `dev`). `environments` (names to
    `AirflowEnvironment`s or URLs) lists several; `env_names` takes them from
    `AIRFLOW_<ENV>_URL` variables instead.
    """

    def __init__(
        self,
        airflow_url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        token: str | None = None,
        env: str = "dev",
        environments: EnvironmentsLike | None = None,
        env_names: list[str] | None = None,
        project_name: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.airflow_url = airflow_url
        self.username = username
        self.password = password
        self.token = token
        self.env = env
        self.environments = environments
        self.env_names = env_names
        self.project_name = project_name
        self.timeout = timeout

    def resolved_environments(self) -> list[AirflowEnvironment]:
        if self.environments:
            return [
                resolve_environment(name, self.environments, timeout=self.timeout)
                for name in sorted(self.environments)
            ]
        if self.env_names:
            return [resolve_environment(name, timeout=self.timeout) for name in self.env_names]
        url = self.airflow_url or os.environ.get("AIRFLOW_URL")
        if not url:
            return [resolve_environment(self.env, timeout=self.timeout)]
        environment = environment_at(
            self.env,
            url,
            token=self.token,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
            url_variable=None if self.airflow_url else "AIRFLOW_URL",
        )
        return [environment]

    def list_deployments(self) -> list[DeploymentDetails]:
        found: list[DeploymentDetails] = []
        for environment in self.resolved_environments():
            found.extend(self._environment_deployments(environment))
        return found

    def _environment_deployments(self, environment: AirflowEnvironment) -> list[DeploymentDetails]:
        client = environment.client()
        dags = client.dags()
        first_version: dict[str, str] = {}
        for version in client.dag_versions():
            dag_id, created = version.get("dag_id"), version.get("created_at")
            if (
                isinstance(dag_id, str)
                and isinstance(created, str)
                and (dag_id not in first_version or created < first_version[dag_id])
            ):
                first_version[dag_id] = created
        releases = _releases(client)
        result = []
        for dag in dags:
            details = self._details(environment, dag, releases, first_version)
            if details is not None:
                result.append(details)
        return result

    def _details(
        self,
        environment: AirflowEnvironment,
        dag: Mapping[str, Any],
        releases: list[Release],
        first_version: Mapping[str, str],
    ) -> DeploymentDetails | None:
        dag_id: str = dag["dag_id"]
        commit = dag.get("bundle_version") or ""
        bundle = dag.get("bundle_name") or ""
        release = next(
            (r for r in releases if commit and r.commit == commit),
            None,
        )
        if self.project_name is not None and not (
            (release is not None and release.project == self.project_name)
            or bundle == self.project_name
        ):
            return None
        project = release.project if release else (self.project_name or bundle)
        branch = release.branch if release else "unknown"
        flow_name = dag_id
        env = environment.name
        legacy = parse_legacy_dag_id(dag_id)
        if legacy is not None:
            project, branch, flow_name, env = legacy
        tags = sorted(
            str(tag.get("name")) for tag in dag.get("tags") or [] if isinstance(tag, Mapping)
        )
        return DeploymentDetails(
            name=dag_id,
            project_name=project,
            branch=branch,
            flow_name=flow_name,
            env=env,
            commit_hash=commit,
            package_version=release.package_version if release else "",
            tags=tags,
            id=f"{environment.name}:{dag_id}",
            created_at=js_timestamp(first_version.get(dag_id) or dag.get("last_parsed_time")),
            updated_at=js_timestamp(dag.get("last_parsed_time")),
            flow_id=dag_id,
            url=environment.dag_url(dag_id),
            child_attributes={
                "is_paused": dag.get("is_paused"),
                "schedule": dag.get("timetable_summary"),
                "bundle_name": bundle,
                "bundle_version": dag.get("bundle_version"),
                "relative_fileloc": dag.get("relative_fileloc"),
                "owners": dag.get("owners") or [],
                "has_import_errors": dag.get("has_import_errors"),
            },
        )


def _releases(client: AirflowClient) -> list[Release]:
    """Every release record on the server."""
    items = client.paginate(
        "/api/v2/variables", "variables", {"variable_key_pattern": RELEASE_PREFIX}
    )
    found = []
    for item in items:
        key, value = item.get("key"), item.get("value")
        if isinstance(key, str) and key.startswith(RELEASE_PREFIX) and isinstance(value, str):
            release = Release.from_json(value)
            if release is not None:
                found.append(release)
    return found
