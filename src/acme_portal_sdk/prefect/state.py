"""A deployment's state as comparable JSON: what we want (`desired_state`) and what the
server has (`server_state`), with the same keys, so a plan is a plain comparison.

`create_arguments` turns a `PrefectDeployInfo` into the keyword arguments of
`client.create_deployment`. That call is an upsert that REPLACES every field, so it always
carries the full desired state: a field we did not send would be reset.
"""

from __future__ import annotations

from typing import Any

from acme_portal_sdk.prefect.deploy_info import PrefectDeployInfo

#: The schema Prefect stores when a deployment is created without one.
EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
#: The queue Prefect assigns when a deployment names none.
DEFAULT_QUEUE = "default"

#: The fields compared, in the order plans show them.
FIELDS = (
    "version",
    "description",
    "work_pool_name",
    "work_queue_name",
    "entrypoint",
    "path",
    "tags",
    "parameters",
    "job_variables",
    "schedules",
    "paused",
    "concurrency_limit",
    "collision_strategy",
    "parameter_openapi_schema",
    "enforce_parameter_schema",
    "pull_steps",
)


def _schedules(cron: str | None) -> list[dict[str, Any]]:
    return [{"cron": cron, "timezone": None, "active": True}] if cron else []


def desired_state(info: PrefectDeployInfo) -> dict[str, Any]:
    """The state `info` asks for, in the shape of `server_state`."""
    return {
        "version": info.version,
        "description": info.description or "",
        "work_pool_name": info.work_pool_name,
        "work_queue_name": info.work_queue_name or DEFAULT_QUEUE,
        "entrypoint": info.entrypoint,
        "path": info.path,
        "tags": list(info.tags or []),
        "parameters": dict(info.parameters or {}),
        "job_variables": dict(info.job_variables or {}),
        "schedules": _schedules(info.cron),
        "paused": bool(info.paused),
        "concurrency_limit": info.concurrency_limit,
        "collision_strategy": info.collision_strategy,
        "parameter_openapi_schema": info.parameter_openapi_schema or EMPTY_SCHEMA,
        "enforce_parameter_schema": info.enforce_parameter_schema,
        "pull_steps": list(info.pull_steps),
    }


def _server_schedule(schedule: dict[str, Any]) -> dict[str, Any]:
    inner = schedule.get("schedule") or {}
    if "cron" in inner:
        return {
            "cron": inner["cron"],
            "timezone": inner.get("timezone"),
            "active": schedule.get("active", True),
        }
    return {"schedule": inner, "active": schedule.get("active", True)}


def server_state(deployment: Any) -> dict[str, Any]:
    """The state of a Prefect `DeploymentResponse`, in the shape of `desired_state`."""
    data: dict[str, Any] = deployment.model_dump(mode="json")
    limit = (data.get("global_concurrency_limit") or {}).get("limit", data.get("concurrency_limit"))
    options = data.get("concurrency_options") or {}
    return {
        "version": data.get("version"),
        "description": data.get("description") or "",
        "work_pool_name": data.get("work_pool_name"),
        "work_queue_name": data.get("work_queue_name"),
        "entrypoint": data.get("entrypoint"),
        "path": data.get("path"),
        "tags": list(data.get("tags") or []),
        "parameters": data.get("parameters") or {},
        "job_variables": data.get("job_variables") or {},
        "schedules": [_server_schedule(s) for s in data.get("schedules") or []],
        "paused": bool(data.get("paused")),
        "concurrency_limit": limit,
        "collision_strategy": options.get("collision_strategy"),
        "parameter_openapi_schema": data.get("parameter_openapi_schema") or EMPTY_SCHEMA,
        "enforce_parameter_schema": data.get("enforce_parameter_schema"),
        "pull_steps": list(data.get("pull_steps") or []),
    }


def create_arguments(info: PrefectDeployInfo) -> dict[str, Any]:
    """Keyword arguments of `client.create_deployment` (but `flow_id`): the FULL state."""
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy, ConcurrencyOptions
    from prefect.client.schemas.schedules import CronSchedule

    schedules = (
        [DeploymentScheduleCreate(schedule=CronSchedule(cron=info.cron), active=True)]
        if info.cron
        else []
    )
    options = (
        ConcurrencyOptions(collision_strategy=ConcurrencyLimitStrategy(info.collision_strategy))
        if info.collision_strategy
        else None
    )
    return {
        "name": info.name,
        "version": info.version,
        "description": info.description or "",
        "work_pool_name": info.work_pool_name,
        "work_queue_name": info.work_queue_name,
        "entrypoint": info.entrypoint,
        "path": info.path,
        "tags": list(info.tags or []),
        "parameters": dict(info.parameters or {}),
        "job_variables": dict(info.job_variables or {}),
        "schedules": schedules,
        "paused": bool(info.paused),
        "concurrency_limit": info.concurrency_limit,
        "concurrency_options": options,
        "parameter_openapi_schema": info.parameter_openapi_schema or EMPTY_SCHEMA,
        "enforce_parameter_schema": info.enforce_parameter_schema,
        "pull_steps": list(info.pull_steps),
    }
