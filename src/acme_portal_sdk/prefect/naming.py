"""The deployment naming convention of acme-portal-sdk, and how names are parsed back.

A deployment of flow `F` for project `P`, git branch `B` and environment `E` is named

    {P'}--{B'}--{F'}--{E}

where `P'`, `B'` and `F'` are `P`, `B` and `F` with every `_` replaced by `-` (so the flow
`hello_world` of project `acme_prefect` on `main` in `dev` is
`acme-prefect--main--hello-world--dev`). It carries the tags `PROJECT_NAME=P'`,
`BRANCH_NAME=B'`, `COMMIT_HASH=…`, `PACKAGE_VERSION=…` and the version `{B'}-{commit}`.
These are acme-portal-sdk 1.x's conventions, kept because existing deployments use them.

Parsing (`parse_deployment_name`), exactly:

1. `E` is what follows the LAST `--`.
2. Project: if a `PROJECT_NAME` tag is present and the rest starts with `{tag}--`, that prefix
   is the project; otherwise the project is what precedes the FIRST `--`.
3. Branch: likewise with the `BRANCH_NAME` tag; otherwise the branch is everything up to the
   last `--` of what remains (so a branch may contain `-` and even `--`), and the flow
   segment is what follows it.
4. Tags are authoritative: when a tag is present its value is the project (branch) reported,
   even if the name disagrees. `flow_name` is the flow segment with `-` replaced by `_`,
   which equals the extension's `FlowDetails.name` of the flow.
5. A name with fewer than four `--`-separated parts, or an empty part, is not ours (None).

To keep every name we create parseable, `name_problems` refuses projects and environments
that contain `--` or start or end with `-`. Branches and flow names may contain `--`; such
names round-trip through their tags (which we always write).

Nothing here imports Prefect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SEPARATOR = "--"
PROJECT_TAG = "PROJECT_NAME"
BRANCH_TAG = "BRANCH_NAME"
COMMIT_TAG = "COMMIT_HASH"
PACKAGE_VERSION_TAG = "PACKAGE_VERSION"
TAG_KEYS = (PROJECT_TAG, BRANCH_TAG, COMMIT_TAG, PACKAGE_VERSION_TAG)

#: Characters Prefect refuses in flow and deployment names.
BANNED_CHARACTERS = frozenset("/%&<>")


def to_segment(name: str) -> str:
    """A name as it appears inside a deployment name: `_` replaced by `-`."""
    return name.replace("_", "-")


def to_flow_name(name: str) -> str:
    """The extension's form of a flow name (`FlowDetails.name`): `-` replaced by `_`."""
    return name.replace("-", "_")


@dataclass(frozen=True)
class DeploymentName:
    """The parts of a deployment name. `flow` is the extension's flow name (`_` form)."""

    project: str
    branch: str
    flow: str
    env: str

    @property
    def name(self) -> str:
        """The deployment's name: `{project}--{branch}--{flow}--{env}` with `_` -> `-`."""
        return SEPARATOR.join(
            (to_segment(self.project), to_segment(self.branch), to_segment(self.flow), self.env)
        )

    def __str__(self) -> str:
        return self.name


def component_problems(kind: str, value: str, *, delimiter: bool) -> list[str]:
    """Why `value` cannot be the `kind` part of a deployment name (empty when it can).

    `delimiter` parts (project, environment) must also not contain `--` nor start or end
    with `-`, so that names parse unambiguously.
    """
    if not value.strip():
        return [f"the {kind} name is empty"]
    problems = []
    if value != value.strip():
        problems.append(f"the {kind} name {value!r} has leading or trailing whitespace")
    banned = sorted(BANNED_CHARACTERS.intersection(value))
    if banned:
        problems.append(
            f"the {kind} name {value!r} contains {' '.join(banned)}, which Prefect refuses in "
            "deployment names"
        )
    if any(not ch.isprintable() for ch in value):
        problems.append(f"the {kind} name {value!r} contains control characters")
    segment = to_segment(value)
    if delimiter and (SEPARATOR in segment or segment.startswith("-") or segment.endswith("-")):
        problems.append(
            f"the {kind} name {value!r} would contain '--' or start or end with '-' in the "
            "deployment name, which makes the name ambiguous"
        )
    return problems


def name_problems(project: str, branch: str, flow: str, env: str) -> list[str]:
    """Every reason why these parts cannot make a deployment name (empty when they can)."""
    return [
        *component_problems("project", project, delimiter=True),
        *component_problems("branch", branch, delimiter=False),
        *component_problems("flow", flow, delimiter=False),
        *component_problems("environment", env, delimiter=True),
    ]


def tag_values(tags: Iterable[str]) -> dict[str, str]:
    """The `KEY=value` tags of the convention (first occurrence of each key wins).

    The value is everything after the first `=`, so values may contain `=`.
    """
    values: dict[str, str] = {}
    for tag in tags:
        key, sep, value = tag.partition("=")
        if sep and key in TAG_KEYS and key not in values:
            values[key] = value
    return values


def deployment_tags(project: str, branch: str, commit_hash: str, package_version: str) -> list[str]:
    """The tags written on every deployment (project and branch in their `-` form)."""
    return [
        f"{PROJECT_TAG}={to_segment(project)}",
        f"{BRANCH_TAG}={to_segment(branch)}",
        f"{COMMIT_TAG}={commit_hash}",
        f"{PACKAGE_VERSION_TAG}={package_version}",
    ]


def deployment_version(branch: str, commit_hash: str) -> str:
    """The version written on every deployment: `{branch}-{commit}`."""
    return f"{to_segment(branch)}-{commit_hash}"


def _strip_prefix(text: str, prefix: str | None) -> tuple[str, str] | None:
    """Split `text` after `{prefix}--` when it starts so; None otherwise."""
    if prefix and text.startswith(to_segment(prefix) + SEPARATOR):
        head = to_segment(prefix)
        return head, text[len(head) + len(SEPARATOR) :]
    return None


def parse_deployment_name(name: str, tags: Iterable[str] = ()) -> DeploymentName | None:
    """The parts of a deployment `name` (see the module docstring for the exact rule).

    Returns None when the name does not follow the convention.
    """
    if name.count(SEPARATOR) < 3:
        return None
    values = tag_values(tags)
    head, _, env = name.rpartition(SEPARATOR)

    by_tag = _strip_prefix(head, values.get(PROJECT_TAG))
    if by_tag is not None:
        project, rest = by_tag
    else:
        project, _, rest = head.partition(SEPARATOR)

    by_tag = _strip_prefix(rest, values.get(BRANCH_TAG))
    if by_tag is not None:
        branch, flow = by_tag
    else:
        branch, _, flow = rest.rpartition(SEPARATOR)

    project = values.get(PROJECT_TAG) or project
    branch = values.get(BRANCH_TAG) or branch
    if not all(part.strip() for part in (project, branch, flow, env)):
        return None
    return DeploymentName(project=project, branch=branch, flow=to_flow_name(flow), env=env)


def commit_from_version(version: str | None, branch: str) -> str:
    """The commit of a `{branch}-{commit}` version, or `""` when it is not of that form."""
    prefix = to_segment(branch) + "-"
    if version and version.startswith(prefix) and len(version) > len(prefix):
        return version[len(prefix) :]
    return ""
