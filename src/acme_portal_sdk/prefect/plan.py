"""Dry runs: what a deploy or a promotion would create or change, field by field.

A `DeploymentPlan` compares the desired state of one deployment with the one the server
has (`acme_portal_sdk.prefect.state`); nested mappings are compared key by key, so a plan
says `job_variables.env.DEPLOYMENT_NAME` rather than "job_variables changed". Plans are
values: the library returns them, the `aps` command prints `Plan.lines()`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["create", "update", "unchanged"]

#: Longest rendering of one value in `lines()` (the plan object keeps the full values).
MAX_VALUE_WIDTH = 160


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: `before` is None when the deployment does not exist yet."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class DeploymentPlan:
    """What applying one deployment would do."""

    flow_name: str
    deployment_name: str
    action: Action
    changes: tuple[FieldChange, ...] = ()
    deployment_id: str | None = None
    url: str | None = None
    problem: str | None = None
    source: str | None = None

    @property
    def key(self) -> str:
        """`flow/deployment`, as Prefect names a deployment."""
        return f"{self.flow_name}/{self.deployment_name}"

    def lines(self, detail: bool = True) -> list[str]:
        """A human rendering: a header line, then (with `detail`) one line per field.

        Without `detail`, an update's header names the fields that change instead.
        """
        symbol = {"create": "+", "update": "~", "unchanged": "="}[self.action]
        header = f"{symbol} {self.action} {self.key}"
        if self.source:
            header += f" (from {self.source})"
        if not detail and self.action == "update" and self.changes:
            fields = sorted({change.field.split(".")[0] for change in self.changes})
            header += f": {', '.join(fields)}"
        lines = [header]
        if self.problem:
            lines.append(f"    ! {self.problem}")
        if not detail:
            return lines
        for change in self.changes:
            if self.action == "create":
                lines.append(f"    {change.field}: {render(change.after)}")
            else:
                lines.append(
                    f"    {change.field}: {render(change.before)} -> {render(change.after)}"
                )
        return lines


@dataclass(frozen=True)
class Plan:
    """The plans of every deployment of one deploy or promotion."""

    deployments: tuple[DeploymentPlan, ...]

    @property
    def changes(self) -> int:
        """How many deployments would be created or updated."""
        return sum(1 for d in self.deployments if d.action != "unchanged")

    @property
    def problems(self) -> list[str]:
        """Problems found (e.g. a missing work pool): applying would fail for those."""
        return [f"{d.key}: {d.problem}" for d in self.deployments if d.problem]

    def lines(self, detail: bool = True) -> list[str]:
        """Every deployment's lines and a summary line (nothing was changed).

        Without `detail`, one line per deployment (and one per problem).
        """
        lines = [line for d in self.deployments for line in d.lines(detail)]
        counts = {
            action: sum(1 for d in self.deployments if d.action == action)
            for action in ("create", "update", "unchanged")
        }
        summary = (
            f"Dry run: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['unchanged']} unchanged"
        )
        if self.problems:
            summary += f", {len(self.problems)} would fail"
        lines.append(summary + ". Nothing was changed.")
        return lines


def render(value: Any) -> str:
    """A value as compact JSON, cut at `MAX_VALUE_WIDTH` characters."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE_WIDTH else text[: MAX_VALUE_WIDTH - 1] + "…"


def diff(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """The differences between two JSON values; mappings are compared key by key."""
    if isinstance(before, Mapping) and isinstance(after, Mapping) and path:
        changes = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}"
            if key not in before:
                changes.append(FieldChange(sub, None, after[key]))
            elif key not in after:
                changes.append(FieldChange(sub, before[key], None))
            else:
                changes.extend(diff(before[key], after[key], sub))
        return changes
    if before != after:
        return [FieldChange(path, before, after)]
    return []


def compare(
    fields: tuple[str, ...], existing: Mapping[str, Any] | None, desired: Mapping[str, Any]
) -> tuple[Action, tuple[FieldChange, ...]]:
    """The action and changes turning `existing` (None: absent) into `desired`."""
    if existing is None:
        return "create", tuple(FieldChange(f, None, desired[f]) for f in fields)
    changes = [c for f in fields for c in diff(existing.get(f), desired[f], f)]
    return ("update" if changes else "unchanged"), tuple(changes)
