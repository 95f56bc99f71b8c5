"""Which project a command works on: found from its paths (or the cwd), as ruff finds it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from acme_portal_sdk._main import main as aps
from acme_scan.cli import main
from acme_scan.root import find_root
from tests.conftest import git

FLOW = "from prefect import flow\n\n@flow(name={name!r})\ndef {function}(): ...\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A folder holding a git project `proj` (settings exclude `legacy/`) and another one."""
    proj = tmp_path / "ws" / "proj"
    files = {
        "pyproject.toml": '[project]\nname = "proj"\n\n[tool.acme-scan]\nexclude = ["legacy/"]\n',
        "src/pkg/etl.py": FLOW.format(name="etl", function="etl"),
        "src/pkg/nested/deep.py": FLOW.format(name="deep", function="deep"),
        "legacy/etl.py": FLOW.format(name="etl", function="old_etl"),  # a duplicate, excluded
        "top.py": FLOW.format(name="top", function="top"),
    }
    for rel, text in files.items():
        (proj / rel).parent.mkdir(parents=True, exist_ok=True)
        (proj / rel).write_text(text, encoding="utf-8")
    git(proj, "init", "-q")
    other = tmp_path / "ws" / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    (other / "x.py").write_text(FLOW.format(name="x", function="x"), encoding="utf-8")
    return tmp_path / "ws"


def run(
    argv: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_rule(workspace: Path, tmp_path: Path) -> None:
    proj = workspace / "proj"
    assert find_root(proj / "src" / "pkg") == proj  # [tool.acme-scan]
    assert find_root(proj / "src" / "pkg" / "etl.py") == proj
    assert find_root(workspace / "other" / "x.py") == workspace / "other"  # a pyproject.toml
    (proj / "src" / "pyproject.toml").write_text('[project]\nname = "sub"\n', encoding="utf-8")
    assert find_root(proj / "src" / "pkg") == proj  # the one with the section wins
    plain = tmp_path / "plain"
    (plain / "a" / "b").mkdir(parents=True)
    git(plain, "init", "-q")
    assert find_root(plain / "a" / "b") == plain  # the git work tree's top
    loose = tmp_path / "loose" / "sub"
    loose.mkdir(parents=True)
    assert find_root(loose) == loose  # the start folder


@pytest.mark.parametrize(
    ("where", "paths"),
    [
        ("proj", []),
        ("proj/src/pkg", []),
        ("proj/src/pkg/nested", []),
        (".", ["--root", "proj"]),
        (".", ["proj"]),
        ("proj/src", ["pkg"]),
    ],
)
def test_same_project_from_anywhere(
    workspace: Path,
    where: str,
    paths: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["scan", *paths, "-o", "-", "-q"], workspace / where, monkeypatch, capsys)
    assert code == 0, err
    index = orjson.loads(out)
    assert [(f["path"], f["entrypoint"]) for f in index["flows"]] == [
        ("src/pkg/etl.py", "src/pkg/etl.py:etl"),
        ("src/pkg/nested/deep.py", "src/pkg/nested/deep.py:deep"),
        ("top.py", "top.py:top"),
    ]
    assert not (workspace / where / ".acme_scan").exists() or where == "proj"
    code, out, err = run(
        ["check", "--format", "json", "-q", *paths], workspace / where, monkeypatch, capsys
    )
    assert code == 0, err  # legacy/ stays excluded: no duplicate name
    assert where == "proj" or not (workspace / where / ".acme_scan").exists()
    data = orjson.loads(out)
    assert data["root"] == (workspace / "proj").resolve().as_posix()
    assert data["summary"]["files_scanned"] == 3


def test_check_paths_from_a_parent_folder(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "proj" / "src" / "pkg" / "dup.py").write_text(
        FLOW.format(name="etl", function="again"), encoding="utf-8"
    )
    code, out, err = run(["check", "proj/src/pkg/dup.py"], workspace, monkeypatch, capsys)
    assert code == 1
    assert out.splitlines()[0].startswith("proj/src/pkg/dup.py:4:1: AS201")  # cwd-relative
    assert "3 files" not in err
    assert "4 files" in err
    code, out, _ = run(["check"], workspace / "proj" / "src" / "pkg", monkeypatch, capsys)
    assert code == 1
    assert "dup.py:4:1: AS201" in out
    assert "etl.py:4:1: AS201" in out
    code, out, _ = run(["check"], workspace / "proj" / "legacy", monkeypatch, capsys)
    assert "../src/pkg/dup.py:4:1: AS201" in out  # printed relative to the cwd


def test_paths_of_two_projects_or_outside_the_root_are_usage_errors(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["check", "proj/top.py", "other/x.py"], workspace, monkeypatch, capsys)
    assert code == 2
    assert "2 projects" in err
    assert "proj/top.py" in err
    assert "other/x.py" in err
    code, out, err = run(["check", "--root", "proj", "other/x.py"], workspace, monkeypatch, capsys)
    assert (code, out) == (2, "")
    assert "outside the project root" in err
    assert "no problems" not in err
    code, _, err = run(["scan", "other", "--root", "proj"], workspace, monkeypatch, capsys)
    assert code == 2
    assert "outside the project root" in err
    code, _, err = run(["scan", "--root", "/nonexistent/x"], workspace, monkeypatch, capsys)
    assert code == 2
    assert "/nonexistent/x: no such directory" in err


def test_an_empty_project_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run(["scan"], tmp_path / "empty", monkeypatch, capsys)
    assert code == 0
    assert "warning: no Python files found in ." in err
    code, _, err = run(["check", "--no-write"], tmp_path / "empty", monkeypatch, capsys)
    assert code == 0
    assert "warning: no Python files found" in err


def test_aps_finds_the_project_root(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = workspace / "proj"
    monkeypatch.chdir(proj / "src" / "pkg")
    assert aps(["check-config"]) == 1
    out = capsys.readouterr().out
    assert f"missing file {proj / '.acme_portal_sdk' / 'flow_finder.py'}" in out
    assert aps(["deploy", "--env", "dev", "--root", "/nonexistent/x", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "/nonexistent/x: no such directory" in err
    assert "git" not in err
    assert aps(["check-config", "--project-dir", "/nonexistent/x"]) == 2


def test_a_folder_named_from_a_shared_or_system_folder_is_its_own_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`acme-scan scan some/folder` run from a folder that can be no project (`/`, a shared
    world-writable temp folder) scans that folder, never the whole cwd."""
    shared = tmp_path / "shared"
    loose = shared / "loose"
    loose.mkdir(parents=True)
    shared.chmod(0o1777)
    (loose / "a.py").write_text(FLOW.format(name="a", function="a"), encoding="utf-8")
    (shared / "stray.py").write_text(FLOW.format(name="s", function="s"), encoding="utf-8")
    for cwd, path in ((shared, "loose"), (Path("/"), str(loose))):
        code, _out, err = run(["scan", path, "-q"], cwd, monkeypatch, capsys)
        assert code == 0, err
        index = orjson.loads((loose / ".acme_scan" / "index.json").read_bytes())
        assert [f["path"] for f in index["flows"]] == ["a.py"]
        assert not (shared / ".acme_scan").exists()
