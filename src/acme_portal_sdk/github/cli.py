"""Running the GitHub CLI (`gh`): always with an argument list, never through a shell."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from pathlib import Path

from acme_portal_sdk.errors import GitHubWorkflowError

logger = logging.getLogger(__name__)

GH_TIMEOUT_SECONDS = 60.0


class GitHubCli:
    """The `gh` executable (`executable`, found on PATH), run in `cwd` (default: the cwd).

    The constructor runs nothing.
    """

    def __init__(
        self,
        executable: str = "gh",
        *,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float = GH_TIMEOUT_SECONDS,
    ) -> None:
        self.executable = executable
        self.cwd = None if cwd is None else Path(cwd)
        self.timeout = timeout

    def run(self, *args: str) -> str:
        """Run `gh ARGS` and return its stdout; `GitHubWorkflowError` when it fails."""
        command = [self.executable, *args]
        shown = shlex.join(command)
        logger.debug("running %s", shown)
        try:
            result = subprocess.run(
                command,
                cwd=self.cwd,
                capture_output=True,
                text=True,
                check=False,
                timeout=self.timeout,
            )
        except FileNotFoundError as exc:
            raise GitHubWorkflowError(
                f"the GitHub CLI ({self.executable!r}) is not installed or not on PATH: "
                "install it from https://cli.github.com/ and run `gh auth login`"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise GitHubWorkflowError(f"`{shown}` did not finish in {self.timeout:.0f} s") from exc
        except OSError as exc:
            raise GitHubWorkflowError(f"`{shown}` could not run: {exc}") from exc
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            raise GitHubWorkflowError(f"`{shown}` failed (exit code {result.returncode}): {detail}")
        return result.stdout
