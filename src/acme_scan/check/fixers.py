"""The fixer of each fixable rule code, as `--fix` uses them.

Apart from `fix` (the model of edits the fixers build), so that the fixers import `fix` and
`fix` imports none of them.
"""

from __future__ import annotations

from acme_scan.check.fix import FIXABLE, Fixer


def default_fixers() -> dict[str, Fixer]:
    """The fixer of each code of `FIXABLE` (LibCST is imported only now)."""
    from acme_scan.check import codemods, config_fixes

    fixers: dict[str, Fixer] = {
        "AS101": codemods.fix_positional_name,
        "AS102": codemods.fix_invalid_name,
        "AS106": codemods.fix_unknown_keyword,
        "AS301": config_fixes.fix_misread_value,
        "AS303": config_fixes.fix_unknown_key,
        "AS307": config_fixes.fix_ignored_key,
    }
    assert set(fixers) == FIXABLE
    return fixers
