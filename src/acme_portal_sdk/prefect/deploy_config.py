"""The per-flow deploy configuration (`static_flow_deploy_config.yaml` of acme-portal-sdk 1.x).

The file is a YAML mapping from flow names to settings:

```yaml
daily_sales:                  # or `daily-sales`: the `_` and `-` spellings are the same flow
  work_pool_name: ecs-pool
  work_queue_name: default
  cron: "0 6 * * MON-FRI"
  paused: false
  concurrency_limit: 1        # or {limit: 1, collision_strategy: CANCEL_NEW}; null: no limit
  description: Load the sales
  parameters: {dry_run: false}
  triggers:
    DeploymentEventTrigger: {expect: ["external.resource.pinged"]}
```

Its default place is `.acme_portal_sdk/static_flow_deploy_config.yaml` under the project root
(or the root-relative `deploy-config` of `[tool.acme-scan]`, the same file `acme-scan check`
checks). A flow without an entry gets the defaults: the default work pool, no schedule, not
paused, a concurrency limit of 1, the flow's own description, no parameters, no triggers
(acme-portal-sdk 1.x's defaults). A missing default file means "no entries"; a file named
explicitly must exist.

This module only loads: validation is `acme-scan check`'s (`acme_scan.check.deploy_config`),
so `aps deploy`, `aps promote`, `aps check-config` and `check` report every problem of the
file at once, at its `file:line:col`, in the same words.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acme_portal_sdk.errors import DeployConfigError
from acme_portal_sdk.prefect.naming import to_flow_name
from acme_scan.check.deploy_config import (
    ALLOWED_KEYS,
    COLLISION_STRATEGIES,
    IGNORED_KEYS,
    to_json,
    validate_deploy_config,
)
from acme_scan.check.finding import Finding
from acme_scan.confined import OutsideRootError, read_confined, relative_setting

if TYPE_CHECKING:
    from acme_scan.check.config import CheckConfig
    from acme_scan.models import Flow

logger = logging.getLogger(__name__)

DEFAULT_CONFIG_PATH = ".acme_portal_sdk/static_flow_deploy_config.yaml"
# One definition of the file's format, shared with `acme-scan check`, which validates it.
CONFIG_KEYS = ALLOWED_KEYS
__all__ = ["COLLISION_STRATEGIES", "CONFIG_KEYS", "DeployConfig", "FlowDeployConfig"]
#: The concurrency limit of a flow whose entry does not set one (as in 1.x).
DEFAULT_CONCURRENCY_LIMIT = 1


@dataclass(frozen=True)
class FlowDeployConfig:
    """The settings of one flow; `given` holds the keys its entry set (even to null)."""

    work_pool_name: str | None = None
    work_queue_name: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    cron: str | None = None
    paused: bool = False
    concurrency_limit: int | None = DEFAULT_CONCURRENCY_LIMIT
    collision_strategy: str | None = None
    description: str | None = None
    triggers: dict[str, dict[str, Any]] = field(default_factory=dict)
    given: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DeployConfig:
    """Every entry of a deploy configuration file, by flow name in its `_` form."""

    entries: dict[str, FlowDeployConfig] = field(default_factory=dict)
    path: Path | None = None

    def for_flow(self, flow_name: str) -> FlowDeployConfig:
        """The settings of `flow_name` (either spelling); the defaults when it has no entry."""
        return self.entries.get(to_flow_name(flow_name), FlowDeployConfig())


def default_config_path(root: Path) -> tuple[Path, bool]:
    """Where the deploy configuration of `root` is, and whether it was configured explicitly.

    `[tool.acme-scan] deploy-config` in the root's `pyproject.toml` wins over the default
    `.acme_portal_sdk/static_flow_deploy_config.yaml`. An unreadable `pyproject.toml` is
    ignored here (the scan reports it).
    """
    from acme_scan import AcmeScanError, load_settings

    try:
        configured = load_settings(root).extra.get("deploy-config")
    except AcmeScanError:
        configured = None
    if isinstance(configured, str) and configured:
        problem = relative_setting(configured)
        if problem is not None:
            raise DeployConfigError(
                root / "pyproject.toml", [f"[tool.acme-scan] 'deploy-config' {problem}"]
            )
        return root / configured, True
    return root / DEFAULT_CONFIG_PATH, False


def _entry(value: Mapping[str, Any] | None) -> FlowDeployConfig:
    """The typed settings of one entry the checker found valid."""
    if not value:
        return FlowDeployConfig()
    limit: Any = value.get("concurrency_limit", DEFAULT_CONCURRENCY_LIMIT)
    strategy = None
    if isinstance(limit, Mapping):
        limit, strategy = limit.get("limit"), limit.get("collision_strategy")
    for key in IGNORED_KEYS:
        if key in value:
            logger.debug("ignoring the 1.x key %r (deployment never reads it)", key)
    return FlowDeployConfig(
        work_pool_name=value.get("work_pool_name"),
        work_queue_name=value.get("work_queue_name"),
        parameters=to_json(dict(value.get("parameters") or {}), "parameters"),
        cron=value.get("cron"),
        paused=bool(value.get("paused")),
        concurrency_limit=limit,
        collision_strategy=strategy,
        description=value.get("description"),
        triggers={
            kind: to_json(dict(arguments or {}), kind)
            for kind, arguments in (value.get("triggers") or {}).items()
        },
        given=frozenset(key for key in value if key in CONFIG_KEYS),
    )


def parse_deploy_config(
    text: str,
    path: Path | None = None,
    flows: Sequence[Flow] | None = None,
    *,
    shown: str | None = None,
    config: CheckConfig | None = None,
) -> DeployConfig:
    """Validate the YAML `text` of a deploy configuration and load its entries.

    Validation is `acme-scan check`'s (one validator, the same messages): every problem of
    the file is reported at once, each as `path:line:col: CODE message`, in one
    `DeployConfigError`. `flows`, the project's flows, also refuses entries of unknown flows
    and unknown parameters (None: those are not checked). `shown` is the path the messages
    name (default: `path`); `config` applies the project's `[tool.acme-scan]` rule selection
    and severities, as `check` does. Warnings are logged.
    """
    where = path if path is not None else Path("<deploy config>")
    label = shown if shown is not None else where.as_posix()
    result = validate_deploy_config(text, label, flows)
    findings = result.findings
    if config is not None:
        findings = [
            finding.with_severity(config.severity.get(finding.code, finding.severity))
            for finding in findings
            if finding.code in config.enabled
        ]
    findings.sort(key=Finding.sort_key)
    errors = [finding for finding in findings if finding.severity == "error"]
    for finding in findings:
        if finding.severity != "error":
            logger.warning("%s", finding.concise())
    if errors:
        raise DeployConfigError(where, [finding.concise() for finding in errors])
    entries: dict[str, FlowDeployConfig] = {}
    for name, value in result.entries.items():
        entries[to_flow_name(name)] = _entry(value)
    return DeployConfig(entries=entries, path=path)


def load_deploy_config(
    path: Path | None,
    *,
    required: bool = False,
    confined_to: Path | None = None,
    flows: Sequence[Flow] | None = None,
    root: Path | None = None,
    config: CheckConfig | None = None,
) -> DeployConfig:
    """Load the deploy configuration at `path` (None: no configuration).

    A missing file is an error only when `required` (it was named explicitly). With
    `confined_to` (the path came from the repository, not the command line), the file is
    read only inside that root, never through a link (`acme_scan.confined`). A file the
    user named outside the project is validated, but its values are never shown. `flows`
    and `config` as in `parse_deploy_config`; messages name the path relative to `root`.
    """
    if path is None:
        return DeployConfig()
    try:
        if confined_to is not None:
            text = read_confined(confined_to, path).decode("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
    except OutsideRootError as exc:
        raise DeployConfigError(path, [str(exc)]) from exc
    except FileNotFoundError as exc:
        if required:
            raise DeployConfigError(path, ["the file does not exist"]) from exc
        logger.debug("no deploy configuration at %s: using the defaults", path)
        return DeployConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise DeployConfigError(path, [f"cannot be read: {exc}"]) from exc
    return parse_deploy_config(text, path, flows, shown=_shown(path, root), config=config)


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.absolute().relative_to(root.absolute()).as_posix()
        except ValueError:
            pass
    return path.as_posix()
