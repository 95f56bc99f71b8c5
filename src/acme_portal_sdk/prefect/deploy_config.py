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
explicitly must exist. Loading validates every entry and reports every problem at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from acme_portal_sdk.errors import DeployConfigError
from acme_portal_sdk.prefect.naming import to_flow_name
from acme_scan.check.deploy_config import ALLOWED_KEYS, IGNORED_KEYS, TRIGGER_TYPES
from acme_scan.confined import OutsideRootError, read_confined, relative_setting

logger = logging.getLogger(__name__)

DEFAULT_CONFIG_PATH = ".acme_portal_sdk/static_flow_deploy_config.yaml"
# One definition of the file's format, shared with `acme-scan check`, which validates it.
CONFIG_KEYS = ALLOWED_KEYS
COLLISION_STRATEGIES = ("ENQUEUE", "CANCEL_NEW")
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


def jsonable(value: Any, where: str, problems: list[str]) -> Any:
    """`value` as JSON data: YAML dates become ISO strings; other types are problems."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(f"{where}: {value!r} is not a JSON number")
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [jsonable(item, f"{where}[{i}]", problems) for i, item in enumerate(value)]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(f"{where}: key {key!r} is not a string")
                continue
            result[key] = jsonable(item, f"{where}.{key}", problems)
        return result
    problems.append(f"{where}: {type(value).__name__} values cannot be sent to Prefect")
    return None


def _optional_str(entry: Mapping[str, Any], key: str, where: str, problems: list[str]) -> Any:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        problems.append(f"{where}.{key}: expected a string, got {type(value).__name__}")
        return None
    return value


def _concurrency(value: Any, where: str, problems: list[str]) -> tuple[int | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value, None
    if isinstance(value, Mapping):
        limit = value.get("limit")
        strategy = value.get("collision_strategy")
        unknown = sorted(set(value) - {"limit", "collision_strategy"})
        if unknown:
            problems.append(f"{where}.concurrency_limit: unknown key(s) {', '.join(unknown)}")
        if not (isinstance(limit, int) and not isinstance(limit, bool) and limit > 0):
            problems.append(f"{where}.concurrency_limit.limit: expected a positive integer")
            limit = None
        if strategy is not None and strategy not in COLLISION_STRATEGIES:
            problems.append(
                f"{where}.concurrency_limit.collision_strategy: expected one of "
                f"{', '.join(COLLISION_STRATEGIES)}, got {strategy!r}"
            )
            strategy = None
        return limit, strategy
    problems.append(
        f"{where}.concurrency_limit: expected a positive integer or a mapping with `limit`, "
        f"got {value!r}"
    )
    return None, None


def _triggers(value: Any, where: str, problems: list[str]) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where}.triggers: expected a mapping of trigger type to arguments")
        return {}
    triggers: dict[str, dict[str, Any]] = {}
    for kind, arguments in value.items():
        if kind not in TRIGGER_TYPES:
            problems.append(
                f"{where}.triggers: unknown trigger type {kind!r} (expected one of "
                f"{', '.join(TRIGGER_TYPES)})"
            )
            continue
        if arguments is not None and not isinstance(arguments, Mapping):
            problems.append(f"{where}.triggers.{kind}: expected a mapping of arguments")
            continue
        triggers[kind] = jsonable(dict(arguments or {}), f"{where}.triggers.{kind}", problems)
    return triggers


def parse_entry(name: str, entry: Any, problems: list[str]) -> FlowDeployConfig:
    """Validate one flow's entry; problems are appended to `problems`."""
    where = str(name)
    if entry is None:
        return FlowDeployConfig()
    if not isinstance(entry, Mapping):
        problems.append(f"{where}: expected a mapping of settings, got {type(entry).__name__}")
        return FlowDeployConfig()
    for key in entry:
        if key in IGNORED_KEYS:
            logger.warning("%s.%s: ignored (deployment never reads this key)", where, key)
        elif key not in CONFIG_KEYS:
            problems.append(f"{where}: unknown key {key!r} (allowed: {', '.join(CONFIG_KEYS)})")
    pool = entry.get("work_pool_name")
    if "work_pool_name" in entry and (not isinstance(pool, str) or not pool.strip()):
        problems.append(f"{where}.work_pool_name: expected a non-empty string, got {pool!r}")
        pool = None
    parameters = entry.get("parameters")
    if parameters is not None and not isinstance(parameters, Mapping):
        problems.append(f"{where}.parameters: expected a mapping of parameter names to values")
        parameters = None
    paused = entry.get("paused")
    if paused is not None and not isinstance(paused, bool):
        problems.append(f"{where}.paused: expected true or false, got {paused!r}")
        paused = None
    limit, strategy = (
        _concurrency(entry["concurrency_limit"], where, problems)
        if "concurrency_limit" in entry
        else (DEFAULT_CONCURRENCY_LIMIT, None)
    )
    return FlowDeployConfig(
        work_pool_name=pool,
        work_queue_name=_optional_str(entry, "work_queue_name", where, problems),
        parameters=jsonable(dict(parameters or {}), f"{where}.parameters", problems),
        cron=_optional_str(entry, "cron", where, problems),
        paused=bool(paused),
        concurrency_limit=limit,
        collision_strategy=strategy,
        description=_optional_str(entry, "description", where, problems),
        triggers=_triggers(entry.get("triggers"), where, problems),
        given=frozenset(k for k in entry if k in CONFIG_KEYS),
    )


def parse_deploy_config(text: str, path: Path | None = None) -> DeployConfig:
    """Parse and validate the YAML `text` of a deploy configuration (`path` for messages)."""
    where = path if path is not None else Path("<deploy config>")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DeployConfigError(where, [f"not valid YAML: {exc}"]) from exc
    if data is None:
        return DeployConfig(path=path)
    if not isinstance(data, Mapping):
        raise DeployConfigError(
            where, [f"expected a mapping of flow names to settings, got {type(data).__name__}"]
        )
    problems: list[str] = []
    entries: dict[str, FlowDeployConfig] = {}
    spelled: dict[str, str] = {}
    for name, entry in data.items():
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{name!r}: flow names must be non-empty strings")
            continue
        key = to_flow_name(name)
        if key in spelled:
            problems.append(f"{name}: the same flow as {spelled[key]} (- and _ are the same)")
            continue
        spelled[key] = name
        entries[key] = parse_entry(name, entry, problems)
    if problems:
        raise DeployConfigError(where, problems)
    return DeployConfig(entries=entries, path=path)


def load_deploy_config(
    path: Path | None, *, required: bool = False, confined_to: Path | None = None
) -> DeployConfig:
    """Load the deploy configuration at `path` (None: no configuration).

    A missing file is an error only when `required` (it was named explicitly). With
    `confined_to` (the path came from the repository, not the command line), the file is
    read only inside that root, never through a link (`acme_scan.confined`). A file the
    user named outside the project is validated, but its values are never shown.
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
    return parse_deploy_config(text, path)
