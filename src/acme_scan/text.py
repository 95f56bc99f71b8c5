"""Values from files, shown in messages: short, on one line, never a whole secret.

A message may quote what a file says (`got 'x'`), but files are input: a value is shown
with `repr` (so control characters and newlines are escaped) and cut to `MAX_SHOWN`
characters, so a finding never echoes a credential or a whole document into a CI log.
"""

from __future__ import annotations

#: The longest quoted value a message holds (longer ones end with an ellipsis).
MAX_SHOWN = 60


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """`repr(value)`, cut to `limit` characters (`…` marks a cut)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
