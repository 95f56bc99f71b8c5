"""Talking to the project's git remote (`ls-remote`, `fetch`, `push`) without trusting it.

`acme_scan.gitcmd` keeps a repository's own config from running programs, and turns off
network access, which none of the scanner's commands needs. Deploying on Airflow does need
it: the release is a push. Here every `acme_scan.gitcmd.SAFE_CONFIG` override is kept except
the network ones, which get the **user's** values instead of the repository's:

- the remote is resolved to its URL (`remote.<name>.url`) and used as a URL, so the
  repository's `remote.<name>.uploadpack` / `receivepack` / `proxy` (programs git would run)
  never apply;
- `core.sshCommand`, `core.askPass` and `credential.helper` are the global ones
  (`git config --global`, i.e. `~/.gitconfig`), or empty; the process environment's
  `GIT_SSH_COMMAND` / `GIT_ASKPASS` are the user's own and kept;
- `protocol.ext.allow=never` (`ext::` URLs run commands); `core.hooksPath=/dev/null` (no
  `pre-push` hook of the repository runs);
- `GIT_TERMINAL_PROMPT=0`: never wait for a password.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from acme_portal_sdk.errors import GitError
from acme_scan.gitcmd import SAFE_CONFIG

TIMEOUT_SECONDS = 120.0
_NETWORK_KEYS = ("core.sshCommand", "credential.helper", "protocol.allow")


def _run(command: list[str], root: Path, env: dict[str, str]) -> str:
    shown = " ".join(command[:1] + [a for a in command[1:] if not a.startswith("-c")][:6])
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=TIMEOUT_SECONDS, env=env
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed (or not on PATH)") from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"`{shown}` failed in {root}: {exc}") from exc
    if result.returncode != 0:
        raise GitError(f"`{shown}` failed in {root}: {result.stderr.strip() or result.stdout}")
    return result.stdout.strip()


def _global(key: str, env: dict[str, str]) -> list[str]:
    try:
        result = subprocess.run(
            ["git", "config", "--global", "--get-all", key],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
            env=env,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [line for line in result.stdout.splitlines() if line]


def remote_url(root: Path, remote: str) -> str:
    """The URL of `remote` (a name; a URL or path is returned as it is)."""
    if "/" in remote or ":" in remote:
        return remote
    from acme_portal_sdk import repository

    try:
        return repository.git(root, "config", "--get", f"remote.{remote}.url")
    except GitError as exc:
        raise GitError(f"{root}: git remote {remote!r} has no URL: {exc}") from exc


def remote_git(root: Path, remote: str, *args: str) -> str:
    """Run `git ARGS URL ...` against `remote`'s URL; `{url}` in `args` is replaced by it."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_PROXY_COMMAND",)}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat")
    url = remote_url(root, remote)
    command = ["git", "-C", os.fspath(root)]
    for pair in SAFE_CONFIG:
        if not pair.startswith(_NETWORK_KEYS):
            command += ["-c", pair]
    command += ["-c", "protocol.ext.allow=never"]
    command += ["-c", f"core.sshCommand={(_global('core.sshCommand', env) or ['ssh'])[-1]}"]
    command += ["-c", f"core.askPass={(_global('core.askPass', env) or [''])[-1]}"]
    command += ["-c", "credential.helper="]
    for helper in _global("credential.helper", env):
        command += ["-c", f"credential.helper={helper}"]
    command += [url if arg == "{url}" else arg for arg in args]
    return _run(command, root, env)
