"""Validate cron expressions as Prefect's `CronSchedule` accepts them, five fields.

Prefect validates with croniter; this accepts the same five-field syntax without the
dependency: `*`, numbers, names (JAN-DEC, SUN-SAT, any case), ranges `a-b` (a reversed
range wraps around, as in croniter), steps `/n` (n >= 1) on `*`, a value or a range, comma
lists, `?` alone in a day field, `L` in the day of month (alone or ending a range), `DAY#n`
(n in 1-5) and `Ln` in the day of week (not mixed with plain days), and the aliases
`@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`. Six- and
seven-field forms (seconds, years) and random/hashed expressions (`R`, `H`) are rejected.

Deliberately stricter than croniter in two corners: `0` is not a day of month or a month even
as a range bound (croniter checks only the upper bound), and `#`/`L` days are never mixed with
plain days (croniter tolerates it when they name the same day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from acme_scan.text import shown

ALIASES = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
DAYS = {
    name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
}

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        if self.names:
            first, last = next(iter(self.names)), list(self.names)[-1]
            return f"{self.low}-{self.high} or {first.upper()}-{last.upper()}"
        return f"{self.low}-{self.high}"


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, MONTHS),
    _Field("day-of-week", 0, 7, DAYS),
)
_DAY_OF_MONTH, _DAY_OF_WEEK = 2, 4


class _Invalid(Exception):
    pass


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a valid cron expression, or None when it is."""
    text = expression.strip()
    if text.lower() in ALIASES:
        return None
    if text.startswith("@"):
        return f"unknown alias {shown(text)} (known: {', '.join(sorted(ALIASES))})"
    parts = text.split()
    if len(parts) != len(_FIELDS):
        return f"{len(parts)} fields, expected 5 (minute hour day-of-month month day-of-week)"
    try:
        for index, (part, spec) in enumerate(zip(parts, _FIELDS, strict=True)):
            _check_field(part, spec, index)
    except _Invalid as exc:
        return str(exc)
    return None


def _check_field(text: str, spec: _Field, index: int) -> None:
    if text == "?":
        if index in (_DAY_OF_MONTH, _DAY_OF_WEEK):
            return
        raise _Invalid(f"{spec.name}: `?` is only allowed in the day-of-month and day-of-week")
    nth = plain = False
    for item in text.split(","):
        if not item:
            raise _Invalid(f"{spec.name}: empty item in list {shown(text)}")
        if index == _DAY_OF_WEEK and _nth_weekday(item, spec):
            nth = True
            continue
        if index == _DAY_OF_MONTH and item.lower() == "l":
            continue
        _check_item(item, spec)
        plain = True
    if nth and plain:
        raise _Invalid(f"{spec.name}: `#`/`L` days cannot be mixed with plain days ({shown(text)})")


def _nth_weekday(item: str, spec: _Field) -> bool:
    """`DAY#n` or `Ln` (last DAY of the month): True when valid, False when not this form."""
    lowered = item.lower()
    if "#" in lowered:
        day, _, nth = lowered.partition("#")
        _value(day, spec, item)
        if not _DIGITS.fullmatch(nth) or not 1 <= int(nth) <= 5:
            raise _Invalid(f"{spec.name}: in {shown(item)}, the occurrence after `#` must be 1-5")
        return True
    if lowered.startswith("l") and len(lowered) > 1 and _DIGITS.fullmatch(lowered[1:]):
        _value(lowered[1:], spec, item)
        return True
    return False


def _check_item(item: str, spec: _Field) -> None:
    base, slash, step = item.partition("/")
    if slash:
        if not _DIGITS.fullmatch(step):
            raise _Invalid(f"{spec.name}: step {shown(step)} in {shown(item)} is not a number")
        if int(step) < 1:
            raise _Invalid(f"{spec.name}: step in {shown(item)} must be at least 1")
    if base == "*":
        return
    low, dash, high = base.partition("-")
    _value(low, spec, item)
    if dash and not (spec.name == "day-of-month" and high.lower() == "l"):
        _value(high, spec, item)


def _value(text: str, spec: _Field, item: str) -> int:
    lowered = text.lower()
    if _DIGITS.fullmatch(lowered):
        number = int(lowered)
        if not spec.low <= number <= spec.high:
            raise _Invalid(f"{spec.name}: {_shown(text, item)} is out of range ({spec.describe()})")
        return number
    if lowered in spec.names:
        return spec.names[lowered]
    raise _Invalid(f"{spec.name}: {_shown(text, item)} is not a value ({spec.describe()})")


def _shown(text: str, item: str) -> str:
    return shown(text) if text == item else f"{shown(text)} in {shown(item)}"
