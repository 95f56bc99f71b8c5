"""The speed-ups change nothing: prefilter soundness, ast-aligned positions, the worker pool."""

from __future__ import annotations

import ast
import contextlib
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from acme_scan import scan_project, scan_source
from acme_scan._collector import THRESHOLDS
from acme_scan.index import workers
from acme_scan.scanner import _parse as scanner_parse
from acme_scan.scanner import could_define_flows
from benchmarks.generate import generate
from tests.conftest import FIXTURES

ROOT = Path(__file__).parents[2]

POSITION_CASES = {
    "decorators": """
        import prefect
        from prefect import flow

        @flow
        @other
        def a(x: int = 1): ...

        class K:
            @flow(name="k")
            @staticmethod
            def m(): ...
        """,
    "semicolons_and_unicode": """
        from prefect import flow
        def f(): pass
        é = "ü"; g = flow(f); h = g.with_options(name="h")
        x: object = flow(name="x")(f)
        """,
    "compound": """
        from prefect import flow
        try:
            import os
        except ImportError:
            pass
        else:
            @flow
            def in_else(): ...
        finally:
            pass
        for i in range(3):
            pass
        else:
            @flow
            async def in_for_else(): ...
        while False:
            pass
        with open("x") as fh:
            @flow
            def in_with(): ...
        match 1:
            case 1:
                @flow
                def in_match(): ...
            case _:
                pass
        if True: pass
        elif False:
            @flow
            def in_elif(): ...
        else:
            pass
        def outer():
            @flow(name="in/valid")
            def bad(): ...
            @flow
            def nested(): ...
        @flow("positional")
        def positional(): ...
        y = flow(unknown_function)
        """,
}


@pytest.mark.parametrize("case", sorted(POSITION_CASES))
def test_libcst_fallback_scans_exactly_like_cpython(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The LibCST path (lowered to `ast`) gives the same scan as CPython's parser."""
    source = textwrap.dedent(POSITION_CASES[case]).encode()
    fast = scan_source(source, "m.py")
    assert fast.flows or fast.diagnostics

    def rejected(text: str, filename: str) -> ast.Module:
        raise SyntaxError("invalid syntax")

    monkeypatch.setattr(scanner_parse, "_cpython_parse", rejected)
    assert scan_source(source, "m.py") == fast


def test_newer_syntax_positions() -> None:
    source = b"from prefect import flow\ntype Alias = int\n\n@flow\ndef f[T](x: T): ...\n"
    result = scan_source(source, "m.py")
    assert [(f.name, f.line, f.decorator_line, f.end_line) for f in result.flows] == [
        ("f", 5, 4, 5)
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"import prefect\n@prefect.flow\ndef f(): ...", True),
        (b"import os, prefect.flows as pf\nflow", True),
        (b"from prefect import flow", True),
        (b"from  prefect . flows import (\n    flow,\n)", True),
        (b"import os, \\\n    prefect\nflow", True),
        (b"from \\\n prefect import flow", True),
        (b"from prefect.client import get_client  # a flow helper", False),
        (b"# uses prefect's flow\nimport os", False),
        (b"from .prefect import flow", False),
        (b"import myprefect\nflow", False),
        (b"from metaflow import flow", False),
    ],
)
def test_prefilter_cases(source: bytes, expected: bool) -> None:
    assert could_define_flows(source) is expected


def corpus() -> list[Path]:
    files = sorted((FIXTURES).rglob("*.py")) + sorted((ROOT / "examples").rglob("*.py"))
    return [path for path in files if path.is_file()]


def test_prefilter_never_drops_a_flow(tmp_path: Path) -> None:
    generate(tmp_path, 70)
    paths = corpus() + sorted(tmp_path.rglob("*.py"))
    checked = 0
    for path in paths:
        data = path.read_bytes()
        full = scan_source(data, "m.py", prefilter=False)
        if full.flows or any(d.code.startswith("AS1") for d in full.diagnostics):
            checked += 1
            assert could_define_flows(data), path
            assert scan_source(data, "m.py") == full
    assert checked > 40


def test_pool_and_inline_scans_are_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pool is used by bytes of source; make this small corpus use it, in many chunks.
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(workers, "CHUNK_BYTES", 20_000)
    assert len(workers._chunks([workers.Job(f"{i}", None, 1000) for i in range(500)])) == 25
    expected = generate(tmp_path, 500)
    pooled = scan_project(tmp_path, write=False, workers=2).index
    inline = scan_project(tmp_path, write=False, workers=1).index
    assert pooled == inline
    assert len(pooled.flows) == expected


