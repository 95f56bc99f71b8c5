"""The Watcher in this process, with a real observer over real temporary projects."""

from __future__ import annotations

import errno
import logging
import os
import random
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from watchdog.events import FileSystemEventHandler
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.inotify import InotifyObserver

from acme_scan.errors import IndexLockedError
from acme_scan.watch import watches as watches_module
from acme_scan.watch.watcher import POLLING_ENV, Watcher, WatchUpdate
from tests.conftest import git
from tests.watch.conftest import DEADLINE, flow_names, flow_source, index_is_cold


class Recorder:
    """Collects every WatchUpdate (the watcher's callback)."""

    def __init__(self) -> None:
        self.updates: list[WatchUpdate] = []

    def __call__(self, update: WatchUpdate) -> None:
        self.updates.append(update)

    def paths(self) -> set[str]:
        return {path for update in self.updates for path in update.paths}


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_project(root: Path, files: int = 6) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        write(root, f"pkg_{i % 3}/mod_{i}.py", flow_source(f"flow-{i}", f"flow_{i}"))
    write(root, "pkg_0/sub/deep.py", flow_source("deep"))
    write(root, "notes.txt", "not python\n")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def watching(project: Path, recorder: Recorder) -> Iterator[Watcher]:
    with Watcher(project, on_update=recorder) as watcher:
        yield watcher


def wait_cold(watcher: Watcher) -> None:
    root = watcher.root
    assert watcher.wait_until(lambda: index_is_cold(root, watcher.index_path), DEADLINE)


def wait_names(
    watcher: Watcher, *, present: Iterable[str] = (), absent: Iterable[str] = ()
) -> None:
    wanted, unwanted = set(present), set(absent)

    def done() -> bool:
        names = flow_names(watcher.index_path)
        return wanted <= names and not (unwanted & names)

    assert watcher.wait_until(done, DEADLINE), flow_names(watcher.index_path)


# -- edits, saves, folders ----------------------------------------------------------------


def test_start_writes_the_index_and_watches_included_folders(watching: Watcher) -> None:
    assert index_is_cold(watching.root, watching.index_path)
    assert watching.watched_folders == {"", "pkg_0", "pkg_0/sub", "pkg_1", "pkg_2"}
    assert not watching.polling


def test_an_edit_is_picked_up(watching: Watcher, recorder: Recorder) -> None:
    write(watching.root, "pkg_1/mod_1.py", flow_source("renamed", "flow_1"))
    wait_names(watching, present={"renamed"}, absent={"flow-1"})
    assert recorder.updates[-1].written
    assert recorder.updates[-1].changed
    wait_cold(watching)


def test_atomic_save_is_one_change(watching: Watcher, recorder: Recorder) -> None:
    target = watching.root / "pkg_2/mod_2.py"
    temp = target.with_name(".mod_2.py.swp.tmp")
    temp.write_text(flow_source("saved-atomically", "flow_2"))
    os.replace(temp, target)
    wait_names(watching, present={"saved-atomically"}, absent={"flow-2"})
    wait_cold(watching)
    assert not any(update.removed for update in recorder.updates)
    assert ".mod_2.py.swp.tmp" not in str(recorder.paths())


def test_vim_style_backup_dance_never_drops_the_flow(project: Path, recorder: Recorder) -> None:
    # A long quiet period: the three steps below land in one pass even on a busy machine.
    with Watcher(project, quiet=0.5, max_wait=3.0, on_update=recorder) as watcher:
        target = project / "pkg_0/mod_0.py"
        backup = target.with_name("mod_0.py~")
        os.rename(target, backup)
        target.write_text(flow_source("after-vim", "flow_0"))
        backup.unlink()
        wait_names(watcher, present={"after-vim"}, absent={"flow-0"})
        wait_cold(watcher)
    flow_ids = {u for update in recorder.updates for u in update.removed + update.added}
    assert not flow_ids  # the flow changed; it was never gone from the index
    assert any(update.changed for update in recorder.updates)


