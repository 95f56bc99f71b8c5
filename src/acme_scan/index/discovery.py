"""Which files of a project are scanned.

Inside a git work tree git itself answers (`git ls-files --cached --others --exclude-standard`),
so `.gitignore`, `.git/info/exclude` and the global excludes file apply exactly as git applies
them. Elsewhere the tree is walked and `.gitignore` files are applied with `pathspec`. In both
cases the default excludes (VCS folders, virtual environments, `site-packages`,
`node_modules`, caches, build output, hidden folders) and `[tool.acme-scan]` include/exclude
patterns apply; symlinks never lead out of the root and directory links are not followed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acme_scan import _log
from acme_scan.gitcmd import git_command, git_executable, may_be_in_work_tree, safe_env
from acme_scan.globs import gitignore_spec
from acme_scan.settings import Settings

if TYPE_CHECKING:
    import pathspec

logger = _log.get(__name__)


#: Folder names never descended into (any depth below the root).
DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        "__pycache__",
        "site-packages",
        "dist-packages",
        "node_modules",
        "venv",
        "__pypackages__",
    }
)
#: Build output folders, excluded at the top of the root only (a package may be named `build`).
DEFAULT_EXCLUDED_TOP_DIRS = frozenset({"build", "dist"})


def _excluded_dir_name(name: str, top: bool = False) -> bool:
    return (
        name.startswith(".")
        or name in DEFAULT_EXCLUDED_DIRS
        or name.endswith(".egg-info")
        or (top and name in DEFAULT_EXCLUDED_TOP_DIRS)
    )


def _pattern_spec(patterns: tuple[str, ...]) -> pathspec.PathSpec[Any] | None:
    return gitignore_spec(patterns) if patterns else None


def discover(
    root: Path, settings: Settings, problems: list[tuple[str, str]] | None = None
) -> list[str]:
    """POSIX paths (relative to `root`) of the Python files to scan, sorted.

    Folders the walk cannot list are appended to `problems` as (folder, why).
    """
    files: list[str] | None = None
    if settings.respect_gitignore:
        files = _git_files(root)
    if files is not None:
        result = _basic_filter(root, files, settings)
    else:  # the walk checks links itself, from what scandir already knows
        result = _basic_filter(
            root, _walk(root, settings.respect_gitignore, problems), settings, links=False
        )
    result.sort()
    return result


def _basic_filter(
    root: Path, rels: Iterable[str], settings: Settings, *, links: bool = True
) -> list[str]:
    """The rules that do not depend on .gitignore: Python files, default excludes, settings.

    With `links`, file links leading out of the root are dropped here (one lstat each).
    """
    include = _pattern_spec(settings.include)
    exclude = _pattern_spec(settings.exclude)
    venvs: dict[str, bool] = {}
    #: Whether files in a folder are dropped by its path (excluded names, a venv), by folder.
    dropped: dict[str, bool] = {}
    result: list[str] = []
    for rel in rels:
        if not rel.endswith(".py"):
            continue
        folder = rel.rpartition("/")[0]
        drop = dropped.get(folder)
        if drop is None:
            parts = folder.split("/") if folder else []
            drop = any(_excluded_dir_name(part, i == 0) for i, part in enumerate(parts)) or (
                bool(parts) and _inside_venv(root, parts, venvs)
            )
            dropped[folder] = drop
        if drop:
            continue
        if exclude is not None and exclude.match_file(rel):
            continue
        if include is not None and not include.match_file(rel):
            continue
        if links and not _inside_root(root, rel):
            continue
        result.append(rel)
    return result


def is_excluded_dir(rel_dir: str) -> bool:
    """Whether a folder (POSIX, relative to the root) is never scanned by the default rules.

    For watchers: such folders need not even be watched.
    """
    parts = [part for part in rel_dir.split("/") if part]
    return any(_excluded_dir_name(part, i == 0) for i, part in enumerate(parts))


def filter_candidates(root: Path, rels: Iterable[str], settings: Settings) -> set[str]:
    """Which of `rels` (existing or not) `discover` would list, were they files.

    Used to re-check a few paths (after file-system events) without listing the whole tree.
    """
    candidates = _basic_filter(root, sorted(set(rels)), settings)
    if not candidates or not settings.respect_gitignore:
        return set(candidates)
    ignored = _git_ignored(root, candidates)
    if ignored is None:
        ignored = {rel for rel in candidates if _gitignored_without_git(root, rel)}
    return set(candidates) - ignored


def ignored_folders(root: Path, rel_dirs: Iterable[str], settings: Settings) -> set[str]:
    """Which of the existing folders `rel_dirs` (POSIX, relative to the root) `.gitignore`
    rules ignore as folders (git's own view inside a work tree, as for files).

    For watchers: nothing below an ignored folder is scanned, so it need not be watched.
    """
    dirs = sorted({rel.strip("/") for rel in rel_dirs} - {""})
    if not dirs or not settings.respect_gitignore:
        return set()
    ignored = _git_ignored(root, [f"{rel}/" for rel in dirs])
    if ignored is not None:
        return {name.rstrip("/") for name in ignored}
    return {rel for rel in dirs if _gitignored_without_git(root, rel, is_dir=True)}


def _git_ignored(root: Path, rels: list[str]) -> set[str] | None:
    """The paths git ignores (tracked files never are), or None outside a work tree."""
    git = git_executable() if may_be_in_work_tree(root) else None
    if git is None or _git_files_root(root) is None:
        return None
    import subprocess

    try:
        result = subprocess.run(
            git_command(git, root, "check-ignore", "-z", "--stdin"),
            input="\0".join(rels).encode("utf-8", errors="surrogateescape") + b"\0",
            capture_output=True,
            check=False,
            env=safe_env(),
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode not in (0, 1):
        return None
    return {name for name in result.stdout.decode("utf-8", "surrogateescape").split("\0") if name}


def _git_files_root(root: Path) -> Path | None:
    """`root` when git answers for it (inside a work tree, and not itself ignored)."""
    git = git_executable() if may_be_in_work_tree(root) else None
    if git is None:
        return None
    import subprocess

    try:
        inside = subprocess.run(
            git_command(git, root, "rev-parse", "--is-inside-work-tree"),
            capture_output=True,
            text=True,
            check=False,
            env=safe_env(),
            timeout=60,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        ignored = subprocess.run(
            git_command(git, root, "check-ignore", "-q", "."),
            capture_output=True,
            check=False,
            env=safe_env(),
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return None if ignored.returncode == 0 else root


def _gitignored_without_git(root: Path, rel: str, is_dir: bool = False) -> bool:
    """Whether `.gitignore` files ignore `rel`, as the walk decides: a folder on its way that
    is ignored hides it (git cannot re-include below it), else its own rules decide."""
    parts = rel.split("/")
    specs: _Specs = ()
    for depth in range(len(parts)):
        base = "/".join(parts[:depth])
        gitignore = os.path.join(root, base, ".gitignore")
        try:
            with open(gitignore, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            lines = []
        if lines:
            specs = (*specs, (base, gitignore_spec(lines)))
        folder = depth + 1 < len(parts)
        if _ignored(specs, "/".join(parts[: depth + 1]), folder or is_dir):
            return True
    return False


def _inside_venv(root: Path, dirs: list[str], cache: dict[str, bool]) -> bool:
    """A folder holding `pyvenv.cfg` is a virtual environment, whatever its name."""
    current = ""
    for part in dirs:
        current = f"{current}/{part}" if current else part
        if current not in cache:
            cache[current] = os.path.isfile(os.path.join(root, current, "pyvenv.cfg"))
        if cache[current]:
            return True
    return False


def _inside_root(root: Path, rel: str) -> bool:
    """False for a file link leading out of the root (or dangling).

    Neither git nor the walk descends into linked folders, so only the file itself can be
    a link.
    """
    full = os.path.join(root, rel)
    if not os.path.islink(full):
        return True
    try:
        Path(full).resolve(strict=True).relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):  # RuntimeError: a link loop (Python < 3.13)
        logger.debug("skipping %s: a link that leaves the root or dangles", rel)
        return False
    return True


def _git_files(root: Path) -> list[str] | None:
    """The `.py` files git lists under `root`, or None: then the tree is walked instead.

    Git is asked once: outside a work tree `ls-files` fails, and only when it lists nothing
    is git asked whether the root itself is ignored by its work tree (say, a .venv inside a
    checkout, where git lists nothing). Outside any git folder, git is not run at all.
    """
    git = git_executable() if may_be_in_work_tree(root) else None
    if git is None:
        return None
    import subprocess

    try:
        listing = subprocess.run(
            git_command(
                git,
                root,
                "-c",
                "core.quotepath=off",
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--",
                "*.py",
            ),
            capture_output=True,
            check=False,
            env=safe_env(),
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning(
            "git could not list files under %s (%s); walking the tree instead", root, exc
        )
        return None
    if listing.returncode != 0:
        message = listing.stderr.decode(errors="replace").strip()
        if not any(quiet in message for quiet in _NOT_A_WORK_TREE):
            logger.warning(
                "git ls-files failed under %s: %s; walking the tree instead", root, message
            )
        return None
    names = listing.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    listed = {name for name in names if name}
    if not listed and _git_files_root(root) is None:
        return None
    # Tracked files deleted from the work tree are still listed: the caller's stat of each
    # file drops them (and anything that is not a regular file).
    return sorted(listed)


#: What `git ls-files` says outside a work tree (then the tree is walked, quietly).
_NOT_A_WORK_TREE = ("not a git repository", "must be run in a work tree")


def walk(
    root: Path,
    start: str = "",
    *,
    gitignore: bool,
    on_error: Callable[[str, OSError], None] | None = None,
) -> Iterator[str]:
    """The one walk of a project's tree: POSIX paths (relative to `root`) of the `.py` files
    at and below the folder `start` ("" is the root): depth first, by name.

    Folders the default rules exclude are not entered, nor linked folders; a file link is
    listed only when it stays inside the root. With `gitignore`, `.gitignore` files (those
    above `start` too) prune what they ignore. A folder that cannot be listed is passed to
    `on_error` (its POSIX path, the error) and skipped. Nothing else is filtered: the
    settings, virtualenvs and git's own view are for the caller (`_basic_filter`,
    `filter_candidates`). Used by `discover` (the full listing, outside git) and by
    `Indexer.update` (the folders events name).
    """
    start = start.strip("/")
    inherited = _specs_above(root, start, gitignore)
    if inherited is None:
        return
    # Iterative (a folder 1,000 levels deep must not exhaust the stack): each folder to
    # list comes with the .gitignore specs of its ancestors.
    stack: list[tuple[Path, str, _Specs]] = [(root / start if start else root, start, inherited)]
    while stack:
        directory, rel_dir, specs = stack.pop()
        if gitignore:
            gitignore_file = directory / ".gitignore"
            try:
                lines = gitignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            if lines:
                specs = (*specs, (rel_dir, gitignore_spec(lines)))
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=_name)
        except OSError as exc:
            if on_error is not None:
                on_error(rel_dir, exc)
            entries = []
        folders: list[tuple[Path, str, _Specs]] = []
        prefix = f"{rel_dir}/" if rel_dir else ""
        # The loop runs once per entry of the tree: what costs nothing is decided first.
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    rel = prefix + name
                    if _excluded_dir_name(name, not rel_dir) or (
                        specs and _ignored(specs, rel, True)
                    ):
                        continue
                    folders.append((Path(entry.path), rel, specs))
                elif name.endswith(".py") and entry.is_file():
                    rel = prefix + name
                    if (not specs or not _ignored(specs, rel, False)) and (
                        not entry.is_symlink() or _inside_root(root, rel)
                    ):
                        yield rel
            except OSError:
                continue
        stack.extend(reversed(folders))


_name = attrgetter("name")

#: The `.gitignore` specs in force in a folder: (the folder they came from, the spec).
_Specs = tuple[tuple[str, "pathspec.PathSpec[Any]"], ...]


def _ignored(specs: _Specs, rel: str, is_dir: bool) -> bool:
    """git's rule: the deepest `.gitignore` with a pattern that matches decides (within one
    file, the last matching pattern: a `!pattern` re-includes what a file above ignores)."""
    for base, spec in reversed(specs):
        if base and not rel.startswith(base + "/"):
            continue
        sub = rel[len(base) + 1 :] if base else rel
        decision = spec.check_file(sub + ("/" if is_dir else "")).include
        if decision is not None:
            return decision
    return False


def _specs_above(root: Path, start: str, gitignore: bool) -> _Specs | None:
    """The `.gitignore` specs of the folders above `start` (with `gitignore`), or None when
    the walk from the root would never reach `start` (an excluded, ignored or linked folder
    on the way)."""
    specs: _Specs = ()
    if not start:
        return specs
    parts = start.split("/")
    for depth, name in enumerate(parts):
        base = "/".join(parts[:depth])
        if gitignore:
            try:
                lines = (root / base / ".gitignore").read_text("utf-8", "replace").splitlines()
            except OSError:
                lines = []
            if lines:
                specs = (*specs, (base, gitignore_spec(lines)))
        rel = f"{base}/{name}" if base else name
        if (
            _excluded_dir_name(name, depth == 0)
            or _ignored(specs, rel, True)
            or os.path.islink(root / rel)
        ):
            return None
    return specs


def _walk(
    root: Path, respect_gitignore: bool, problems: list[tuple[str, str]] | None = None
) -> Iterator[str]:
    """The full listing outside git: every folder that cannot be listed is a warning."""

    def unlistable(rel_dir: str, exc: OSError) -> None:
        logger.warning(
            "cannot list %s: %s", root / rel_dir if rel_dir else root, exc.strerror or exc
        )
        if problems is not None:
            problems.append((rel_dir, exc.strerror or str(exc)))

    return walk(root, gitignore=respect_gitignore, on_error=unlistable)
