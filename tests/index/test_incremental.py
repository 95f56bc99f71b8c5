"""Incremental re-indexing equals a cold scan, whatever happens to the files in between."""

from __future__ import annotations

import os
import random
import stat
from pathlib import Path
from typing import Any

import orjson
import pytest

from acme_scan import scan_project
from acme_scan.index import store
from acme_scan.index.project import Indexer
from acme_scan.index.workers import MAX_FILE_BYTES
from benchmarks.generate import TEMPLATES, generate
from tests.conftest import cli_in_fresh_process

EDITS = [
    ("def ", "def renamed_"),
    ('name="', 'name="x-'),
    ("from prefect", "from metaflow"),
    ("@flow\n", "@flow\n@flow(name='also')\n"),
    ("return", "return ("),  # a syntax error
    ("pass", "pass  # a comment that changes nothing"),
]


def mutate(root: Path, rng: random.Random, step: int) -> set[str]:
    """Change some files at random; return the paths touched (both sides of moves)."""
    touched: set[str] = set()

    def rel(path: Path) -> str:
        return path.relative_to(root).as_posix()

    files = sorted(root.rglob("*.py"))
    for _ in range(rng.randint(1, 6)):
        action = rng.choice(["edit", "create", "rename", "delete", "touch", "move-dir"])
        target = rng.choice(files) if files else None
        if target is None or not target.exists():
            action = "create"
        if action == "edit" and target is not None:
            old, new = rng.choice(EDITS)
            target.write_text(target.read_text().replace(old, new, 1))
            touched.add(rel(target))
        elif action == "create":
            template, _ = rng.choice(TEMPLATES)
            folder = root / "proj" / f"new_{rng.randint(0, 3)}"
            folder.mkdir(parents=True, exist_ok=True)
            created = folder / f"created_{step}_{rng.randint(0, 10**6)}.py"
            created.write_text(template.format(i=10_000 + step))
            touched.add(rel(created))
        elif action == "rename" and target is not None:
            moved = target.with_name(f"renamed_{step}_{target.name}")
            target.rename(moved)
            touched.update({rel(target), rel(moved)})
        elif action == "delete" and target is not None:
            target.unlink()
            touched.add(rel(target))
        elif action == "touch" and target is not None:
            os.utime(target)
            touched.add(rel(target))
        elif action == "move-dir" and target is not None:
            folder = target.parent
            if folder != root and folder.exists():
                moved = folder.with_name(f"{folder.name}_moved_{step}")
                folder.rename(moved)
                touched.update({rel(folder), rel(moved)})
        files = sorted(root.rglob("*.py"))
    return touched


@pytest.mark.parametrize("seed", range(5))
def test_incremental_equals_cold(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    generate(tmp_path, 40)
    scan_project(tmp_path)
    reused = 0
    for step in range(6):
        mutate(tmp_path, rng, step)
        incremental = scan_project(tmp_path)
        reused += incremental.stats.reused
        cold = scan_project(tmp_path, reuse=False, write=False)
        assert incremental.data == cold.data
        assert incremental.to_bytes() == (tmp_path / ".acme_scan" / "index.json").read_bytes()
    assert reused > 0


@pytest.mark.parametrize("seed", range(5))
def test_targeted_updates_equal_cold(tmp_path: Path, seed: int) -> None:
    """What a watcher does: re-check only the paths events named."""
    rng = random.Random(seed)
    generate(tmp_path, 40)
    (tmp_path / ".gitignore").write_text("proj/new_3/\n")
    indexer = Indexer(tmp_path)
    indexer.scan()
    for step in range(6):
        indexer.update(mutate(tmp_path, rng, step))
        cold = scan_project(tmp_path, reuse=False, write=False)
        assert indexer.data == cold.data
        assert (tmp_path / ".acme_scan" / "index.json").read_bytes() == cold.to_bytes()


def test_update_reports_flow_changes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from prefect import flow\n\n@flow\ndef a(): ...\n")
    indexer = Indexer(tmp_path)
    indexer.scan()
    (tmp_path / "b.py").write_text("from prefect import flow\n\n@flow\ndef b(): ...\n")
    (tmp_path / "a.py").write_text("from prefect import flow\n\n@flow(retries=1)\ndef a(): ...\n")
    update = indexer.update(["a.py", "b.py"])
    assert len(update.added) == 1
    assert len(update.changed) == 1
    assert update.written
    (tmp_path / "b.py").unlink()
    assert len(indexer.update(["b.py"]).removed) == 1
    assert not indexer.update(["a.py"])


def test_unchanged_project_is_not_rewritten(tmp_path: Path) -> None:
    generate(tmp_path, 30)
    first = scan_project(tmp_path)
    index = tmp_path / ".acme_scan" / "index.json"
    before = index.stat().st_mtime_ns
    second = scan_project(tmp_path)
    assert first.written
    assert not second.written
    assert second.stats.reused == second.stats.files
    assert index.stat().st_mtime_ns == before
    assert second.data == first.data


def test_settings_change_invalidates_the_index(tmp_path: Path) -> None:
    generate(tmp_path, 14)
    first = scan_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.acme-scan]\nexclude = ["proj/pkg_000/mod_00001.py"]\n'
    )
    second = scan_project(tmp_path)
    assert second.stats.reused == 0
    assert len(second.data["files"]) == len(first.data["files"]) - 1