def test_deletes_and_renames(watching: Watcher) -> None:
    root = watching.root
    (root / "pkg_1/mod_4.py").unlink()
    os.rename(root / "pkg_2/mod_5.py", root / "pkg_0/moved.py")
    os.rename(root / "pkg_0/mod_3.py", root / "pkg_0/mod_3.txt")
    os.rename(root / "notes.txt", root / "pkg_1/notes.py")
    wait_names(watching, absent={"flow-4", "flow-3"}, present={"flow-5"})
    wait_cold(watching)


def test_folder_moves_are_followed(watching: Watcher) -> None:
    root = watching.root
    os.rename(root / "pkg_0", root / "renamed")
    (root / "deeper/x").mkdir(parents=True)
    os.rename(root / "pkg_1", root / "deeper/x/pkg_1")
    wait_cold(watching)
    assert {"renamed", "renamed/sub", "deeper", "deeper/x", "deeper/x/pkg_1"} <= (
        watching.watched_folders
    )
    assert not {"pkg_0", "pkg_0/sub", "pkg_1"} & watching.watched_folders
    # The watches followed: edits in the moved folders are seen.
    write(root, "renamed/sub/deep.py", flow_source("deep-moved"))
    write(root, "deeper/x/pkg_1/mod_1.py", flow_source("moved-twice", "flow_1"))
    wait_names(watching, present={"deep-moved", "moved-twice"}, absent={"deep", "flow-1"})
    wait_cold(watching)


def test_a_new_folder_with_files_written_at_once(watching: Watcher) -> None:
    root = watching.root
    (root / "fresh/a/b/c").mkdir(parents=True)
    for i, rel in enumerate(["fresh", "fresh/a", "fresh/a/b", "fresh/a/b/c"]):
        write(root, f"{rel}/f{i}.py", flow_source(f"fresh-{i}", f"fresh_{i}"))
    wait_names(watching, present={f"fresh-{i}" for i in range(4)})
    wait_cold(watching)
    assert {"fresh", "fresh/a", "fresh/a/b", "fresh/a/b/c"} <= watching.watched_folders
    write(root, "fresh/a/b/c/later.py", flow_source("later"))
    wait_names(watching, present={"later"})


def test_a_deleted_and_recreated_folder_is_watched_again(watching: Watcher) -> None:
    root = watching.root
    shutil.rmtree(root / "pkg_2")
    write(root, "pkg_2/again.py", flow_source("again"))
    wait_names(watching, present={"again"}, absent={"flow-2", "flow-5"})
    write(root, "pkg_2/again.py", flow_source("again-edited"))
    wait_names(watching, present={"again-edited"}, absent={"again"})
    wait_cold(watching)


@pytest.mark.parametrize("seed", [20261126, 7, 1234])
def test_a_storm_of_random_changes_ends_equal_to_a_cold_scan(
    tmp_path: Path, recorder: Recorder, seed: int
) -> None:
    root = make_project(tmp_path / "storm", files=12)
    rng = random.Random(seed)
    with Watcher(root, on_update=recorder) as watcher:
        for step in range(150):
            _random_change(root, rng, step)
            if step % 30 == 29:  # passes run between bursts too, not only after the storm
                assert watcher.wait_until(_passed(watcher, watcher.generation), DEADLINE)
        wait_cold(watcher)
        # Nothing late undoes it: a last change is seen, and the index is still right.
        write(root, "sentinel.py", flow_source("sentinel"))
        wait_names(watcher, present={"sentinel"})
        assert index_is_cold(root, watcher.index_path)
    assert len(recorder.updates) < 150  # bursts are batched


def _passed(watcher: Watcher, generation: int) -> Callable[[], bool]:
    return lambda: watcher.generation > generation


