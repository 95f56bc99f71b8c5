"""Cron validation, also compared with the croniter Prefect vendors (when installed)."""

from __future__ import annotations

import importlib.util
import random
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from acme_scan.check.cron import cron_problem

VALID = [
    "* * * * *",
    "0 12 * * 1-5",
    "*/5 * * * *",
    "5/10 * * * *",
    "0 0 1,15 * *",
    "0 0 1-31/2 * *",
    "0 9-17/2 * * MON-FRI",
    "0 0 1 jan,Jul *",
    "0 0 * DEC-JAN *",  # reversed ranges wrap around, as in croniter
    "0 0 * * 7",
    "0 0 * * sun-sat",
    "0 0 L * *",
    "0 0 15-L * *",
    "0 0 ? * 1",
    "0 0 * * MON#2",
    "0 0 * * 5#3,1#1",
    "0 0 * * L5",
    "00 00 * * *",
    "  0\t0 * * *  ",
    "@daily",
    "@HOURLY",
    "@annually",
]
INVALID = [
    ("", "0 fields, expected 5"),
    ("* * * *", "4 fields, expected 5"),
    ("* * * * * *", "6 fields, expected 5"),
    ("60 * * * *", "minute: '60' is out of range (0-59)"),
    ("* 24 * * *", "hour: '24' is out of range (0-23)"),
    ("* * 0 * *", "day-of-month: '0' is out of range (1-31)"),
    ("* * 32 * *", "day-of-month: '32' is out of range"),
    ("* * * 13 *", "month: '13' is out of range (1-12 or JAN-DEC)"),
    ("* * * * 8", "day-of-week: '8' is out of range (0-7 or SUN-SAT)"),
    ("* * * * MONDAY", "day-of-week: 'MONDAY' is not a value"),
    ("* * * foo *", "month: 'foo' is not a value"),
    ("*/0 * * * *", "minute: step in '*/0' must be at least 1"),
    ("*/x * * * *", "minute: step 'x' in '*/x' is not a number"),
    ("1-2-3 * * * *", "minute: '2-3' in '1-2-3' is not a value"),
    ("1,,2 * * * *", "minute: empty item in list '1,,2'"),
    ("? * * * *", "minute: `?` is only allowed"),
    ("* * * * 1#6", "the occurrence after `#` must be 1-5"),
    ("* * * * 1,2#1", "cannot be mixed with plain days"),
    ("H * * * *", "minute: 'H' is not a value"),
    ("-1 * * * *", "minute: '' in '-1' is not a value"),
    ("@reboot", "unknown alias '@reboot'"),
]


@pytest.mark.parametrize("expression", VALID)
def test_valid(expression: str) -> None:
    assert cron_problem(expression) is None


@pytest.mark.parametrize(("expression", "problem"), INVALID)
def test_invalid(expression: str, problem: str) -> None:
    found = cron_problem(expression)
    assert found is not None
    assert problem in found


def _vendored_croniter() -> Any:
    """Prefect's vendored croniter, loaded on its own (importing prefect takes seconds)."""
    spec = importlib.util.find_spec("prefect")
    if spec is None or spec.origin is None:
        pytest.skip("prefect is not installed")
    path = Path(spec.origin).parent / "_vendor" / "croniter" / "croniter.py"
    if not path.is_file():
        pytest.skip("this prefect does not vendor croniter")
    module_spec = importlib.util.spec_from_file_location("_acme_croniter_oracle", path)
    assert module_spec is not None
    assert module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module_spec.loader.exec_module(module)
    return module.croniter


# The deliberate differences (see acme_scan.check.cron): 0 as a day-of-month or month range
# bound, and `#`/`L` days mixed with plain ones, which croniter lets through.
_ZERO_BOUND = re.compile(r"(^|[,-])0+($|[-/,])")


def _deliberate(expression: str) -> bool:
    fields = expression.split()
    day_or_month = any(_ZERO_BOUND.search(field) for field in (fields[2], fields[3]))
    items = fields[4].split(",")
    special = [i for i in items if "#" in i or (i[:1] in "Ll" and i[1:].isdigit() and i[1:])]
    return day_or_month or (bool(special) and len(special) < len(items))


def test_agrees_with_prefects_croniter() -> None:
    croniter = _vendored_croniter()
    rng = random.Random(7)
    atoms = ["*", "?", "0", "1", "5", "7", "12", "23", "24", "31", "32", "59", "60", "L"]
    atoms += ["jan", "DEC", "mon", "Fri", "sun", "x", "", "00"]

    def item() -> str:
        roll, atom = rng.random(), rng.choice(atoms)
        if roll < 0.3:
            return atom
        if roll < 0.5:
            return f"{atom}-{rng.choice(atoms)}"
        if roll < 0.65:
            return f"{atom}/{rng.choice(['0', '1', '2', '15', 'x', ''])}"
        if roll < 0.75:
            return f"{atom}-{rng.choice(atoms)}/{rng.choice(['0', '1', '3'])}"
        if roll < 0.85:
            return f"{atom}#{rng.choice(['0', '1', '5', '6', 'x'])}"
        return f"L{rng.choice(['0', '5', '7', '8', ''])}"

    disagreements = []
    for _ in range(5000):
        fields = ["*"] * 5
        for _ in range(rng.choice([1, 2])):
            fields[rng.randrange(5)] = ",".join(item() for _ in range(rng.choice([1, 1, 2, 3])))
        expression = " ".join(fields)
        try:
            theirs = bool(croniter.is_valid(expression))
        except Exception:
            theirs = False
        ours = cron_problem(expression) is None
        if theirs != ours and not (theirs and _deliberate(expression)):
            disagreements.append((expression, theirs, ours))
    assert disagreements == []