def test_every_setting_but_the_index_location_is_in_the_digest() -> None:
    """The digest that decides whether an index is reused covers each compared setting:
    one changed setting changes it; where the index lives, or another tool's keys, do not."""
    from acme_scan._records import replace
    from acme_scan.settings import Settings

    base = Settings()
    changed: dict[str, Any] = {
        "include": ("a.py",),
        "exclude": ("b.py",),
        "respect_gitignore": False,
        "prefilter": False,
        "frameworks": ("prefect",),
    }
    assert set(changed) | {"index"} == set(Settings._compare)
    for name, value in changed.items():
        assert replace(base, **{name: value}).digest() != base.digest(), name
    assert Settings(index="elsewhere.json", extra={"select": ["X"]}).digest() == base.digest()


def test_warm_scan_loads_neither_parser_nor_models(tmp_path: Path) -> None:
    """Nor OpenSSL (`_hashlib`: only hashing an index needs it), nor orjson (~11 ms: a scan
    that writes nothing serialises nothing, and reads its small state file with `json`)."""
    generate(tmp_path, 14)
    scan_project(tmp_path)
    heavy = ("libcst", "pydantic", "acme_scan.models", "pathspec", "_hashlib", "orjson")
    code, loaded, _ = cli_in_fresh_process(["scan", str(tmp_path), "-q"], heavy)
    assert (code, loaded) == (0, [])


def test_the_state_is_parsed_by_orjson_only_when_a_file_changed_after_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file modified since the index was written is read again, which loads orjson anyway,
    so the state file is parsed by it; with nothing newer it is parsed by `json` (orjson is
    not loaded: `test_warm_scan_loads_neither_parser_nor_models`). Both give the same scan."""
    from acme_scan.index.state import StateFile

    generate(tmp_path, 14)
    cold = scan_project(tmp_path)
    asked: list[bool] = []
    load = StateFile.load

    def recording(self: StateFile, *, orjson: bool = False) -> object:
        asked.append(orjson)
        return load(self, orjson=orjson)

    monkeypatch.setattr(StateFile, "load", recording)
    assert scan_project(tmp_path).stats.reused == cold.stats.files
    changed = sorted(tmp_path.rglob("mod_*.py"))[0]
    changed.write_text(changed.read_text() + "\n# changed\n")
    spliced = scan_project(tmp_path)
    assert spliced.stats.reused == cold.stats.files - 1
    assert asked == [False, True]
    assert spliced.data == scan_project(tmp_path, reuse=False).data


@pytest.mark.parametrize("form", ["summary", "table"])
def test_cold_scan_loads_neither_libcst_nor_pydantic(tmp_path: Path, form: str) -> None:
    """The fast path parses with CPython's `ast`; LibCST is only for syntax it lacks."""
    expected = generate(tmp_path, 30)
    argv = ["scan", str(tmp_path), "-q", "--cold", "--format", form]
    heavy = ("libcst", "pydantic", "acme_scan.models", "pathspec", "shutil", "difflib", "tomllib")
    code, loaded, _ = cli_in_fresh_process(argv, heavy)
    assert (code, loaded) == (0, [])
    index = orjson.loads((tmp_path / ".acme_scan" / "index.json").read_bytes())
    assert len(index["flows"]) == expected > 0


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="a pool needs two cores")
def test_a_pooled_cold_scan_loads_no_multiprocessing(tmp_path: Path) -> None:
    """The pool is `index.forks` (loaded only for a pool): forked workers over pipes, not
    `multiprocessing` or `concurrent.futures` (~20 ms of imports, ~30 ms of start-up)."""
    expected = generate(tmp_path, 600)
    argv = ["scan", str(tmp_path), "-q", "--cold"]
    heavy = ("acme_scan.index.forks", "multiprocessing", "concurrent.futures", "socket")
    code, loaded, _ = cli_in_fresh_process(argv, heavy)
    assert (code, loaded) == (0, ["acme_scan.index.forks"])
    index = orjson.loads((tmp_path / ".acme_scan" / "index.json").read_bytes())
    assert len(index["flows"]) == expected > 0