def _random_change(root: Path, rng: random.Random, step: int) -> None:
    files = sorted(p for p in root.rglob("*.py") if ".acme_scan" not in p.parts)
    folders = sorted(
        p for p in root.rglob("*") if p.is_dir() and ".acme_scan" not in p.parts and p != root
    )
    action = rng.choice(
        ["create", "edit", "edit", "atomic", "vim", "rename", "move", "delete", "touch",
         "mkdir", "move-dir", "delete-dir"]
    )  # fmt: skip
    if not files or action == "create":
        folder = rng.choice([*folders, root])
        (folder / f"c{step}.py").write_text(flow_source(f"c-{step}", f"c_{step}"))
        return
    target = rng.choice(files)
    if action == "edit":
        target.write_text(flow_source(f"e-{step}", f"e_{step}"))
    elif action == "atomic":
        temp = target.with_name(f".{target.name}.{step}.tmp")
        temp.write_text(flow_source(f"a-{step}", f"a_{step}"))
        os.replace(temp, target)
    elif action == "vim":
        backup = target.with_name(target.name + "~")
        os.rename(target, backup)
        target.write_text(flow_source(f"v-{step}", f"v_{step}"))
        backup.unlink()
    elif action == "rename":
        target.rename(target.with_name(f"r{step}_{target.name}"))
    elif action == "move":
        target.rename(rng.choice([*folders, root]) / f"m{step}.py")
    elif action == "delete":
        target.unlink()
    elif action == "touch":
        os.utime(target)
    elif action == "mkdir":
        folder = root / f"d{step}" / "inner"
        folder.mkdir(parents=True)
        (folder / "x.py").write_text(flow_source(f"d-{step}", f"d_{step}"))
        (folder.parent / "y.py").write_text(flow_source(f"dy-{step}", f"dy_{step}"))
    elif folders and action == "move-dir":
        folder = rng.choice(folders)
        destination = root / f"md{step}"
        if not destination.is_relative_to(folder):
            folder.rename(destination)
    elif folders and action == "delete-dir":
        shutil.rmtree(rng.choice(folders))


