"""The one exception root of acme_portal_sdk and its structured subclasses.

Library code raises these on purpose; errors of the libraries underneath (Prefect's client,
httpx, the `gh` and `git` processes, YAML) are converted into them where those libraries are
called, and the `aps` command converts them into messages and exit codes at one place
(`acme_portal_sdk._main`). Every message says what is wrong and what to do.

Each class carries `exit_code`: 1 for operations that failed (a server refused, a deployment
failed), 2 for input the user has to fix before anything is attempted (names, configuration,
arguments).

Where acme-portal-sdk 1.2.0 raised a built-in exception for the same problem, the class
replacing it also derives from that built-in, so `except ValueError:` (or `RuntimeError`)
written for 1.x still catches it: every `InputError` is a `ValueError` (1.2.0 raised
`ValueError` for bad arguments, tags and settings, e.g. `GithubActionsPromoteWorkflow.run`
without `source_env`), `ServerNotConfiguredError` is a `ValueError` (1.2.0's deployment URL
without `PREFECT_API_URL`), `GitHubWorkflowError` is a `RuntimeError` (1.2.0's `gh` checks),
and `EnvFileNotFoundError` is a `FileNotFoundError` (acme-config's `load_saved_parameters`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Protocol

#: The Prefect setting that names the server; every server error message names it.
API_URL_SETTING = "PREFECT_API_URL"


class AcmePortalError(Exception):
    """Root of every error acme_portal_sdk raises on purpose."""

    exit_code: ClassVar[int] = 1


# --- input the user must fix (nothing was attempted) -------------------------------------


class InputError(AcmePortalError, ValueError):
    """Arguments, names or configuration are invalid; nothing was sent to any server.

    A `ValueError`, as what acme-portal-sdk 1.2.0 raised for the same problems.
    """

    exit_code: ClassVar[int] = 2


class CredentialSourceError(InputError):
    """The server URL and a credential (API key) come from different sources; nothing was sent."""


class DeployConfigError(InputError):
    """The per-flow deploy configuration file is missing, unreadable or invalid."""

    def __init__(self, path: Path | str, problems: Sequence[str]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        listed = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"invalid deploy configuration {self.path} ({len(self.problems)} problem(s); "
            f"nothing was sent to the server):\n{listed}"
        )


class DeploymentValidationError(InputError):
    """Deployments failed validation (names, settings, parameters); none was sent."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        listed = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) found before contacting the server; "
            f"nothing was deployed:\n{listed}"
        )


class InvalidNameError(DeploymentValidationError):
    """A project, branch, flow or environment name cannot make a valid deployment name."""


class FlowNotFoundError(InputError):
    """A flow asked for is not a deployable flow of the project."""

    def __init__(self, names: Sequence[str], available: Sequence[str]) -> None:
        self.names = list(names)
        self.available = list(available)
        shown = ", ".join(self.available) if self.available else "(none)"
        super().__init__(
            f"unknown flow(s): {', '.join(self.names)}; the project's deployable flows are: {shown}"
        )


class EnvFileNotFoundError(InputError, FileNotFoundError):
    """The run-variables file `{app}.{env}.{ver}.env` of `aps-prefect-deploy` is missing.

    Also a `FileNotFoundError`, which acme-config's `load_saved_parameters` raised in 1.x.
    """

    def __init__(self, path: Path | str, hint: str = "") -> None:
        self.path = Path(path)
        super().__init__(f"env file {self.path} not found{hint}")

    def __str__(self) -> str:  # OSError's own __str__ would show (errno, strerror)
        return str(self.args[0]) if self.args else ""


class SameEnvironmentError(InputError):
    """A promotion whose source and target environments are the same."""


class PrefectNotInstalledError(InputError):
    """Talking to a Prefect server needs the `prefect` extra."""

    def __init__(self) -> None:
        super().__init__(
            "Prefect is not installed: install the extra with "
            "`pip install 'acme-portal-sdk[prefect]'` (or `pip install prefect`)"
        )


# --- operations that failed ---------------------------------------------------------------


class ServerError(AcmePortalError):
    """The Prefect server could not be used, or refused a request."""

    def __init__(self, message: str, *, api_url: str | None = None) -> None:
        self.api_url = api_url
        super().__init__(message)


