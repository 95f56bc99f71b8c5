"""Scan settings: defaults overridden by `[tool.acme-scan]` in the root's `pyproject.toml`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acme_scan._hashes import blake2b
from acme_scan._records import FrozenRecord, _set
from acme_scan.confined import relative_setting
from acme_scan.errors import ConfigError
from acme_scan.globs import check_patterns
from acme_scan.text import shown

DEFAULT_INDEX = ".acme_scan/index.json"
#: The orchestrators acme-scan recognises (one recogniser each, `acme_scan.scanner.core`).
FRAMEWORKS: tuple[str, ...] = ("airflow", "prefect")


class Settings(FrozenRecord):
    """How a project is scanned.

    - `include`: gitignore-style patterns; when non-empty, only matching files are scanned.
    - `exclude`: gitignore-style patterns excluded on top of the built-in defaults.
    - `respect_gitignore`: honour `.gitignore` files (git's own view inside a work tree).
    - `prefilter`: skip parsing files that cannot reference Prefect or Airflow (see
      `acme_scan.scanner.could_define_flows`); turning it off parses every file.
    - `frameworks`: what is looked for: `prefect` flows, `airflow` DAGs (both by default).
    - `index`: where the index file lives, relative to the root (and inside it: see
      `acme_scan.confined`).
    """

    __slots__ = (
        "exclude",
        "extra",
        "frameworks",
        "include",
        "index",
        "prefilter",
        "respect_gitignore",
    )
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    respect_gitignore: bool
    prefilter: bool
    frameworks: tuple[str, ...]
    index: str
    #: The keys of other tools' tables (`acme-scan check`'s), not compared.
    extra: dict[str, Any]
    _compare = ("include", "exclude", "respect_gitignore", "prefilter", "frameworks", "index")

    def __init__(
        self,
        include: tuple[str, ...] = (),
        exclude: tuple[str, ...] = (),
        respect_gitignore: bool = True,
        prefilter: bool = True,
        frameworks: tuple[str, ...] = FRAMEWORKS,
        index: str = DEFAULT_INDEX,
        extra: dict[str, Any] | None = None,
    ) -> None:
        _set(self, "include", include)
        _set(self, "exclude", exclude)
        _set(self, "respect_gitignore", respect_gitignore)
        _set(self, "prefilter", prefilter)
        _set(self, "frameworks", frameworks)
        _set(self, "index", index)
        _set(self, "extra", {} if extra is None else extra)

    def digest(self) -> str:
        """A digest of what changes scan results (an index built otherwise is not reused)."""
        # Every compared field but where the index lives (`extra` is not compared): a field
        # added later changes the digest without being listed here.
        data = {name: getattr(self, name) for name in self._compare if name != "index"}
        return blake2b(canonical_json(data), digest_size=8).hexdigest()


def canonical_json(data: Any) -> bytes:
    """`orjson.dumps(data, option=orjson.OPT_SORT_KEYS)`, byte for byte, for data of strings,
    booleans, integers, None, lists, tuples and dicts with string keys (what settings hold),
    with the standard library: loading orjson costs ~11 ms, which a warm scan that writes
    nothing would pay for this alone (a test holds the two equal)."""
    import json  # ~1.4 ms (the state file is read with it too)

    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(
        "utf-8",
        "surrogatepass",  # a name from a non-UTF-8 command line: hashed, not refused
    )


_KEYS = {
    "include": "include",
    "exclude": "exclude",
    "respect-gitignore": "respect_gitignore",
    "prefilter": "prefilter",
    "frameworks": "frameworks",
    "index": "index",
}
#: Keys `acme-scan check` owns (validated by `acme_scan.check.config`); kept in `extra`.
_FOREIGN = frozenset({"select", "extend-select", "ignore", "severity", "deploy-config"})


def unknown_key_message(key: str) -> str:
    """`unknown key 'x'`, with the closest known key and every key of `[tool.acme-scan]`."""
    known = sorted({*_KEYS, *_FOREIGN})
    import difflib

    close = difflib.get_close_matches(key, known, n=1) or difflib.get_close_matches(
        key.replace("_", "-"), known, n=1
    )
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {key!r} in [tool.acme-scan]{hint} (known: {', '.join(known)})"


def load_settings(root: Path) -> Settings:
    """Read `[tool.acme-scan]` from `root/pyproject.toml`; defaults when absent."""
    pyproject = root / "pyproject.toml"
    try:
        raw = pyproject.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise ConfigError(pyproject, f"cannot read: {exc.strerror or exc}") from exc
    import tomllib  # only for a project that has a pyproject.toml (3 ms at start)

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(pyproject, f"not valid TOML: {exc}") from exc
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(pyproject, f"`tool` must be a table, not {shown(tool)}")
    section = tool.get("acme-scan", {})
    if not isinstance(section, dict):
        raise ConfigError(pyproject, "must be a table")
    return settings_from_mapping(section, pyproject)


def settings_from_mapping(section: dict[str, Any], where: Path) -> Settings:
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in section.items():
        if key in _FOREIGN:
            extra[key] = value
            continue
        if key not in _KEYS:
            raise ConfigError(where, unknown_key_message(key))
        attribute = _KEYS[key]
        if attribute in ("include", "exclude"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(where, f"{key!r} must be a list of strings")
            problem = check_patterns(value)
            if problem is not None:
                raise ConfigError(where, f"{key!r}: {problem}")
            values[attribute] = tuple(value)
        elif attribute == "frameworks":
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, str) and v in FRAMEWORKS for v in value)
            ):
                raise ConfigError(
                    where,
                    f"{key!r} must be a non-empty list of {', '.join(map(repr, FRAMEWORKS))}",
                )
            values[attribute] = tuple(sorted(set(value)))
        elif attribute in ("respect_gitignore", "prefilter"):
            if not isinstance(value, bool):
                raise ConfigError(where, f"{key!r} must be true or false")
            values[attribute] = value
        else:
            if not isinstance(value, str) or not value:
                raise ConfigError(where, f"{key!r} must be a non-empty string")
            problem = relative_setting(value)
            if problem is not None:
                raise ConfigError(where, f"{key!r} {problem}: {shown(value)}")
            values[attribute] = value
    return Settings(**values, extra=extra)