def test_unchanged_project_skips_reading_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(tmp_path, 14)
    first = scan_project(tmp_path)
    state = tmp_path / ".acme_scan" / "index.json.state"
    assert state.exists()

    import acme_scan.index.project as project_module

    def no_index(path: Path, *args: object) -> dict[str, object]:
        raise AssertionError(f"read {path}")

    with monkeypatch.context() as patch:
        patch.setattr(project_module, "load_raw_digest", no_index)
        patch.setattr(project_module, "load_vouched", no_index)
        second = scan_project(tmp_path)
        assert second.summary == first.summary
        assert second.stats.reused == second.stats.files == first.stats.files
        assert not second.written
    assert second.data == first.data  # read on demand, once the patch is gone


@pytest.mark.parametrize(
    "damage",
    [
        "replaced",
        "state-corrupt",
        "state-other-root",
        # What a crash can leave, since neither file is fsynced (`store.write_raw`):
        "index-empty",
        "index-torn",
        "index-older",
        "state-empty",
        "state-older",
    ],
)
def test_state_file_is_only_a_hint(tmp_path: Path, damage: str) -> None:
    generate(tmp_path, 14)
    scan_project(tmp_path)
    index = tmp_path / ".acme_scan" / "index.json"
    state = tmp_path / ".acme_scan" / "index.json.state"
    if damage in ("index-empty", "index-torn", "state-empty"):
        damaged = state if damage == "state-empty" else index
        damaged.write_bytes(
            index.read_bytes()[: index.stat().st_size // 2] if damage == "index-torn" else b""
        )
        (tmp_path / "proj" / "new.py").write_text("from prefect import flow\n@flow\ndef n(): ...\n")
    elif damage in ("index-older", "state-older"):
        kept = (index if damage == "index-older" else state).read_bytes()
        (tmp_path / "proj" / "new.py").write_text("from prefect import flow\n@flow\ndef n(): ...\n")
        scan_project(tmp_path)  # the write whose index (or state) the crash lost
        (index if damage == "index-older" else state).write_bytes(kept)
    elif damage == "replaced":  # another writer's index (here: one file fewer)
        victim = next(iter(sorted((tmp_path / "proj").rglob("*.py"))))
        victim.unlink()
        other = scan_project(tmp_path, write=False)
        index.write_bytes(other.to_bytes())
        victim.write_text("from prefect import flow\n\n@flow\ndef back(): ...\n")
    elif damage == "state-corrupt":
        state.write_bytes(b"{oops")
        (tmp_path / "proj" / "new.py").write_text("from prefect import flow\n@flow\ndef n(): ...\n")
    else:
        data = state.read_text().replace(tmp_path.as_posix(), "/elsewhere")
        state.write_text(data)
        (tmp_path / "proj" / "new.py").write_text("from prefect import flow\n@flow\ndef n(): ...\n")
    incremental = scan_project(tmp_path)
    cold = scan_project(tmp_path, reuse=False, write=False)
    assert incremental.data == cold.data
    assert index.read_bytes() == cold.to_bytes()


def test_no_state_file_beside_an_index_kept_elsewhere(tmp_path: Path) -> None:
    generate(tmp_path, 7)
    target = tmp_path / "out" / "flows.json"
    scan_project(tmp_path, index_path=target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["flows.json"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("line", "x"),
        ("description", ["a"]),
        ("deployable", "yes"),
        ("name", 3),
        ("line", True),  # a bool is an int to isinstance, not to the index
        ("column", 1.0),
        ("decorator_line", False),
        ("parameter_schema", []),
    ],
)
def test_an_index_with_wrong_types_is_rebuilt(tmp_path: Path, field: str, value: object) -> None:
    generate(tmp_path, 7)
    scan_project(tmp_path)
    index = tmp_path / ".acme_scan" / "index.json"
    data = orjson.loads(index.read_bytes())
    data["flows"][0][field] = value
    index.write_bytes(orjson.dumps(data))
    rebuilt = scan_project(tmp_path)
    assert rebuilt.stats.index_problem is not None
    assert f"{field} has the wrong type" in rebuilt.stats.index_problem
    assert rebuilt.data == scan_project(tmp_path, reuse=False, write=False).data
    assert rebuilt.index.flows  # validates


def test_an_index_with_its_keys_in_another_order_is_used(tmp_path: Path) -> None:
    """The structure check's quick path reads keys in the order the index writes them; valid
    data in another order (a tool rewrote the file) is still valid, not a problem."""
    generate(tmp_path, 7)
    first = scan_project(tmp_path)
    index = tmp_path / ".acme_scan" / "index.json"
    data = orjson.loads(index.read_bytes())
    data["flows"] = [dict(reversed(flow.items())) for flow in data["flows"]]
    index.write_bytes(orjson.dumps(data))
    again = scan_project(tmp_path, write=False)
    assert again.stats.index_problem is None  # valid (its records are rescanned: edited)
    assert again.data == first.data


def test_output_to_a_device_or_through_a_link(tmp_path: Path) -> None:
    generate(tmp_path, 7)
    fifo_like = tmp_path / "null"
    os.mknod(fifo_like, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    scan_project(tmp_path, index_path=fifo_like)
    assert stat.S_ISCHR(fifo_like.stat().st_mode)  # still the device
    target = tmp_path / "target.json"
    target.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    scan_project(tmp_path, index_path=link)
    assert link.is_symlink()
    assert b'"flows"' in target.read_bytes()


def _no_index_load(monkeypatch: pytest.MonkeyPatch) -> None:
    import acme_scan.index.project as project_module

    def no_index(path: Path, *args: object) -> object:
        raise AssertionError(f"the whole index was loaded: {path}")

    monkeypatch.setattr(project_module, "load_raw_digest", no_index)
    monkeypatch.setattr(project_module, "load_vouched", no_index)


@pytest.mark.parametrize("seed", range(4))
def test_changed_files_are_spliced_into_the_index_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Edits, new, deleted, renamed and touched files: the next scan replaces only their
    records in the index bytes (the index is never parsed), and the bytes, the summary and
    the state file are what a cold scan gives."""
    rng = random.Random(seed)
    generate(tmp_path, 40)
    scan_project(tmp_path)
    index = tmp_path / ".acme_scan" / "index.json"
    state = tmp_path / ".acme_scan" / "index.json.state"
    for step in range(6):
        touched = mutate(tmp_path, rng, step)
        with monkeypatch.context() as patch:
            _no_index_load(patch)
            spliced = scan_project(tmp_path)
            spliced_summary = spliced.summary
        spliced_bytes, spliced_state = index.read_bytes(), orjson.loads(state.read_bytes())
        assert spliced.stats.files - spliced.stats.reused <= len(touched) * 20
        cold = scan_project(tmp_path, reuse=False)
        assert spliced_bytes == index.read_bytes() == cold.to_bytes()
        assert spliced_summary == cold.summary
        cold_state = orjson.loads(state.read_bytes())
        for key in ("files", "index"):
            spliced_state.pop(key), cold_state.pop(key)  # mtimes differ: the files were re-read
        assert spliced_state == cold_state
        assert spliced.data == cold.data  # loaded on demand, once the patch is gone


@pytest.mark.parametrize("damage", ["lengths", "starts", "no-layout", "old-entries"])
def test_a_state_whose_layout_does_not_fit_is_a_full_scan(tmp_path: Path, damage: str) -> None:
    generate(tmp_path, 20)
    scan_project(tmp_path)
    state_path = tmp_path / ".acme_scan" / "index.json.state"
    state = orjson.loads(state_path.read_bytes())
    files = state["files"]
    if damage == "lengths":
        for entry in files.values():
            entry[5] += 1
    elif damage == "starts":
        state["layout"]["files"] += 3
    elif damage == "no-layout":
        del state["layout"]
    else:  # a state file written by 2.0's first releases: [size, mtime, status]
        state["files"] = {rel: entry[:3] for rel, entry in files.items()}
        del state["layout"]
    state_path.write_bytes(orjson.dumps(state))
    victim = sorted((tmp_path / "proj").rglob("*.py"))[3]
    victim.write_text("from prefect import flow\n\n@flow(name='changed')\ndef changed(): ...\n")
    incremental = scan_project(tmp_path)
    cold = scan_project(tmp_path, reuse=False, write=False)
    assert (tmp_path / ".acme_scan" / "index.json").read_bytes() == cold.to_bytes()
    assert incremental.summary == cold.summary
    assert "layout" in orjson.loads(state_path.read_bytes())  # the next scan can splice


def test_one_indexer_scanning_again_after_edits_equals_cold(tmp_path: Path) -> None:
    """The same Indexer (as `watch` keeps one) scans, the tree changes, it scans again:
    its data is the new index, never what it held before."""
    generate(tmp_path, 20)
    indexer = Indexer(tmp_path)
    indexer.scan()  # the bytes built and written, parsed only if asked for
    victim = sorted((tmp_path / "proj").rglob("*.py"))[2]
    victim.write_text("from prefect import flow\n\n@flow(name='edited')\ndef edited(): ...\n")
    indexer.scan()
    assert indexer.data == scan_project(tmp_path, reuse=False, write=False).data


def test_a_file_rescanned_to_the_same_record_leaves_the_index_unwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file rescanned whose record comes out the same (here: one too large to read, its
    mtime moved, so it is refused again: its record has no hash to tell it by) leaves the
    index unwritten: the splice writes, without comparing, only when a segment differs."""
    generate(tmp_path, 10)
    huge = tmp_path / "proj" / "huge.py"
    with open(huge, "wb") as handle:
        handle.write(b"from prefect import flow\n")
        handle.truncate(MAX_FILE_BYTES + 1)
    scan_project(tmp_path)
    index = tmp_path / ".acme_scan" / "index.json"
    before = index.stat()
    os.utime(huge, ns=(huge.stat().st_atime_ns, huge.stat().st_mtime_ns + 10**9))
    with monkeypatch.context() as patch:
        _no_index_load(patch)
        again = scan_project(tmp_path)
    assert not again.written
    assert again.stats.files - again.stats.reused == 1
    after = index.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert index.read_bytes() == scan_project(tmp_path, reuse=False, write=False).to_bytes()


@pytest.mark.parametrize("name", ["é", 'q"uote', "back\\slash", "tab\there", "日本"])
def test_a_name_json_escapes_is_spliced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The splice finds a record by its key as the index writes it (escaped, UTF-8)."""
    generate(tmp_path, 6)
    target = tmp_path / "proj" / f"{name}.py"
    target.write_text("from prefect import flow\n\n@flow\ndef first(): ...\n")
    scan_project(tmp_path)
    target.write_text("from prefect import flow\n\n@flow(name='second')\ndef first(): ...\n")
    with monkeypatch.context() as patch:
        _no_index_load(patch)
        spliced = scan_project(tmp_path)
    assert spliced.written
    assert spliced.stats.files - spliced.stats.reused == 1
    cold = scan_project(tmp_path, reuse=False, write=False)
    assert (tmp_path / ".acme_scan" / "index.json").read_bytes() == cold.to_bytes()
    assert [f["name"] for f in spliced.data["flows"] if f["path"] == f"proj/{name}.py"] == [
        "second"
    ]


@pytest.mark.parametrize("pool_min_bytes", [1, 10**9])
def test_a_splice_of_many_files_still_uses_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool_min_bytes: int
) -> None:
    """The old index is hashed in a thread while few changed files are scanned here; when
    enough changed for a pool, nothing else runs (a process with threads never forks), and
    either way no thread outlives the scan."""
    import threading

    from acme_scan.index import store, workers

    generate(tmp_path, 40)
    scan_project(tmp_path)
    for path in sorted((tmp_path / "proj").rglob("*.py"))[::4]:
        path.write_text(path.read_text().replace("def ", "def edited_", 1))
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", pool_min_bytes)
    monkeypatch.setattr(workers, "MIN_CHUNK_BYTES", 1)  # the 10 files in several chunks
    pids = tmp_path / "pids"
    real = workers.load_and_scan

    def spy(*args: object, **kwargs: object) -> workers.Outcome:
        with open(pids, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(workers, "load_and_scan", spy)
    hashed_in_main: list[bool] = []
    real_digest = store.digest

    def digest(data: bytes) -> str:
        hashed_in_main.append(threading.current_thread() is threading.main_thread())
        return real_digest(data)

    monkeypatch.setattr(store, "digest", digest)
    with monkeypatch.context() as patch:
        _no_index_load(patch)
        spliced = scan_project(tmp_path, workers=2)
    assert threading.active_count() == 1
    assert spliced.stats.files - spliced.stats.reused == 10
    pooled = pool_min_bytes == 1
    assert hashed_in_main == [pooled, False]  # the old bytes, then the new ones
    assert (str(os.getpid()) not in set(pids.read_text().split())) == pooled
    assert (tmp_path / ".acme_scan" / "index.json").read_bytes() == scan_project(
        tmp_path, reuse=False, write=False
    ).to_bytes()


def test_a_change_after_a_check_is_still_spliced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`acme-scan check` (the pre-commit hook) loads the up-to-date index and writes its
    state again: the state keeps the layout, so the next changed file is spliced, not the
    whole index loaded and rewritten (the first scan after every check was a full one)."""
    from acme_scan.cli import main

    generate(tmp_path, 40)
    scan_project(tmp_path)
    state = tmp_path / ".acme_scan" / "index.json.state"
    assert "layout" in orjson.loads(state.read_bytes())
    assert main(["check", str(tmp_path), "-q", "--exit-zero", "-o", str(tmp_path / "f")]) == 0
    assert "layout" in orjson.loads(state.read_bytes())
    edited = tmp_path / "proj" / "pkg_000" / "mod_00000.py"
    edited.write_text(edited.read_text() + "\n# edited\n")
    with monkeypatch.context() as patch:
        _no_index_load(patch)
        spliced = scan_project(tmp_path)
    assert spliced.stats.files - spliced.stats.reused == 1
    assert (tmp_path / ".acme_scan" / "index.json").read_bytes() == (
        scan_project(tmp_path, reuse=False, write=False).to_bytes()
    )


def test_a_check_writes_the_index_and_state_only_when_they_are_out_of_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm `acme-scan check` finds the index and its state file current: it neither
    serialises them again nor compares them with the files (15 MB on 10k files). After an
    edit, it writes both, and the next scan trusts them."""
    from acme_scan.check import runner
    from acme_scan.cli import main

    generate(tmp_path, 40)
    scan_project(tmp_path)
    folder = tmp_path / ".acme_scan"
    files = [folder / "index.json", folder / "index.json.state"]

    def written() -> list[tuple[int, bytes]]:
        return [(path.stat().st_mtime_ns, path.read_bytes()) for path in files]

    def untouched(*args: object) -> None:
        raise AssertionError("the index or its state was written again")

    before = written()
    argv = ["check", str(tmp_path), "-q", "--exit-zero", "-o", str(tmp_path / "findings")]
    with monkeypatch.context() as patch:
        patch.setattr(runner, "_write_index", untouched)
        patch.setattr(Indexer, "write_state", untouched)
        assert main(argv) == 0
    assert written() == before
    edited = tmp_path / "proj" / "pkg_000" / "mod_00000.py"
    edited.write_text(edited.read_text() + "\n# edited\n")
    assert main(argv) == 0
    after = written()
    assert [b for _, b in after] != [b for _, b in before]
    assert all(a[0] != b[0] for a, b in zip(after, before, strict=True))
    again = scan_project(tmp_path)
    assert (again.stats.reused, again.written) == (again.stats.files, False)
    assert files[0].read_bytes() == scan_project(tmp_path, reuse=False, write=False).to_bytes()


def test_reading_a_trusted_index_takes_no_file_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listing flows (the extension) or checking them reads the index's data; the files'
    stats from the state file are taken only when a later scan or write needs them."""
    import acme_scan.index.project as project_module
    from acme_scan.index.state import file_stats

    generate(tmp_path, 14)
    first = scan_project(tmp_path)
    calls: list[int] = []

    def counted(files: dict[str, list[int]]) -> dict[str, tuple[int, int]]:
        calls.append(len(files))
        return file_stats(files)

    monkeypatch.setattr(project_module, "file_stats", counted)
    indexer = Indexer(tmp_path)
    assert indexer.scan().data == first.data
    assert calls == []
    edited = tmp_path / "proj" / "pkg_000" / "mod_00000.py"
    edited.write_text(edited.read_text() + "\n# edited\n")
    indexer.scan()  # the loaded index's stats decide what is reused
    assert calls == [first.stats.files]
    assert indexer.data == scan_project(tmp_path, reuse=False, write=False).data


def test_a_small_project_is_scanned_rescanned_and_checked_without_openssl(
    tmp_path: Path,
) -> None:
    """An index below `SHA256_FROM` bytes is hashed with CPython's BLAKE2b, so `hashlib`
    (OpenSSL, ~2 ms) is never loaded: cold, after a change (the spliced index is hashed
    again) and by `check`."""
    generate(tmp_path, 30)
    heavy = ("hashlib", "_hashlib")
    code, loaded, _ = cli_in_fresh_process(["scan", str(tmp_path), "-q", "--cold"], heavy)
    assert (code, loaded) == (0, [])
    changed = sorted(tmp_path.rglob("mod_*.py"))[0]
    changed.write_text(changed.read_text() + "\n# changed\n")
    code, loaded, _ = cli_in_fresh_process(["scan", str(tmp_path), "-q"], heavy)
    assert (code, loaded) == (0, [])
    code, loaded, _ = cli_in_fresh_process(["check", str(tmp_path), "-q"], heavy)
    assert (code, loaded) == (1, [])  # findings: the corpus repeats flow names
    assert scan_project(tmp_path).stats.reused == scan_project(tmp_path).stats.files


@pytest.mark.parametrize("size", [0, 1000, store.SHA256_FROM - 1, store.SHA256_FROM])
def test_the_index_digest_is_blake2b_below_a_size_and_sha256_from_it(size: int) -> None:
    """The digest is a function of the bytes alone (whole or in pieces): BLAKE2b's below
    `SHA256_FROM` bytes, SHA-256's from there on (32 hex digits of either)."""
    import hashlib

    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    expected = (
        hashlib.sha256(data).hexdigest()[:32]
        if size >= store.SHA256_FROM
        else hashlib.blake2b(data, digest_size=16).hexdigest()
    )
    half = len(data) // 2
    assert store.digest(data) == expected
    assert store.digest([data[:half], memoryview(data)[half:]]) == expected


def test_an_index_its_state_vouches_for_is_read_without_its_field_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes a state file vouches for (size, mtime and digest) are the scanner's own:
    reading their data (as `check` and the SDK's listing do after a warm scan) skips the
    field-by-field check `load_raw_digest` makes of an index it cannot vouch for."""
    from acme_scan.index import store

    expected = generate(tmp_path, 14)
    cold = scan_project(tmp_path).data

    def no_checks(data: object) -> str | None:
        raise AssertionError("the vouched index was checked field by field")

    with monkeypatch.context() as patch:
        patch.setattr(store, "_structure_problem", no_checks)
        warm = scan_project(tmp_path)
        assert warm.stats.reused == warm.stats.files
        assert warm.data == cold
        assert len(warm.data["flows"]) == expected
    # Not vouched for (no state file): the same bytes are checked before they are reused.
    (tmp_path / ".acme_scan" / "index.json.state").unlink()
    with monkeypatch.context() as patch:
        patch.setattr(store, "_structure_problem", no_checks)
        with pytest.raises(AssertionError, match="field by field"):
            scan_project(tmp_path)


def test_an_index_changed_under_its_state_file_is_rebuilt_when_its_data_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The state file vouches for the index by its size and mtime, and its digest is checked
    when the data is first read: bytes that changed under the same size and mtime (a copy
    that keeps mtimes, a digest of another version) are a warning and a rebuild, never a
    crash (it was an AssertionError, and `check` exited 3)."""
    from acme_scan.cli import main

    expected = generate(tmp_path, 14)
    scan_project(tmp_path)
    index = tmp_path / ".acme_scan" / "index.json"
    before = index.stat()
    raw = index.read_bytes()
    index.write_bytes(raw.replace(b'"status":"parsed"', b'"status":"Parsed"', 1))
    os.utime(index, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert index.stat().st_size == before.st_size
    assert main(["check", str(tmp_path), "-q"]) in (0, 1)
    assert "changed since its state file was written" in capsys.readouterr().err
    assert index.read_bytes() == raw
    assert len(scan_project(tmp_path).data["flows"]) == expected


def test_a_state_file_of_another_digest_scheme_vouches_for_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A state file written before the digest's rule changed (no `digest_scheme`, its index
    hashed with SHA-256) is not trusted: the index is re-validated quietly, not reported
    as damaged, and the state is written anew."""
    import hashlib

    from acme_scan.cli import main

    expected = generate(tmp_path, 14)
    scan_project(tmp_path)
    index = tmp_path / ".acme_scan" / "index.json"
    state_path = tmp_path / ".acme_scan" / "index.json.state"
    state = orjson.loads(state_path.read_bytes())
    del state["digest_scheme"]
    state["index_digest"] = hashlib.sha256(index.read_bytes()).hexdigest()[:32]
    state_path.write_bytes(orjson.dumps(state))
    assert main(["check", str(tmp_path), "-q"]) in (0, 1)
    assert "WARNING" not in capsys.readouterr().err
    assert orjson.loads(state_path.read_bytes())["digest_scheme"] == store.DIGEST_SCHEME
    again = scan_project(tmp_path)
    assert again.stats.reused == again.stats.files
    assert len(again.data["flows"]) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [True, False, None], "c": {"z": (), "y": ("x",)}},
        {"include": ("src/**", 'a"b', "back\\slash", "tab\tnew\nline\r\x08\x0c")},
        {"exclude": ("\x00\x01\x1f\x7f", "é€𝄞", "\u2028\u2029", "/ <script>")},
        {"n": [0, -1, 2**63 - 1, -(2**63)], "": "", "ß": {"é": 1, "e": 2}},
    ],
)
def test_the_settings_digest_hashes_orjsons_bytes(value: dict[str, Any]) -> None:
    """`canonical_json` (standard library, off the warm path's imports) writes exactly what
    orjson writes, so the digest, which indexes and state files record, is unchanged."""
    from acme_scan.settings import canonical_json

    assert canonical_json(value) == orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def test_the_settings_digest_is_that_of_orjsons_bytes() -> None:
    from acme_scan._hashes import blake2b
    from acme_scan.settings import Settings

    settings = Settings(include=("pipelines/**",), exclude=("tests/",), frameworks=("prefect",))
    data = {name: getattr(settings, name) for name in Settings._compare if name != "index"}
    dumped = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    assert settings.digest() == blake2b(dumped, digest_size=8).hexdigest()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"[" * 200_000, id="nested-past-the-stack"),
        pytest.param(b"[" * (store.ORJSON_STATE_FROM + 10), id="large-and-nested"),
        pytest.param('{"schema_version": 1}'.encode("utf-16"), id="utf-16"),
        pytest.param(b'{"schema_version": "\xff"}', id="not-utf-8"),
        pytest.param(b'{"schema_version": NaN}', id="nan"),
        pytest.param(b"", id="empty"),
    ],
)
def test_a_state_file_that_is_not_utf8_json_is_no_state(tmp_path: Path, content: bytes) -> None:
    """Whichever parser reads it (`json` for a small one, orjson for a large one), a damaged
    state file is no state: the scan re-checks the files and completes."""
    expected = generate(tmp_path, 14)
    scan_project(tmp_path)
    state_path = tmp_path / ".acme_scan" / "index.json.state"
    assert store.load_state(state_path) is not None
    state_path.write_bytes(content)
    assert store.load_state(state_path) is None
    again = scan_project(tmp_path)
    assert len(again.data["flows"]) == expected
    assert store.load_state(state_path) is not None  # written anew


def test_small_and_large_state_files_read_as_orjson_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(tmp_path, 30)
    scan_project(tmp_path)
    state_path = tmp_path / ".acme_scan" / "index.json.state"
    expected = orjson.loads(state_path.read_bytes())
    assert store.load_state(state_path) == expected
    monkeypatch.setattr(store, "ORJSON_STATE_FROM", 0)
    assert store.load_state(state_path) == expected


@pytest.mark.parametrize("existing", [False, True])
def test_a_large_index_is_hashed_beside_its_write_and_vouched_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    """A full scan hashes a large index in a thread while the file is written (or compared
    with the one there): the state's digest is that of the bytes on disk, the next scan
    trusts them, and no thread is left running (a later pool must be able to fork)."""
    import threading

    monkeypatch.setattr(store, "SHA256_FROM", 1)  # every index is "large" (and SHA-256's)
    generate(tmp_path, 30)
    if existing:
        scan_project(tmp_path)
    started: list[str] = []
    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        started.append(self.name)
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    result = scan_project(tmp_path, reuse=False)
    assert started == ["acme-scan-digest"]
    assert threading.active_count() == 1
    index = tmp_path / ".acme_scan" / "index.json"
    assert result.written is not existing  # the same bytes are not written again
    state = orjson.loads(index.with_name("index.json.state").read_bytes())
    assert state["index_digest"] == store.digest(index.read_bytes())
    again = scan_project(tmp_path)
    assert again.stats.reused == again.stats.files == 30