class ServerNotConfiguredError(ServerError, ValueError):
    """No Prefect server is configured (`PREFECT_API_URL` is not set); a `ValueError` as in 1.x."""

    exit_code: ClassVar[int] = 2

    def __init__(self) -> None:
        super().__init__(
            f"{API_URL_SETTING} is not set: point it at your Prefect server, e.g. "
            f"`export {API_URL_SETTING}=http://127.0.0.1:4200/api` (self-hosted) or "
            "`prefect cloud login` (Prefect Cloud). acme-portal-sdk never starts a "
            "temporary server on its own."
        )


class ServerUnavailableError(ServerError):
    """The server at `PREFECT_API_URL` cannot be reached."""


class ServerAuthError(ServerError):
    """The server at `PREFECT_API_URL` refused our credentials."""


class WorkPoolNotFoundError(ServerError):
    """A deployment names a work pool the server does not have."""

    def __init__(self, work_pool: str, *, api_url: str | None = None) -> None:
        self.work_pool = work_pool
        super().__init__(
            f"work pool {work_pool!r} does not exist on the Prefect server at "
            f"{API_URL_SETTING}={api_url}: create it (e.g. `prefect work-pool create "
            f"{work_pool} --type process`) or set `work_pool_name` in the deploy configuration",
            api_url=api_url,
        )


class SourceDeploymentNotFoundError(ServerError):
    """The deployment to promote does not exist in the source environment."""


class DeployedOne(Protocol):
    """A deployment written to the server, as a `DeploymentsFailedError` report holds it."""

    @property
    def flow_name(self) -> str: ...
    @property
    def deployment_name(self) -> str: ...
    @property
    def deployment_id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def action(self) -> str: ...


class FailedOne(Protocol):
    """A deployment not written, and why, as a `DeploymentsFailedError` report holds it."""

    @property
    def flow_name(self) -> str: ...
    @property
    def deployment_name(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def error_type(self) -> str: ...
    @property
    def attempted(self) -> bool: ...


class FailureReport(Protocol):
    """What a `DeploymentsFailedError` carries: `prefect.report.DeployReport` is one. A
    protocol, so that this module, the bottom of the SDK, imports nothing of it."""

    @property
    def deployed(self) -> Sequence[DeployedOne]: ...
    @property
    def failed(self) -> Sequence[FailedOne]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def urls(self) -> list[str]: ...
    def lines(self) -> list[str]: ...


class DeploymentsFailedError(AcmePortalError):
    """Some deployments (or promotions) failed; `report` says which succeeded and which not."""

    def __init__(self, report: FailureReport) -> None:
        self.report = report
        failed = "; ".join(f"{f.deployment_name}: {f.message}" for f in report.failed)
        deployed = ", ".join(o.deployment_name for o in report.deployed) or "none"
        super().__init__(
            f"{len(report.failed)} of {len(report.failed) + len(report.deployed)} "
            f"deployment(s) failed: {failed}. Deployed: {deployed}."
        )


class GitHubWorkflowError(AcmePortalError, RuntimeError):
    """A GitHub Actions workflow could not be dispatched with the `gh` CLI (a `RuntimeError`)."""


class GitError(AcmePortalError):
    """A git command needed to describe the deployed code failed."""

    exit_code: ClassVar[int] = 2


class LocalServerError(AcmePortalError):
    """A local Prefect server (for the demo and the tests) could not be started."""


# --- Airflow -------------------------------------------------------------------------------


class AirflowError(AcmePortalError):
    """An Airflow API server could not be used, or refused a request.

    `url` is the server's base URL; `status` the HTTP status when the server answered.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


class AirflowNotConfiguredError(AirflowError):
    """No Airflow server is configured for an environment."""

    exit_code: ClassVar[int] = 2


class AirflowUnavailableError(AirflowError):
    """The Airflow server cannot be reached (refused, timed out, not HTTP)."""


class AirflowAuthError(AirflowError):
    """The Airflow server refused our credentials or token (401/403)."""


class AirflowNotFoundError(AirflowError):
    """The Airflow server has no such resource (404): a DAG, a Variable, a route."""


class ReleaseError(AcmePortalError):
    """An Airflow deploy or promotion cannot be done as asked; nothing was changed."""

    exit_code: ClassVar[int] = 2
