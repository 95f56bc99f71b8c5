"""BLAKE2b without OpenSSL.

`hashlib.blake2b` is CPython's own `_blake2.blake2b` (OpenSSL's is never used for it), so it
is imported from there: `import hashlib` loads OpenSSL (3 ms at every start), which a warm
scan never needs. SHA-256, which OpenSSL accelerates, imports `hashlib` where an index is
hashed (`index.store.digest`).
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter without CPython's module
    from hashlib import blake2b

__all__ = ["blake2b"]
