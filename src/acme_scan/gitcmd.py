"""Running `git` on a repository we do not trust: no shell, no config that runs commands.

A repository's own `.git/config` (a checkout copied with its `.git/`, a shared folder, an
archive) can name programs that git runs on its behalf. These are the keys that can do so
during the commands acme-scan and the SDK run (`rev-parse`, `ls-files`, `check-ignore`,
`cat-file --batch`; `status` only with `filter_overrides`), each overridden on the command
line, which takes precedence over every config file:

- `core.fsmonitor`: a hook program git runs whenever it reads the index (`ls-files`,
  `check-ignore`, `status`); `false` also keeps the built-in daemon out.
- `core.hooksPath`: none of these commands runs hooks; pointing it at `/dev/null` keeps it so
  if one ever does.
- `core.pager` (and `GIT_PAGER`): a pager only starts on a terminal; ours never is one, and
  `cat` keeps it so.
- `diff.external`: an external diff program (`status` with rename detection, any diff).
- `core.sshCommand`, `credential.helper`, `protocol.allow`: only for network access, which
  none of these commands does; disabled so no future call can reach it by accident.

Content filters (`filter.<driver>.clean`/`smudge`/`process`, chosen by `.gitattributes`) and
`textconv` run only in commands that convert file content (`status`, `diff`, `add`,
`checkout`, `cat-file --filters`); `rev-parse`, `ls-files`, `check-ignore` and
`cat-file --batch` never do. A command that may (a dirty-tree check runs `status`) adds
`filter_overrides(...)`, which empties every filter driver the repository's config defines.

Also in the environment: `GIT_OPTIONAL_LOCKS=0` (read-only commands never rewrite the
index), `GIT_TERMINAL_PROMPT=0` (never wait for a password).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: `-c KEY=VALUE` pairs given to every git command (see the module docstring).
SAFE_CONFIG: tuple[str, ...] = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "diff.external=",
    "core.sshCommand=false",
    "credential.helper=",
    "protocol.allow=never",
)

_SAFE_ENV: Mapping[str, str] = {
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_EXTERNAL_DIFF": "",
}


def git_executable() -> str | None:
    """The `git` on PATH, or None when it is not installed."""
    import shutil  # imported when git may be asked (a scan outside git never pays for it)

    return shutil.which("git")


def may_be_in_work_tree(folder: os.PathLike[str] | str) -> bool:
    """False when git certainly finds no work tree for `folder`: no `.git` in it or any
    folder above, and no `GIT_DIR`/`GIT_WORK_TREE` to point git elsewhere. Then git is not
    run at all (it would only say "not a git repository")."""
    if "GIT_DIR" in os.environ or "GIT_WORK_TREE" in os.environ:
        return True
    current = os.path.abspath(folder)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def git_command(git: str, root: os.PathLike[str] | str, *args: str) -> list[str]:
    """`[git, -C root, -c SAFE..., *args]`: run with `safe_env()`, never through a shell."""
    command = [git, "-C", os.fspath(root)]
    for pair in SAFE_CONFIG:
        command += ["-c", pair]
    command += args
    return command


def filter_overrides(git: str, root: os.PathLike[str] | str) -> list[str]:
    """`-c` pairs that empty every content filter driver configured for `root`'s repository.

    An empty command runs nothing (git reports the filter as failed and keeps the content),
    and `required=false` keeps that from being an error.
    """
    import subprocess

    try:
        listed = subprocess.run(
            git_command(git, root, "config", "--name-only", "--get-regexp", r"^filter\."),
            capture_output=True,
            check=False,
            timeout=30,
            env=safe_env(),
        )
    except (OSError, subprocess.SubprocessError):
        return []
    overrides: list[str] = []
    drivers: set[str] = set()
    for key in listed.stdout.decode("utf-8", "surrogateescape").split():
        driver, _, _ = key.rpartition(".")
        drivers.add(driver)
    for driver in sorted(drivers):
        for field in ("clean", "smudge", "process"):
            overrides += ["-c", f"{driver}.{field}="]
        overrides += ["-c", f"{driver}.required=false"]
    return overrides


def safe_env() -> dict[str, str]:
    """The current environment with git's command-running and prompting turned off."""
    env = dict(os.environ)
    env.update(_SAFE_ENV)
    # Variables that would make git run something or read another config.
    for name in ("GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_PROXY_COMMAND"):
        env.pop(name, None)
    return env
