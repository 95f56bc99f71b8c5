"""The wheel's build hook: compiles the scanner core (`src/acme_scan/scanner/`) with mypyc.

The analysis is plain typed Python; mypyc compiles it to a C extension module per module,
which runs the same code 15-20 % faster (see the README's Performance section). The Python
sources stay in the wheel, and everything else in the package stays pure Python.

`ACME_SCAN_COMPILE` chooses:

- unset or `auto` (the default): compile when building a wheel (not an editable install); if
  compiling fails (no C compiler, say), warn and build the pure wheel, which behaves the same;
- `1`: compile, and fail the build if compiling fails (releases and the test of the compiled
  build use this);
- `0`: never compile.

An editable install (`uv sync`, `pip install -e`) is never compiled: its `.py` files are
what runs, so an edit is never shadowed by a stale extension module. The compiler runs in a
temporary folder on a copy of `src/acme_scan`, with no configuration file of its own, so
neither mypy nor setuptools reads this project's `pyproject.toml`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: The mypy (and mypyc) the scanner is known to compile with: the dev lock's.
MYPY = "mypy==2.4.1"
SETUPTOOLS = "setuptools>=70"
#: Scanner modules left as Python: the package itself, and the LibCST lowering (used only
#: for syntax newer than the running interpreter, and typed against LibCST's classes).
PURE = frozenset({"__init__.py", "_lower.py"})

_SETUP = """\
import sys
from mypyc.build import mypycify
from setuptools import setup

modules = sys.argv[sys.argv.index("--") + 1 :]
del sys.argv[sys.argv.index("--") :]
setup(
    name="acme-scan-compiled",
    ext_modules=mypycify(
        ["--config-file", "mypy.ini", "--ignore-missing-imports", *modules], opt_level="3"
    ),
)
"""


def compile_setting() -> str:
    """`auto`, `1` or `0`: what `ACME_SCAN_COMPILE` asks for."""
    value = os.environ.get("ACME_SCAN_COMPILE", "auto").strip().lower()
    if value in {"", "auto"}:
        return "auto"
    if value in {"0", "false", "no", "off"}:
        return "0"
    if value in {"1", "true", "yes", "on"}:
        return "1"
    raise ValueError(f"ACME_SCAN_COMPILE={value!r}: use auto, 1 or 0")


def scanner_modules(root: Path) -> list[str]:
    """The scanner's modules mypyc compiles, as paths relative to `root`, sorted."""
    folder = root / "src" / "acme_scan" / "scanner"
    return sorted(
        path.relative_to(root).as_posix() for path in folder.glob("*.py") if path.name not in PURE
    )


def compile_scanner(root: Path, work: Path) -> list[Path]:
    """Compiles the scanner's modules in `work`; the extension modules built, below
    `work / "out"` (each one's path there is its path in the wheel)."""
    shutil.copytree(root / "src" / "acme_scan", work / "src" / "acme_scan")
    (work / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    (work / "setup.py").write_text(_SETUP, encoding="utf-8")
    modules = scanner_modules(root)
    command = [sys.executable, "setup.py", "build_ext", "--build-lib", "out"]
    command += ["--build-temp", "tmp", "--parallel", str(os.cpu_count() or 1), "--", *modules]
    env = {**os.environ, "MYPYPATH": str(work / "src")}
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-4000:]
        raise RuntimeError(f"mypyc failed (exit {done.returncode}), its output ends:\n{output}")
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    built = sorted((work / "out").rglob(f"*{suffix}"))
    expected = {Path(module).relative_to("src").with_suffix(suffix) for module in modules}
    missing = expected - {path.relative_to(work / "out") for path in built}
    if missing:
        raise RuntimeError(f"mypyc built no {sorted(map(str, missing))}")
    return built


class CompiledScannerHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the compiled scanner to a (non-editable) wheel."""

    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        return [] if compile_setting() == "0" else [MYPY, SETUPTOOLS]

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        setting = compile_setting()
        if self.target_name != "wheel" or version == "editable" or setting == "0":
            return
        self._work = Path(tempfile.mkdtemp(prefix="acme-scan-mypyc-"))
        try:
            built = compile_scanner(Path(self.root), self._work)
        except Exception as error:
            if setting == "1":
                raise
            self.app.display_warning(
                f"acme-scan: the scanner was not compiled, the wheel is pure Python "
                f"(ACME_SCAN_COMPILE=0 skips trying): {error}"
            )
            return
        out = self._work / "out"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(out).as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
