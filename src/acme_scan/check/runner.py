"""Run every selected rule over a project and keep what concerns the given paths.

The whole project is always scanned (through the incremental index, so unchanged files are
not read again), because cross-file rules need every flow even when only a few files
changed; PATHS only select which findings are reported.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from acme_scan import _exit, _log
from acme_scan.check import rules
from acme_scan.check.baseline import committed_flows
from acme_scan.check.config import CheckConfig, Overrides, check_config
from acme_scan.check.finding import Finding, Location
from acme_scan.check.flows import check_flows, normalise
from acme_scan.check.suppression import apply_suppressions
from acme_scan.confined import OutsideRootError, is_inside, read_confined
from acme_scan.errors import AcmeScanError, ConfigError
from acme_scan.gitcmd import git_command, git_executable, safe_env
from acme_scan.index.project import Indexer
from acme_scan.index.store import write_raw
from acme_scan.index.views import FlowLike, FlowView
from acme_scan.root import ProjectPathsError, project_root
from acme_scan.settings import load_settings
from acme_scan.text import shown

logger = _log.get(__name__)


class PathError(AcmeScanError):
    """A PATH given to check does not exist."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path}: no such file or directory")


@dataclass
class CheckResult:
    """What a check found (already filtered by PATHS, selection and suppressions)."""

    root: Path
    findings: list[Finding]
    suppressed: int = 0
    files: int = 0
    flows: int = 0
    seconds: float = 0.0
    index_path: Path | None = None
    index_written: bool = False
    deploy_config: str | None = None
    paths: list[str] | None = None
    flow_names: frozenset[str] = frozenset()

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)


def run_check(
    root: str | os.PathLike[str] | None = None,
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    overrides: Overrides | None = None,
    write: bool = True,
) -> CheckResult:
    """Check a project; report only findings touching `paths` when given.

    The project is `root` when given, else the one `acme_scan.root.project_root` finds for
    `paths` (for the current directory without paths). `paths` are relative to the current
    directory (as pre-commit passes them); missing ones raise `PathError`, paths outside the
    root or in different projects `ProjectPathsError`. With `write`, the index file is
    brought up to date unless git tracks it (the check never modifies tracked files).
    """
    started = time.perf_counter()
    for given in paths or ():
        if not Path(given).exists() and not Path(given).is_symlink():
            raise PathError(str(given))
    root_path = project_root(paths or (), root)
    selected = None if paths is None else relative_paths(root_path, paths)
    settings = load_settings(root_path)
    config = check_config(settings, root_path / "pyproject.toml", overrides)
    index_path = root_path / settings.index

    indexer = Indexer(root_path, settings=settings)
    scan = indexer.scan(write=False)
    # The index's data as read (and checked) or just built: views, not validated models.
    data = scan.data
    flows = [FlowView(flow) for flow in data["flows"]]
    findings = [
        Finding.from_diagnostic(diagnostic)
        for diagnostic in data["diagnostics"]
        if diagnostic["code"] in config.enabled
    ]
    findings += check_flows(flows, config.enabled)
    deploy_config = _deploy_config(root_path, config)
    if deploy_config is not None:
        findings += _deploy_config_findings(root_path, deploy_config, flows, config, selected)

    findings = [_with_severity(finding, config) for finding in findings]
    if selected is not None:
        findings = [finding for finding in findings if finding.touches(selected)]
    findings, suppressed = apply_suppressions(
        root_path, sorted(set(findings), key=Finding.sort_key)
    )

    written = False
    if write and not indexer.on_disk:  # else the index and its state are as they should be
        raw = scan.to_bytes()
        written = _write_index(root_path, raw, index_path)
        if written or _holds(root_path, index_path, raw):
            indexer.write_state()  # the next run trusts the index (and skips reading files)
    # The index's data (a million objects on a large project): freed by the command
    # line's exit, not one object at a time as this function returns (`_exit`).
    _exit.leave(indexer, scan, data, flows)
    return CheckResult(
        root=root_path,
        findings=findings,
        suppressed=suppressed,
        files=scan.stats.files,
        flows=len(flows),
        seconds=time.perf_counter() - started,
        index_path=index_path,
        index_written=written,
        deploy_config=deploy_config,
        paths=selected,
        flow_names=frozenset(flow.name for flow in flows if flow.name is not None),
    )


