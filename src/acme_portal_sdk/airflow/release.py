"""What deploying and promoting mean on Airflow 3, as plans and their application.

**The model.** One Airflow per environment. Each environment's dag-processor reads the
project's DAGs from a git DAG bundle (`GitDagBundle`) that tracks one ref of the project's
repository, `refs/heads/airflow/<env>` by default (`AirflowEnvironment.deploy_ref`).
Airflow records, on every DAG, DAG version and run, the commit its bundle was at
(`bundle_version`), and a run keeps the code of the commit it was created at. Airflow's API
cannot ship code (it has no bundle endpoints and a run cannot choose a version), so:

- **deploy** `flows` at `ref` to `env` = move `env`'s deploy ref to the commit `ref` names
  (a `git push` with a lease on the ref's current value, so a concurrent change is refused
  rather than overwritten), record the release in the Variable
  `acme_portal.release.<project>` of `env`'s server (project, branch, commit, package
  version, the DAGs asked for), and ask the server to re-parse the DAGs it already has.
  The unit Airflow ships is the bundle: every DAG of the project moves to that commit, and
  the plan lists them all.
- **promote** `flows` from `source` to `target` = read, from the source server, the commit
  its DAGs run (`bundle_version`; all the DAGs asked for must agree) and the branch of the
  source's release record, then deploy that very commit to `target`.

Pause state is never changed: a new DAG starts as Airflow's `is_paused_upon_creation` /
`dags_are_paused_at_creation` say, and afterwards pausing is the operators' decision
(acme-portal-sdk 1.2.0 un-paused every DAG on every deploy).

Every check comes first (the DAGs are in the index and in the commit shipped, the servers
answer and accept our credentials, the source DAGs exist and are versioned, the deploy ref
can be read); then the ref moves; if writing the release record then fails, the ref is put
back, so a failed deploy changes nothing. `plan_*` functions only read; `apply` writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from acme_portal_sdk import repository
from acme_portal_sdk.airflow.client import AirflowClient
from acme_portal_sdk.airflow.environments import AirflowEnvironment
from acme_portal_sdk.airflow.remote import remote_git
from acme_portal_sdk.errors import (
    AirflowError,
    FlowNotFoundError,
    GitError,
    ReleaseError,
)

logger = logging.getLogger(__name__)

RELEASE_VARIABLE = "acme_portal.release.{project}"
RELEASE_DESCRIPTION = "The release acme-portal-sdk last deployed here (do not edit)."

DagAction = Literal["add", "update", "unchanged"]


@dataclass(frozen=True)
class Release:
    """What runs in an environment: which project, branch and commit."""

    project: str
    branch: str
    commit: str
    package_version: str
    env: str
    dags: tuple[str, ...] = ()
    deployed_at: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "project": self.project,
                "branch": self.branch,
                "commit": self.commit,
                "package_version": self.package_version,
                "env": self.env,
                "dags": list(self.dags),
                "deployed_at": self.deployed_at,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Release | None:
        """A release record as a Variable holds it; None when it is not one."""
        try:
            data = json.loads(text)
            return cls(
                project=str(data["project"]),
                branch=str(data["branch"]),
                commit=str(data["commit"]),
                package_version=str(data.get("package_version", "")),
                env=str(data.get("env", "")),
                dags=tuple(str(d) for d in data.get("dags", [])),
                deployed_at=str(data.get("deployed_at", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def release_key(project: str) -> str:
    return RELEASE_VARIABLE.format(project=project)


def read_release(client: AirflowClient, project: str) -> Release | None:
    """The release record of `project` on a server (None when there is none)."""
    value = client.variable(release_key(project))
    return None if value is None else Release.from_json(value)


@dataclass(frozen=True)
class DagChange:
    """One DAG of the bundle: what the deploy does to it."""

    dag_id: str
    action: DagAction
    before: str | None
    after: str
    requested: bool
    paused: bool | None = None
    file_token: str | None = None


@dataclass(frozen=True)
class ReleasePlan:
    """What a deploy (or promotion) to one environment would do; `apply` does it."""

    environment: AirflowEnvironment
    root: Path
    remote: str
    ref_before: str | None
    release: Release
    dags: tuple[DagChange, ...]
    source: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def requested(self) -> list[DagChange]:
        return [d for d in self.dags if d.requested]

    @property
    def url(self) -> str:
        """The first requested DAG's page on the environment's server."""
        return self.environment.dag_url(self.requested[0].dag_id)

    def lines(self) -> list[str]:
        env = self.environment
        release = self.release
        head = f"{env.name} ({env.url}): {self.remote} {env.ref}"
        move = (
            f"{(self.ref_before or 'absent')[:12]} -> {release.commit[:12]}"
            if self.ref_before != release.commit
            else f"already at {release.commit[:12]}"
        )
        lines = [f"{head}: {move}"]
        if self.source:
            lines.append(f"    from {self.source}")
        lines.append(
            f"    release {release.project} branch {release.branch} "
            f"version {release.package_version}"
        )
        for dag in self.dags:
            symbol = {"add": "+", "update": "~", "unchanged": "="}[dag.action]
            if dag.action == "add":
                where = "new: appears when the dag-processor parses the bundle"
            elif dag.action == "unchanged":
                where = f"at {dag.after[:12]}"
            else:
                where = f"{(dag.before or 'unversioned')[:12]} -> {dag.after[:12]}"
            pause = "" if dag.paused is None else (" (paused)" if dag.paused else " (running)")
            asked = "" if dag.requested else " (same bundle)"
            lines.append(f"    {symbol} {dag.dag_id}: {where}{pause}{asked}")
        lines.extend(f"    note: {note}" for note in self.notes)
        return lines


def _now() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def resolve_commit(root: Path, ref: str) -> str:
    """The full hash of the commit `ref` (a branch, tag or commit) names in `root`."""
    for candidate in (f"refs/heads/{ref}", ref):
        try:
            return repository.git(
                root, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"
            )
        except GitError:
            continue
    raise ReleaseError(f"{root}: git ref {ref!r} names no commit: commit and name a branch or tag")


def remote_ref(root: Path, remote: str, ref: str) -> str | None:
    """The commit `ref` of `remote` points at; None when it does not exist."""
    out = remote_git(root, remote, "ls-remote", "--", "{url}", ref)
    for line in out.splitlines():
        sha, _, name = line.partition("\t")
        if name == ref:
            return sha
    return None


def _dag_paths(flows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {flow["name"]: flow["path"] for flow in flows}


def plan_release(
    *,
    root: Path,
    environment: AirflowEnvironment,
    project_dags: Sequence[Mapping[str, Any]],
    dag_ids: Sequence[str],
    commit: str,
    branch: str,
    project: str,
    package_version: str,
    remote: str,
    source: str | None = None,
) -> ReleasePlan:
    """Plan shipping `commit` of the project to `environment`; reads only.

    `project_dags` are the index entries of the project's DAGs (`name`, `path`);
    `dag_ids` the ones asked for. Raises before anything is written when a DAG is not one
    of the project's, is not in `commit`, or a server or the remote cannot be read.
    """
    paths = _dag_paths(project_dags)
    unknown = [d for d in dag_ids if d not in paths]
    if unknown:
        raise FlowNotFoundError(unknown, sorted(paths))
    if not dag_ids:
        raise ReleaseError("no DAG to deploy: name at least one")
    missing = []
    for dag_id in dag_ids:
        try:
            repository.git(root, "cat-file", "-e", f"{commit}:{paths[dag_id]}")
        except GitError:
            missing.append(f"{dag_id} ({paths[dag_id]})")
    if missing:
        raise ReleaseError(
            f"commit {commit[:12]} does not contain the file of {', '.join(missing)}: "
            "commit the DAG files first (the working tree is not what Airflow runs)"
        )
    ref_before = remote_ref(root, remote, environment.ref)
    client = environment.client()
    on_server = {dag["dag_id"]: dag for dag in client.dags()}
    changes = []
    for dag_id in sorted(paths):
        requested = dag_id in dag_ids
        found = on_server.get(dag_id)
        if found is None:
            if requested:
                changes.append(DagChange(dag_id, "add", None, commit, True))
            continue
        before = found.get("bundle_version")
        changes.append(
            DagChange(
                dag_id,
                "unchanged" if before == commit else "update",
                before,
                commit,
                requested,
                paused=found.get("is_paused"),
                file_token=found.get("file_token"),
            )
        )
    notes = []
    if any(c.action == "add" and c.requested for c in changes):
        notes.append(
            "new DAGs start paused unless the DAG says is_paused_upon_creation=False; "
            "deploy never changes pause state"
        )
    return ReleasePlan(
        environment=environment,
        root=root,
        remote=remote,
        ref_before=ref_before,
        release=Release(
            project=project,
            branch=branch,
            commit=commit,
            package_version=package_version,
            env=environment.name,
            dags=tuple(sorted(dag_ids)),
        ),
        dags=tuple(changes),
        source=source,
        notes=tuple(notes),
    )


def _push(plan: ReleasePlan, new: str | None, expected: str | None) -> None:
    ref = plan.environment.ref
    lease = f"--force-with-lease={ref}:{expected or ''}"
    spec = f"{new}:{ref}" if new else f":{ref}"
    remote_git(plan.root, plan.remote, "push", "--quiet", "--porcelain", lease, "--", "{url}", spec)


def apply(plan: ReleasePlan) -> str:
    """Do what `plan` says; the URL of the first requested DAG.

    The ref moves only if it still has the value the plan read; when the release record
    cannot be written, the ref is moved back and the error raised.
    """
    release = plan.release
    client = plan.environment.client()
    record = dataclasses.replace(release, deployed_at=_now())
    moved = plan.ref_before != release.commit
    if moved:
        try:
            _push(plan, release.commit, plan.ref_before)
        except GitError as exc:
            raise ReleaseError(
                f"could not move {plan.remote} {plan.environment.ref} to {release.commit[:12]} "
                f"(it was {plan.ref_before or 'absent'} when planned): {exc}; nothing changed"
            ) from exc
    try:
        client.set_variable(release_key(release.project), record.to_json(), RELEASE_DESCRIPTION)
    except AirflowError:
        if moved:
            _push(plan, plan.ref_before, release.commit)
        raise
    for dag in plan.dags:
        if dag.file_token and dag.action != "unchanged":
            try:
                client.request_parse(dag.file_token)
            except AirflowError as exc:  # only hurries the dag-processor; the ref has moved
                logger.warning("could not ask %s to re-parse %s: %s", client.url, dag.dag_id, exc)
    logger.info(
        "%s: %s now at %s (%s)",
        plan.environment.name,
        plan.environment.ref,
        release.commit,
        ", ".join(release.dags),
    )
    return plan.url


def source_release(
    environment: AirflowEnvironment, project: str, dag_ids: Sequence[str]
) -> tuple[str, Release | None]:
    """The commit the source environment runs for `dag_ids`, and its release record."""
    client = environment.client()
    versions: dict[str, str | None] = {}
    missing = []
    for dag_id in dag_ids:
        dag = client.dag(dag_id)
        if dag is None:
            missing.append(dag_id)
        else:
            versions[dag_id] = dag.get("bundle_version")
    if missing:
        raise ReleaseError(
            f"nothing to promote: {', '.join(missing)} is not on the {environment.name} server "
            f"({environment.url}): deploy it there first"
        )
    unversioned = [d for d, v in versions.items() if not v]
    if unversioned:
        raise ReleaseError(
            f"{', '.join(unversioned)} on {environment.name} ({environment.url}) has no "
            "bundle_version: its DAG bundle is not versioned (a LocalDagBundle), so which "
            "commit runs there cannot be known; use a GitDagBundle"
        )
    commits = sorted({v for v in versions.values() if v})
    if len(commits) > 1:
        raise ReleaseError(
            f"the DAGs asked for run different commits on {environment.name}: "
            + ", ".join(f"{d} at {v}" for d, v in sorted(versions.items()))
            + ": wait for its dag-processor to finish parsing, then promote"
        )
    return commits[0], read_release(client, project)