def test_git_checkout_switching_many_files(tmp_path: Path, recorder: Recorder) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for i in range(40):
        write(root, f"flows/part_{i % 5}/f{i}.py", flow_source(f"main-{i}", f"f_{i}"))
    write(root, "flows/common.py", flow_source("common"))
    write(root, ".gitignore", "*.log\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    git(root, "checkout", "-q", "-b", "other")
    for i in range(0, 40, 2):
        write(root, f"flows/part_{i % 5}/f{i}.py", flow_source(f"other-{i}", f"f_{i}"))
    shutil.rmtree(root / "flows/part_1")
    for i in range(25):
        write(root, f"added/sub_{i % 4}/n{i}.py", flow_source(f"new-{i}", f"n_{i}"))
    git(root, "mv", "flows/part_3", "flows/part_3_moved")
    write(root, ".gitignore", "*.log\nadded/sub_3/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "other")
    git(root, "checkout", "-q", "main")

    with Watcher(root, on_update=recorder) as watcher:
        assert index_is_cold(root, watcher.index_path)
        git(root, "checkout", "-q", "other")
        wait_cold(watcher)
        names = flow_names(watcher.index_path)
        assert {"other-0", "new-0"} <= names
        assert "new-3" not in names  # added/sub_3/ is ignored on this branch
        assert "added/sub_3" not in watcher.watched_folders
        git(root, "checkout", "-q", "main")
        wait_cold(watcher)
        names = flow_names(watcher.index_path)
        assert "main-1" in names
        # Ignored files stay on checkout, and this branch does not ignore them.
        assert "new-3" in names
        assert "new-0" not in names
        assert "added/sub_3" in watcher.watched_folders
        assert "added/sub_0" not in watcher.watched_folders
    assert any(update.reconciled for update in recorder.updates)  # the .gitignore changed


# -- what is not watched ------------------------------------------------------------------


def test_ignored_and_excluded_paths_change_nothing(tmp_path: Path, recorder: Recorder) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write(root, ".gitignore", "ignored_dir/\nsecret_*.py\n")
    write(root, "flows/a.py", flow_source("a"))
    with Watcher(root, on_update=recorder) as watcher:
        before = watcher.index_path.read_bytes()
        write(root, ".venv/pyvenv.cfg", "home = /usr/bin\n")
        write(root, ".venv/lib/python3.11/site-packages/pkg/x.py", flow_source("venv"))
        write(root, "env/pyvenv.cfg", "home = /usr/bin\n")
        write(root, "env/lib/x.py", flow_source("named-venv"))
        write(root, "node_modules/pkg/x.py", flow_source("node"))
        write(root, "flows/__pycache__/x.py", flow_source("cache"))
        write(root, "ignored_dir/sub/x.py", flow_source("ignored"))
        write(root, "flows/secret_x.py", flow_source("secret"))
        write(root, "flows/notes.md", "# notes\n")
        # Events from one folder arrive in order: these say the ones above were handled.
        (root / "sentinel").mkdir()
        (root / "flows/sentinel").mkdir()
        assert watcher.wait_until(
            lambda: {"sentinel", "flows/sentinel"} <= recorder.paths(), DEADLINE
        )
        assert watcher.index_path.read_bytes() == before
        assert not any(update.written for update in recorder.updates)
        watched = watcher.watched_folders
        assert not {"env", "ignored_dir", "ignored_dir/sub", "flows/__pycache__"} & watched
        assert not any(rel.startswith((".venv", "node_modules", ".git")) for rel in watched)
        hinted = recorder.paths()
        assert not any(
            path.startswith((".venv", "node_modules", "env/", "ignored_dir/", "flows/__pyc"))
            for path in hinted
        )
        assert "flows/notes.md" not in hinted
        assert index_is_cold(root, watcher.index_path)


def test_the_watchers_own_writes_trigger_nothing(tmp_path: Path, recorder: Recorder) -> None:
    root = make_project(tmp_path / "project")
    index = root / "pkg_1" / "index.json"  # in a watched folder
    with Watcher(root, index_path=index, on_update=recorder) as watcher:
        write(root, "pkg_1/mod_1.py", flow_source("edited", "flow_1"))
        wait_names(watcher, present={"edited"})
        (root / "pkg_1/sentinel").mkdir()
        assert watcher.wait_until(lambda: "pkg_1/sentinel" in recorder.paths(), DEADLINE)
        assert recorder.paths() == {"pkg_1/mod_1.py", "pkg_1/sentinel"}
        assert index_is_cold(root, index)


# -- reconciles ---------------------------------------------------------------------------


def test_settings_changes_rescan_with_the_new_settings(watching: Watcher) -> None:
    root = watching.root
    write(root, "pyproject.toml", '[tool.acme-scan]\nexclude = ["pkg_1/"]\n')
    wait_names(watching, absent={"flow-1", "flow-4"}, present={"flow-0"})
    wait_cold(watching)
    invalid = [
        "[tool.acme-scan]\nexclude = [\n",
        'tool = "x"\n',
        '[tool.acme-scan]\ninclude = ["!"]\n',
        '[tool.acme-scan]\nindex = "\\u0000x"\n',
    ]
    for number, text in enumerate(invalid):  # each reported, the previous settings kept
        write(root, "pyproject.toml", text)
        write(root, "pkg_0/mod_0.py", flow_source(f"still-watching-{number}", "flow_0"))
        wait_names(watching, present={f"still-watching-{number}"}, absent={"flow-1"})
        assert watching.error is None
    (root / "pyproject.toml").unlink()
    wait_names(watching, present={"flow-1", "flow-4"})
    wait_cold(watching)


def test_a_gitignore_change_reconciles(watching: Watcher, recorder: Recorder) -> None:
    root = watching.root
    write(root, ".gitignore", "pkg_2/\n")
    wait_names(watching, absent={"flow-2", "flow-5"})
    assert "pkg_2" not in watching.watched_folders
    assert recorder.updates[-1].reconciled
    (root / ".gitignore").unlink()
    wait_names(watching, present={"flow-2", "flow-5"})
    assert "pkg_2" in watching.watched_folders
    wait_cold(watching)


def test_periodic_reconcile_repairs_what_no_event_said(project: Path, recorder: Recorder) -> None:
    with Watcher(project, reconcile_interval=0.3, on_update=recorder) as watcher:
        watcher._handler.receive = lambda event: None  # as if the kernel dropped every event
        write(project, "pkg_0/mod_0.py", flow_source("unseen", "flow_0"))
        (project / "pkg_0/new").mkdir()
        write(project, "pkg_0/new/n.py", flow_source("unseen-new"))
        wait_names(watcher, present={"unseen", "unseen-new"})
        assert recorder.updates[-1].reconciled
        assert not recorder.paths()
        assert "pkg_0/new" in watcher.watched_folders
        wait_cold(watcher)


def test_dropped_events_warning_reconciles(watching: Watcher, recorder: Recorder) -> None:
    logging.getLogger("watchdog.observers.inotify_c").warning(
        "Inotify queue overflowed; filesystem events were lost"
    )
    assert watching.wait_until(
        lambda: any(update.reconciled for update in recorder.updates), DEADLINE
    )


def test_a_foreign_write_of_the_index_is_repaired(watching: Watcher, recorder: Recorder) -> None:
    index = watching.index_path
    expected = index.read_bytes()
    temp = index.with_name("foreign.tmp")
    temp.write_text('{"schema_version": 1}\n')
    os.replace(temp, index)  # another process (or person) replaced it
    (watching.root / "pkg_0/sentinel").mkdir()  # a pass that changes nothing in the index
    assert watching.wait_until(lambda: index.read_bytes() == expected, DEADLINE)
    index.unlink()
    (watching.root / "pkg_1/sentinel").mkdir()
    assert watching.wait_until(index.exists, DEADLINE)
    assert index.read_bytes() == expected
    assert not any(update.paths and update.written for update in recorder.updates)


# -- locks and observers ------------------------------------------------------------------


def test_a_second_watcher_on_the_same_index_is_refused(watching: Watcher) -> None:
    with pytest.raises(IndexLockedError) as raised:
        Watcher(watching.root).start()
    assert raised.value.owner == os.getpid()
    assert "already" in str(raised.value)
    other = watching.root.parent / "other.json"
    with Watcher(watching.root, index_path=other) as second:  # another index: fine
        assert index_is_cold(watching.root, second.index_path)


def test_the_lock_is_released_on_stop(project: Path) -> None:
    with Watcher(project) as watcher:
        lock = watcher.index_path.with_name("index.json.lock")
        assert lock.read_text().strip() == str(os.getpid())
    assert not lock.exists()
    with Watcher(project):
        pass


def test_polling_by_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    monkeypatch.setenv(POLLING_ENV, "1")
    with Watcher(project, poll_interval=0.1, on_update=recorder) as watcher:
        assert watcher.polling
        write(project, "pkg_0/mod_0.py", flow_source("polled", "flow_0"))
        (project / "polled/new").mkdir(parents=True)
        write(project, "polled/new/n.py", flow_source("polled-new"))
        wait_names(watcher, present={"polled", "polled-new"})
        write(project, "polled/new/n.py", flow_source("polled-again"))
        wait_names(watcher, present={"polled-again"})
        wait_cold(watcher)


def test_falls_back_to_polling_when_native_events_cannot_start(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_inotify() -> BaseObserver:
        raise OSError(errno.EMFILE, "inotify instance limit reached")

    monkeypatch.setattr(watches_module, "_native_observer", no_inotify)
    with Watcher(project, poll_interval=0.1) as watcher:
        assert watcher.polling
        write(project, "pkg_2/mod_2.py", flow_source("fallback", "flow_2"))
        wait_names(watcher, present={"fallback"})


class _ShortOfWatches(InotifyObserver):
    """An inotify observer that runs out of watches on folders named `full*`."""

    def schedule(
        self, event_handler: FileSystemEventHandler, path: str | Path, **kwargs: Any
    ) -> ObservedWatch:
        if os.path.basename(path).startswith("full"):
            raise OSError(errno.ENOSPC, "inotify watch limit reached")
        return super().schedule(event_handler, path, **kwargs)


def test_falls_back_to_polling_when_watches_run_out(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watches_module, "_native_observer", _ShortOfWatches)
    with Watcher(project, poll_interval=0.1) as watcher:
        polling_at_start = watcher.polling
        write(project, "full/f.py", flow_source("in-full"))
        wait_names(watcher, present={"in-full"})
        assert (polling_at_start, watcher.polling) == (False, True)
        write(project, "full/f.py", flow_source("in-full-again"))
        wait_names(watcher, present={"in-full-again"})
        wait_cold(watcher)


def test_a_vanished_root_stops_the_watcher(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    watcher = Watcher(root)
    with watcher:
        elsewhere = tmp_path / "elsewhere"
        os.rename(root, elsewhere)
        write(elsewhere, "pkg_0/mod_0.py", flow_source("moved-root", "flow_0"))  # an event
        assert watcher.wait(DEADLINE)
    assert watcher.error is not None
    assert "deleted or moved" in str(watcher.error)
    assert not root.exists()  # and nothing was written there