def relative_paths(root: Path, paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """POSIX paths relative to `root` (`""` for the root itself); an outside path is an error."""
    result: list[str] = []
    for given in paths:
        path = Path(given)
        if not path.exists() and not path.is_symlink():
            raise PathError(str(given))
        absolute = Path(os.path.abspath(path))
        try:
            relative = absolute.relative_to(root)
        except ValueError:
            try:
                relative = absolute.resolve().relative_to(root)
            except ValueError:
                raise ProjectPathsError(
                    f"outside the project root {root}: {shown(str(given))}"
                ) from None
        result.append("" if relative == Path() else relative.as_posix())
    return result


def _with_severity(finding: Finding, config: CheckConfig) -> Finding:
    return finding.with_severity(config.severity.get(finding.code, finding.severity))


def _deploy_config(root: Path, config: CheckConfig) -> str | None:
    """The deploy config's root-relative path when it exists (missing and set: an error)."""
    if not any(code.startswith("AS3") for code in config.enabled):
        return None
    path = root / config.deploy_config
    if not is_inside(root, path):
        raise OutsideRootError(
            path,
            "'deploy-config' leads out of the project root through a link: refusing to read it",
        )
    if path.is_file():
        return Path(os.path.relpath(path, root)).as_posix()
    if config.deploy_config_explicit:
        raise ConfigError(
            root / "pyproject.toml", f"'deploy-config': no such file: {config.deploy_config}"
        )
    return None


def _deploy_config_findings(
    root: Path,
    rel: str,
    flows: Sequence[FlowLike],
    config: CheckConfig,
    selected: list[str] | None,
) -> list[Finding]:
    try:
        data = read_confined(root, root / rel)
    except OSError as exc:
        return [
            Finding(
                rel,
                0,
                0,
                rules.CONFIG_INVALID.code,
                rules.CONFIG_INVALID.severity,
                f"cannot read the deploy config: {exc.strerror or exc}",
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [
            Finding(
                rel,
                0,
                0,
                rules.CONFIG_INVALID.code,
                rules.CONFIG_INVALID.severity,
                f"the deploy config is not UTF-8 ({exc.reason} at byte {exc.start})",
            )
        ]
    history = None
    if selected is not None and rel not in selected:
        history = _History(root, selected)
    from acme_scan.check.deploy_config import check_deploy_config  # PyYAML: 15 ms at start

    return [
        finding
        for finding in check_deploy_config(
            text, rel, [flow for flow in flows if flow.framework == "prefect"], history
        )
        if finding.code in config.enabled
    ]


class _History:
    """Where the committed version of the selected files defined a flow name (lazily read)."""

    def __init__(self, root: Path, selected: list[str]) -> None:
        self.root = root
        self.selected = selected
        self.names: dict[str, list[Location]] | None = None

    def __call__(self, name: str) -> list[Location]:
        if self.names is None:
            self.names = {}
            for flow in committed_flows(self.root, self.selected):
                if flow.name is not None:
                    location = Location(flow.path, flow.line, flow.column)
                    self.names.setdefault(normalise(flow.name), []).append(location)
        return self.names.get(name, [])


def _write_index(root: Path, data: bytes, path: Path) -> bool:
    if _tracked(root, path):
        logger.info("not writing %s: git tracks it (use `acme-scan scan` to refresh it)", path)
        return False
    try:
        return write_raw(data, path, root, durable=False)
    except OutsideRootError:
        raise
    except AcmeScanError as exc:  # a read-only checkout still gets checked
        logger.warning("%s", exc)
        return False


def _holds(root: Path, path: Path, data: bytes) -> bool:
    try:
        return read_confined(root, path) == data
    except (OSError, AcmeScanError):
        return False


def _tracked(root: Path, path: Path) -> bool:
    git = git_executable()
    if git is None:
        return False
    try:
        result = subprocess.run(
            git_command(git, root, "ls-files", "--", str(path)),
            capture_output=True,
            check=False,
            env=safe_env(),
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())
