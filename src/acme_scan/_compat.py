"""Standard-library names that Python 3.10 lacks, from their backports (3.10 is supported).

- `tomllib`: the standard library's on 3.11+, else `tomli` (the same code, a dependency on
  3.10 only). On 3.10, importing this module also makes `import tomllib` find `tomli`, so a
  module of ours that still writes `import tomllib` works unchanged; it is the same parser.
  On 3.11+ it is imported when first asked for (`from acme_scan._compat import tomllib`):
  most importers only want `Self`, and `tomllib` costs ~3 ms.
- `Self`: `typing.Self` on 3.11+, else `typing_extensions.Self`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if sys.version_info >= (3, 11):
    from typing import Self

    if TYPE_CHECKING:
        import tomllib
else:  # pragma: no cover - exercised by tests/test_python310.py on a 3.10 interpreter
    import tomli as tomllib
    from typing_extensions import Self

    sys.modules.setdefault("tomllib", tomllib)


def __getattr__(name: str) -> Any:
    if name == "tomllib":
        import tomllib

        return tomllib
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Self", "tomllib"]
