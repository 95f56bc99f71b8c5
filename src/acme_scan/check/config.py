"""Which rules run, at which severity, and where the deploy config is.

Read from `[tool.acme-scan]` (keys `select`, `extend-select`, `ignore`, `severity`,
`deploy-config`, passed through by `acme_scan.settings`) and overridden from the command
line. Selectors are `ALL`, a code (`AS201`), a code prefix (`AS3`) or a rule name
(`duplicate-name`):

- `select` replaces the default set (every rule except the opt-in ones);
- `extend-select` adds to it (the way to turn on opt-in rules);
- `ignore` removes from the result, and wins over both;
- `--select` on the command line replaces all three settings, as in ruff (the command
  line's `--extend-select` and `--ignore` still apply);
- `severity` maps a code to `error`, `warning` or `info`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from acme_scan.check.rules import RULES, RULES_BY_CODE, matching
from acme_scan.codes import Severity
from acme_scan.confined import relative_setting
from acme_scan.errors import AcmeScanError, ConfigError
from acme_scan.settings import Settings
from acme_scan.text import shown

DEFAULT_DEPLOY_CONFIG = ".acme_portal_sdk/static_flow_deploy_config.yaml"
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


class SelectionError(AcmeScanError):
    """A rule selector given on the command line matches no rule."""


@dataclass(frozen=True)
class CheckConfig:
    """The resolved rule selection of one check run."""

    enabled: frozenset[str]
    severity: Mapping[str, Severity] = field(default_factory=dict)
    deploy_config: str = DEFAULT_DEPLOY_CONFIG
    deploy_config_explicit: bool = False


@dataclass(frozen=True)
class Overrides:
    """Command-line options that override `[tool.acme-scan]` (None: keep the setting)."""

    select: Sequence[str] | None = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()


def check_config(
    settings: Settings, where: Path, overrides: Overrides | None = None
) -> CheckConfig:
    """Resolve the rule selection; ConfigError names the bad setting (`where` is the file)."""
    extra = settings.extra
    overrides = overrides if overrides is not None else Overrides()
    select = _selectors(extra, "select", where)
    extend = _selectors(extra, "extend-select", where) or []
    ignore = _selectors(extra, "ignore", where) or []
    if overrides.select is not None:
        # ruff's rule: a --select on the command line replaces the configuration's whole
        # selection (`select`, `extend-select` and `ignore`); --extend-select and --ignore
        # on the command line still apply on top.
        if not split_selectors(overrides.select):
            raise SelectionError("--select: no rule given (`--select ALL` runs every rule)")
        select_codes = _option_codes(overrides.select, "--select")
        extend, ignore = [], []
    elif select is not None:
        if not select:
            raise ConfigError(where, "'select' is empty: give rules, or remove it for the default")
        select_codes = _codes(select, "select", where)
    else:
        select_codes = {rule.code for rule in RULES if rule.default}
    enabled = select_codes | _codes(extend, "extend-select", where)
    enabled |= _option_codes(overrides.extend_select, "--extend-select")
    enabled -= _codes(ignore, "ignore", where)
    enabled -= _option_codes(overrides.ignore, "--ignore")
    if not enabled:
        raise SelectionError("no rule is selected (`ignore` removes every selected rule)")

    deploy_config = extra.get("deploy-config", DEFAULT_DEPLOY_CONFIG)
    if not isinstance(deploy_config, str) or not deploy_config:
        raise ConfigError(where, "'deploy-config' must be a non-empty string (a path)")
    problem = relative_setting(deploy_config)
    if problem is not None:
        raise ConfigError(where, f"'deploy-config' {problem}: {shown(deploy_config)}")
    return CheckConfig(
        enabled=frozenset(enabled),
        severity=_severities(extra.get("severity", {}), where),
        deploy_config=deploy_config,
        deploy_config_explicit="deploy-config" in extra,
    )


def _selectors(extra: Mapping[str, Any], key: str, where: Path) -> list[str] | None:
    if key not in extra:
        return None
    value = extra[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(where, f'{key!r} must be a list of rule codes, e.g. ["AS201"]')
    return cast(list[str], value)


def split_selectors(values: Iterable[str]) -> list[str]:
    """Command-line selectors: each value may be a comma-separated list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _option_codes(values: Iterable[str], option: str) -> set[str]:
    codes: set[str] = set()
    for selector in split_selectors(values):
        rules = matching(selector)
        if not rules:
            raise SelectionError(
                f"{option}: no rule matches {selector!r}{_suggestion(selector)} "
                "(see `acme-scan rules`)"
            )
        codes.update(rule.code for rule in rules)
    return codes


def _suggestion(selector: str) -> str:
    """`; did you mean 'duplicate-name'?` for a misspelt rule name (codes are not guessed)."""
    names = [rule.name for rule in RULES]
    close = difflib.get_close_matches(selector.strip().lower().replace("_", "-"), names, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _codes(selectors: Iterable[str] | None, key: str, where: Path) -> set[str]:
    codes: set[str] = set()
    for selector in selectors or ():
        rules = matching(selector)
        if not rules:
            raise ConfigError(
                where,
                f"{key!r}: no rule matches {selector!r}{_suggestion(selector)} "
                "(see `acme-scan rules`)",
            )
        codes.update(rule.code for rule in rules)
    return codes


def _severities(value: object, where: Path) -> dict[str, Severity]:
    if not isinstance(value, dict):
        raise ConfigError(where, "'severity' must be a table, e.g. severity = {AS105 = \"error\"}")
    result: dict[str, Severity] = {}
    for code, severity in value.items():
        upper = str(code).upper()
        if upper not in RULES_BY_CODE:
            raise ConfigError(where, f"'severity': unknown rule code {code!r}")
        if severity not in SEVERITIES:
            raise ConfigError(where, f'\'severity\'.{code}: must be "error", "warning" or "info"')
        result[upper] = cast(Severity, severity)
    return result
