"""Keyword arguments the extension always sends, fitted to what a user's `run` accepts."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

#: Keyword arguments newer extensions send that workflows written for older SDKs may not take.
OPTIONAL_KEYWORDS = frozenset({"additional_context"})


def fit_keywords(func: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Drop the `OPTIONAL_KEYWORDS` that `func` cannot accept; keep every other argument.

    A `run` taking `**kwargs` or naming the keyword receives it unchanged. Any other unknown
    keyword is left in place so that a real mistake still raises `TypeError`.
    """
    present = OPTIONAL_KEYWORDS.intersection(kwargs)
    if not present:
        return kwargs
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # no introspectable signature: pass everything through
        return kwargs
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return kwargs
    accepted = {
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    dropped = present - accepted
    return {key: value for key, value in kwargs.items() if key not in dropped}
