"""What the extension receives never expands in `/bin/sh`: the one place strings are made safe.

The extension (v0.0.8) starts its runner with a shell command string in which the keyword
arguments' JSON sits inside double quotes, with only `\\` and `"` escaped. Inside double
quotes `/bin/sh` still expands `$NAME`, `${...}`, `$(...)` and backquoted commands, so any
string the extension sends back (on a refresh: the FlowDetails and DeploymentDetails dicts
the SDK returned, whole) is run by the shell first. `shell_safe` replaces the two characters
that start an expansion, everywhere in a result (keys and values, at any depth), with
visually close characters that are inert in every shell:

| character | becomes | Unicode name |
|---|---|---|
| `` ` `` | U+02CB | MODIFIER LETTER GRAVE ACCENT |
| `$` | U+FF04 | FULLWIDTH DOLLAR SIGN |

`\\` and `"` are left alone: the extension escapes them (`\\\\`, `\\"`), which `/bin/sh`
undoes exactly inside double quotes, so they arrive intact. Newlines and other control
characters never reach the shell raw: JSON writes them as `\\n`, `\\u0000`, ....

The replacement is idempotent, so a value the extension sends back maps to itself; lookups
by such a value (a refreshed flow's `id`, a flow name in `flows_to_deploy`) compare
`shell_safe` forms (`same_text`).
"""

from __future__ import annotations

from typing import Any, TypeVar

#: Each character `/bin/sh` expands inside double quotes, and what replaces it.
REPLACEMENTS = {"`": "\u02cb", "$": "\uff04"}  # escapes: ruff flags the look-alikes

_TABLE = str.maketrans(REPLACEMENTS)
_RAW = tuple(key.encode() for key in REPLACEMENTS)
_SAFE = tuple(value.encode() for value in REPLACEMENTS.values())

_T = TypeVar("_T")


def shell_safe_text(text: str) -> str:
    """`text` with every `` ` `` and `$` replaced (see the table above)."""
    return text.translate(_TABLE) if "$" in text or "`" in text else text


def shell_safe(value: _T) -> _T:
    """A JSON value (what the extension's runner `json.dump`s) with every string made safe.

    Returns `value` itself when no string in it holds a character to replace (the usual
    case, checked on its JSON text in one pass); otherwise a copy. Non-JSON leaves are
    passed through unchanged.
    """
    if not isinstance(value, list | dict) or len(value) < ORJSON_FROM_ITEMS:
        return _small_shell_safe(value)
    import orjson  # ~5 ms to load (`uuid`, `datetime`): for a large result only

    try:
        data = orjson.dumps(value)
    except TypeError:  # not plain JSON for orjson (an int key, a huge int, a custom object)
        return _walk(value)  # type: ignore[no-any-return]
    if not any(raw in data for raw in _RAW):
        return value
    # `$` and `` ` `` never occur in JSON's syntax, only inside strings (keys included), so
    # replacing them in the bytes replaces them in every string, and the JSON stays valid.
    for raw, safe in zip(_RAW, _SAFE, strict=True):
        data = data.replace(raw, safe)
    return orjson.loads(data)  # type: ignore[no-any-return]


#: A result of fewer items than this (a list of a few flows, one deployment's details) is
#: checked with the standard library's `json`, which the extension's runner has loaded
#: anyway: loading orjson costs more than it saves there. A large listing (thousands of
#: flows) is checked with orjson, ~5x faster per byte.
ORJSON_FROM_ITEMS = 256


def _small_shell_safe(value: _T) -> _T:
    import json

    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):  # not plain JSON: an odd key or leaf
        return _walk(value)  # type: ignore[no-any-return]
    if "$" not in text and "`" not in text:
        return value
    return _walk(value)  # type: ignore[no-any-return]


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return shell_safe_text(value)
    if isinstance(value, dict):
        return {_walk(key): _walk(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_walk(item) for item in value)
    return value


def same_text(a: str, b: str) -> bool:
    """Whether `a` and `b` are the same once made shell-safe (`b` may have come back from it)."""
    return a == b or shell_safe_text(a) == shell_safe_text(b)