#: A flow module whose strings hold invalid escape sequences: CPython warns while parsing it
#: (DeprecationWarning on 3.11, SyntaxWarning from 3.12), and a warning made an error turns
#: into a SyntaxError.
_WARNS = (
    'from prefect import flow\n\nPATTERN = "\\d+"\n\n\n@flow\ndef f{i}() -> None:\n    """\\w"""\n'
)


@pytest.mark.parametrize("count", [1, 2])
def test_warnings_made_errors_never_fail_a_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    """Inline (one `catch_warnings` a file) and in workers (one a chunk, inherited filters
    that make every warning an error): the modules scan, and the filters are as before."""
    import warnings

    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(workers, "MIN_CHUNK_BYTES", 1)
    for i in range(8):
        (tmp_path / f"m{i}.py").write_text(_WARNS.format(i=i))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(SyntaxError):
            compile(_WARNS.format(i=0), "m.py", "exec")  # the module does warn
        before = list(warnings.filters)
        index = scan_project(tmp_path, write=False, workers=count).index
        assert warnings.filters == before
    assert sorted(str(flow.name) for flow in index.flows) == [f"f{i}" for i in range(8)]
    assert not index.diagnostics
    assert not _ignoring()


def _ignoring() -> bool:
    return scanner_parse._Warnings.ignored


def test_warnings_ignored_nests_and_restores() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = list(warnings.filters)
        with scanner_parse.warnings_ignored():
            with scanner_parse.warnings_ignored():
                assert _ignoring()
                assert isinstance(
                    scanner_parse.parse(_WARNS.format(i=0), "m.py"), scanner_parse.Parsed
                )
            assert _ignoring()  # the outer block still ignores them
            warnings.warn("ignored", UserWarning, stacklevel=1)
        assert not _ignoring()
        assert warnings.filters == before
        with pytest.raises(UserWarning):
            warnings.warn("an error again", UserWarning, stacklevel=1)


def test_files_are_opened_relative_to_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inline, every file is opened by its path relative to one descriptor of the root; where
    the root cannot be opened as a folder, by its full path, with the same result."""
    generate(tmp_path, 30)
    real = os.open
    opened: list[tuple[str, bool]] = []

    def spy(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith(".py"):
            opened.append((str(path), kwargs.get("dir_fd") is not None))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    relative = scan_project(tmp_path, write=False, workers=1).index
    assert opened
    assert all(by_fd and not os.path.isabs(path) for path, by_fd in opened)
    opened.clear()
    monkeypatch.setattr(workers, "root_folder", _no_folder)
    full = scan_project(tmp_path, write=False, workers=1).index
    assert opened
    assert all(not by_fd and os.path.isabs(path) for path, by_fd in opened)
    assert relative == full


@contextlib.contextmanager
def _no_folder(root: Any) -> Iterator[None]:
    yield None


def test_a_pooled_scan_loads_each_module_once_not_in_every_worker(tmp_path: Path) -> None:
    """What the workers use is loaded before they are forked: `-X importtime` (which every
    process of the scan inherits) lists each of orjson and ctypes once."""
    import subprocess
    import sys

    generate(tmp_path, 1000)  # ~330 KB of source: pooled (POOL_MIN_BYTES)
    command = [sys.executable, "-X", "importtime", "-m", "acme_scan", "scan", str(tmp_path)]
    done = subprocess.run([*command, "-q", "--cold"], capture_output=True, text=True, check=True)
    loaded = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert loaded.count("acme_scan.index.forks") == 1  # it was pooled
    assert loaded.count("orjson.orjson") == 1  # the compiled module, loaded by one process
    if sys.platform.startswith("linux"):
        assert loaded.count("ctypes") == 1


def test_few_large_files_are_cut_into_enough_chunks_for_every_worker() -> None:
    jobs = [workers.Job(f"{i}", None, 20_000) for i in range(80)]  # 1.6 MB of large modules
    chunks = workers._chunks(jobs, 2)
    assert len(chunks) >= 2 * workers.CHUNKS_PER_WORKER
    assert [job for chunk in chunks for job in chunk] == jobs
    many = [workers.Job(f"{i}", None, 300) for i in range(10_000)]
    assert max(len(chunk) for chunk in workers._chunks(many, 2)) <= workers.CHUNK_FILES
    tiny = [workers.Job(f"{i}", None, 100) for i in range(100)]  # never below MIN_CHUNK_BYTES
    assert len(workers._chunks(tiny, 2)) == 1


@pytest.mark.parametrize(("files", "size"), [(10_000, 300), (80, 20_000), (500, 1_000)])
def test_the_last_chunks_are_smaller_so_workers_end_together(files: int, size: int) -> None:
    jobs = [workers.Job(f"{i}", None, size) for i in range(files)]
    chunks = workers._chunks(jobs, 2)
    assert [job for chunk in chunks for job in chunk] == jobs
    bytes_of = [sum(job.size for job in chunk) for chunk in chunks]
    tail = 4 * workers.TAPERED * 2  # the last TAPERED chunks per worker, in quarters
    assert max(bytes_of[-tail:]) <= max(bytes_of) / 2
    assert min(bytes_of[:-tail]) >= max(bytes_of[-tail:])
    assert workers._chunks(jobs, 1) == workers._chunks(jobs)  # one worker: no tail to even


@pytest.mark.parametrize("count", [1, 2])
def test_a_scan_restores_the_collector_thresholds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    import gc

    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 1)
    generate(tmp_path, 40)
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    real = workers.load_and_scan

    def spy(*args: Any, **kwargs: Any) -> workers.Outcome:
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)

    monkeypatch.setattr(workers, "load_and_scan", spy)
    scan_project(tmp_path, write=False, workers=count)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    if count == 1:  # inline: the spy saw the raised threshold
        assert seen
        assert all(t == THRESHOLDS for t in seen)


def test_git_is_not_run_outside_any_git_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project with no `.git` above it is walked without starting git (which would only
    say "not a git repository"); inside a work tree, git is asked as before."""
    calls = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexit 128\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    for name in ("GIT_DIR", "GIT_WORK_TREE"):
        monkeypatch.delenv(name, raising=False)
    project = tmp_path / "project"
    generate(project, 3)
    if any((parent / ".git").exists() for parent in project.parents):
        pytest.skip("the temporary folder is inside a git work tree")
    assert len(scan_project(project, write=False).data["flows"]) > 0
    assert not calls.exists()
    (project / ".git").mkdir()
    scan_project(project, write=False)
    assert "ls-files" in calls.read_text()


