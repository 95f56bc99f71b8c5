"""The flows of some files as last committed (git `HEAD`), to attribute deploy-config findings.

When a commit renames or removes a flow that the deploy config still names, the finding is in
the YAML file, which the commit may not touch. Scanning the committed version of the changed
Python files tells which of them used to define the name, so that commit is the one refused.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from acme_scan import _log
from acme_scan.gitcmd import git_command, git_executable, safe_env
from acme_scan.index.views import FlowLike, FlowView

logger = _log.get(__name__)


def committed_flows(root: Path, paths: Sequence[str]) -> list[FlowLike]:
    """Flows defined by the `HEAD` version of `paths` (POSIX, relative to `root`).

    Empty outside a git work tree, without a `HEAD` commit, or when git fails: this only
    widens which findings are reported, so failing quietly is safe.
    """
    git = git_executable()
    wanted = [path for path in paths if path.endswith(".py")]
    if git is None or not wanted:
        return []
    try:
        prefix = subprocess.run(
            git_command(git, root, "rev-parse", "--show-prefix"),
            capture_output=True,
            text=True,
            check=False,
            env=safe_env(),
            timeout=60,
        )
        if prefix.returncode != 0:
            return []
        base = prefix.stdout.strip()
        request = "".join(f"HEAD:{base}{path}\n" for path in wanted).encode()
        batch = subprocess.run(
            git_command(git, root, "cat-file", "--batch"),
            input=request,
            capture_output=True,
            check=False,
            env=safe_env(),
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("git could not show committed files: %s", exc)
        return []
    if batch.returncode != 0:
        return []
    # Loaded only here: `check` on an index that is up to date never scans a file (~7 ms).
    from acme_scan.scanner import scan_data

    flows: list[FlowLike] = []
    for path, data in zip(wanted, _blobs(batch.stdout), strict=False):
        if data is not None:
            found = scan_data(data, path)["flows"]
            flows.extend(FlowView(f) for f in found if f["framework"] == "prefect")
    return flows


def _blobs(output: bytes) -> list[bytes | None]:
    """Parse `git cat-file --batch` output: one entry per request, None when missing."""
    blobs: list[bytes | None] = []
    position = 0
    while position < len(output):
        end = output.index(b"\n", position)
        header = output[position:end].split()
        position = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            blobs.append(output[position : position + size])
            position += size + 1
        elif len(header) == 3:  # a tree or commit: skip its content
            position += int(header[2]) + 1
            blobs.append(None)
        else:  # "<name> missing" or "<name> ambiguous"
            blobs.append(None)
    return blobs
