"""The outcome of deploying (or promoting) several flows: which were deployed, which not.

Deployers attempt every deployment, collect a `DeployReport`, and raise
`DeploymentsFailedError` (carrying the report) at the end when any failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from acme_portal_sdk.errors import DeploymentsFailedError

Applied = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class DeploymentOutcome:
    """A deployment that was written to the server."""

    flow_name: str
    deployment_name: str
    deployment_id: str
    url: str
    action: Applied


@dataclass(frozen=True)
class DeploymentFailure:
    """A deployment that was not written, and why (`attempted` is False when it was skipped
    because the server had become unusable)."""

    flow_name: str
    deployment_name: str
    message: str
    error_type: str
    attempted: bool = True


@dataclass
class DeployReport:
    """Every deployment of one run, in the order they were attempted."""

    deployed: list[DeploymentOutcome] = field(default_factory=list)
    failed: list[DeploymentFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    @property
    def urls(self) -> list[str]:
        """The UI pages of the deployments written, in order."""
        return [outcome.url for outcome in self.deployed]

    def lines(self) -> list[str]:
        """A human rendering: one line per deployment, then a summary."""
        lines = [f"{o.action:<9} {o.flow_name}/{o.deployment_name}  {o.url}" for o in self.deployed]
        lines.extend(
            f"{'FAILED' if f.attempted else 'SKIPPED':<9} {f.flow_name}/{f.deployment_name}: "
            f"{f.message}"
            for f in self.failed
        )
        lines.append(f"{len(self.deployed)} deployed, {len(self.failed)} failed.")
        return lines

    def raise_for_failures(self) -> None:
        """Raise `DeploymentsFailedError` when any deployment failed."""
        if self.failed:
            raise DeploymentsFailedError(self)