def test_fewer_collections_raises_the_thresholds_and_restores_them() -> None:
    import gc

    from acme_scan._collector import fewer_collections

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 500, 5)  # a caller's own second threshold, higher than ours
        with fewer_collections():
            assert gc.get_threshold() == (THRESHOLDS[0], 500, THRESHOLDS[2])
            with fewer_collections():  # nested: the same, and the outer block's after
                assert gc.get_threshold() == (THRESHOLDS[0], 500, THRESHOLDS[2])
            assert gc.get_threshold() == (THRESHOLDS[0], 500, THRESHOLDS[2])
        assert gc.get_threshold() == (700, 500, 5)
    finally:
        gc.set_threshold(*before)


def test_commands_and_listings_run_with_fewer_collections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line holds the raised thresholds for the whole command (a check parses
    the index: a million objects), the SDK for a listing; both restore them."""
    import gc

    from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder
    from acme_scan.cli import main
    from acme_scan.index import project

    generate(tmp_path, 14)
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    real = project.Indexer.scan

    def spy(self: project.Indexer, **kwargs: Any) -> project.ProjectScan:
        seen.append(gc.get_threshold())
        return real(self, **kwargs)

    monkeypatch.setattr(project.Indexer, "scan", spy)
    assert main(["check", str(tmp_path), "-q", "--exit-zero"]) == 0
    assert len(PrefectFlowFinder(tmp_path)()) > 0
    assert len(PrefectFlowFinder(tmp_path).list_flows()) > 0
    assert len(seen) >= 3
    assert all(t[0] == THRESHOLDS[0] for t in seen)
    assert gc.get_threshold() == before
    # `index()` validates the whole index into models after the scan: under them too.
    from acme_scan.models import Index

    validated: list[tuple[int, int, int]] = []
    real_validate = Index.model_validate

    def validate(data: Any) -> Index:
        validated.append(gc.get_threshold())
        return real_validate(data)

    monkeypatch.setattr(Index, "model_validate", validate)
    assert len(PrefectFlowFinder(tmp_path).index().flows) > 0
    assert validated
    assert all(t[0] == THRESHOLDS[0] for t in validated)
    assert gc.get_threshold() == before
