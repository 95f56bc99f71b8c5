"""What a project's repository says about the code being deployed: branch, commit, name.

`git` runs with an argument list (never through a shell) in the project's root, with the
config keys that would run commands overridden (`acme_scan.gitcmd`).
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from acme_portal_sdk.errors import GitError
from acme_scan._compat import tomllib
from acme_scan.gitcmd import git_command, safe_env

logger = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 30.0


def git(root: Path, *args: str) -> str:
    """Run `git ARGS` in `root`; its stripped stdout, or `GitError` saying what failed."""
    shown = ["git", *args]
    try:
        result = subprocess.run(
            git_command("git", root, *args),
            capture_output=True,
            text=True,
            check=False,
            timeout=GIT_TIMEOUT_SECONDS,
            env=safe_env(),
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed (or not on PATH)") from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"`{' '.join(shown)}` failed in {root}: {exc}") from exc
    if result.returncode != 0:
        raise GitError(
            f"`{' '.join(shown)}` failed in {root}: {result.stderr.strip() or result.stdout}"
        )
    return result.stdout.strip()


def _described(root: Path, what: str, option: str, *args: str) -> str:
    """`git ARGS` for the `what` of a deployment, failing with what to pass instead."""
    try:
        return git(root, *args)
    except GitError as exc:
        text = str(exc)
        if "not a git repository" in text:
            reason = f"{root} is not inside a git repository"
        elif "ambiguous argument 'HEAD'" in text or "unknown revision" in text:
            reason = f"the git repository at {root} has no commit yet"
        else:
            raise GitError(f"{text} (pass {option} to give the {what})") from exc
        raise GitError(
            f"{reason}, so the {what} cannot be read from git: pass {option} "
            "(for a deploy, --branch-name and --commit-hash)"
        ) from exc


def current_branch(root: Path) -> str:
    """The branch checked out in `root`; `GitError` when detached or not a repository."""
    branch = _described(root, "branch", "--branch-name", "rev-parse", "--abbrev-ref", "HEAD")
    if branch == "HEAD":
        raise GitError(f"{root}: HEAD is detached; name the branch with --branch-name")
    return branch


def commit_hash(root: Path) -> str:
    """The full hash of the commit checked out in `root`."""
    return _described(root, "commit", "--commit-hash", "rev-parse", "HEAD")


def uncommitted_files(root: Path) -> list[str]:
    """Files under `root` that differ from HEAD: modified, staged, deleted or untracked.

    Ignored files do not count; paths are as git prints them (relative to `root`).
    """
    output = git(root, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    # `git` strips the output, so the first line may have lost its leading status space.
    return sorted({line.split(maxsplit=1)[-1] for line in output.splitlines() if line.strip()})


def project_metadata(root: Path) -> tuple[str | None, str | None]:
    """`[project] name` and `version` of `root/pyproject.toml` (None when absent/unreadable)."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        logger.debug("no project metadata in %s: %s", root, exc)
        return None, None
    project = data.get("project")
    if not isinstance(project, dict):
        return None, None
    name = project.get("name")
    version = project.get("version")
    return (
        name if isinstance(name, str) and name else None,
        version if isinstance(version, str) and version else None,
    )


def project_name(root: Path) -> str:
    """The project's name: `[project] name` of its `pyproject.toml`, else its folder's name."""
    name, _ = project_metadata(root)
    return name or root.absolute().name
