"""`acme-scan check` and `acme-scan rules` through the CLI: formats, exit codes, the index."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

import orjson
import pytest

from acme_scan.check.rules import RULES
from acme_scan.cli import main
from tests.conftest import WriteFiles, cli_in_fresh_process, git

ROOT = Path(__file__).parent.parent.parent
DUPLICATES = {
    "flows/a.py": "from prefect import flow\n\n@flow\ndef etl(): ...\n",
    "flows/b.py": "from prefect import flow\n\n@flow(name='etl')\ndef other(): ...\n",
}
NESTED = {
    "flows/n.py": "from prefect import flow\n\ndef outer():\n    @flow\n    def inner(): ...\n"
}
CLEAN = {"flows/a.py": DUPLICATES["flows/a.py"]}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits with 2 itself
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


Project = Callable[[Mapping[str, str | bytes]], Path]


@pytest.fixture
def in_project(write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Write files and make the project the current directory (as pre-commit does)."""

    def write(files: Mapping[str, str | bytes]) -> Path:
        root = write_files(dict(files))
        monkeypatch.chdir(root)
        return root

    return write


def test_human_format_and_exit_1(in_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    in_project({**DUPLICATES, **NESTED})
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert out == (
        "flows/a.py:4:1: AS201 [error] flow name 'etl' is also defined at flows/b.py:4:1: "
        "Prefect would treat them as one flow; give each a distinct name=\n"
        "\n"
        "flows/b.py:4:1: AS201 [error] flow name 'etl' is also defined at flows/a.py:4:1: "
        "Prefect would treat them as one flow; give each a distinct name=\n"
        "\n"
        "flows/n.py:5:5: AS105 [warning] flow `outer.<locals>.inner` is defined inside a "
        "function: Prefect cannot load it from an entrypoint; move it to module level to "
        "deploy it\n"
    )
    assert re.fullmatch(
        r"acme-scan check: 2 errors, 1 warning in 3 files \(whole project; 3 files, 3 flows "
        r"scanned; \d+\.\d\ds\)\n",
        err,
    )


def test_paths_relative_to_the_current_directory(
    in_project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = in_project(DUPLICATES)
    monkeypatch.chdir(root.parent)
    code, out, _ = run(["check", "--root", "project", "project/flows/b.py", "-q"], capsys)
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines() if line] == [
        "project/flows/a.py",
        "project/flows/b.py",
    ]


def test_warnings_pass_unless_strict(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project(NESTED)
    assert run(["check"], capsys)[0] == 0
    assert run(["check", "--strict"], capsys)[0] == 1
    assert run(["check", "--strict", "--ignore", "AS105"], capsys)[0] == 0


def test_clean_project(in_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    in_project(CLEAN)
    code, out, err = run(["check", "--strict"], capsys)
    assert (code, out) == (0, "")
    assert err.startswith("acme-scan check: no problems (whole project; 1 files, 1 flows")


def test_json_format(in_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = in_project({**DUPLICATES, **NESTED})
    code, out, err = run(["check", "--output-format", "json", "-q", "flows/b.py"], capsys)
    assert (code, err) == (1, "")
    data = orjson.loads(out)
    assert data["version"] == 1
    assert data["root"] == root.resolve().as_posix()
    assert data["paths"] == ["flows/b.py"]
    assert data["summary"] == {
        "errors": 2,
        "warnings": 0,
        "info": 0,
        "suppressed": 0,
        "files_scanned": 3,
        "flows": 3,
    }
    assert data["findings"][0] == {
        "path": "flows/a.py",
        "line": 4,
        "column": 1,
        "code": "AS201",
        "name": "duplicate-name",
        "severity": "error",
        "message": "flow name 'etl' is also defined at flows/b.py:4:1: Prefect would treat "
        "them as one flow; give each a distinct name=",
        "fixable": False,
        "related": [{"path": "flows/b.py", "line": 4, "column": 1}],
    }


def test_github_format(in_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    in_project(
        {
            **NESTED,
            ".acme_portal_sdk/static_flow_deploy_config.yaml": "x,y: {}\n",
            "flows/bad.py": "from prefect import flow\n\n@flow(name='50%')\ndef f(): ...\n",
        }
    )
    code, out, _ = run(["check", "--output-format", "github", "-q"], capsys)
    assert code == 1
    assert out.splitlines() == [
        "::error file=.acme_portal_sdk/static_flow_deploy_config.yaml,line=1,col=1,"
        "title=AS302::no flow named 'x,y' in the project",
        "::error file=flows/bad.py,line=3,col=1,title=AS102::flow name '50%25' contains '%25', "
        "which Prefect rejects (InvalidNameError at import): it must not contain / %25 & < >",
        "::warning file=flows/n.py,line=5,col=5,title=AS105::flow `outer.<locals>.inner` is "
        "defined inside a function: Prefect cannot load it from an entrypoint; move it to "
        "module level to deploy it",
    ]


def test_usage_errors(in_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    in_project({**CLEAN, "pyproject.toml": "[tool.acme-scan]\nignore = ['AS9']\n"})
    code, _, err = run(["check"], capsys)
    assert code == 2
    assert "[tool.acme-scan]: 'ignore': no rule matches 'AS9'" in err
    in_project(CLEAN)
    for argv, message in [
        (["check", "--output-format", "xml"], "invalid choice: 'xml'"),
        (["check", "missing.py"], "missing.py: no such file or directory"),
        (["check", "--root", "nowhere"], "no such directory"),
        (["check", "--select", "AS7"], "--select: no rule matches 'AS7'"),
        (["rules", "AS999"], "no rule matches 'AS999'"),
    ]:
        code, _, err = run(argv, capsys)
        assert code == 2, argv
        assert message in err


def test_internal_error_exits_3(
    in_project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    in_project(CLEAN)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("acme_scan.check.runner.check_flows", boom)
    code, _, err = run(["check"], capsys)
    assert code == 3
    assert "internal error" in err


def test_check_writes_the_index_unless_told_not_to(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = in_project(CLEAN)
    index = root / ".acme_scan" / "index.json"
    assert run(["check", "--no-write"], capsys)[0] == 0
    assert not index.exists()
    assert run(["check"], capsys)[0] == 0
    assert orjson.loads(index.read_bytes())["flows"][0]["name"] == "etl"
    assert (root / ".acme_scan" / ".gitignore").read_text() == "# created by acme-scan\n*\n"


def test_check_never_writes_a_tracked_index(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = in_project({**CLEAN, "pyproject.toml": "[tool.acme-scan]\nindex = 'flows.json'\n"})
    git(root, "init", "-q")
    (root / "flows.json").write_text("{}\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    assert run(["check"], capsys)[0] == 0
    assert (root / "flows.json").read_text() == "{}\n"
    assert git(root, "status", "--porcelain") == ""
    assert run(["scan", "-q"], capsys)[0] == 0  # scan does write it
    assert git(root, "status", "--porcelain") == " M flows.json\n"


def test_a_renamed_flow_refuses_the_commit_that_renames_it(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ".acme_portal_sdk/static_flow_deploy_config.yaml"
    root = in_project({**CLEAN, config: "etl:\n  cron: '@daily'\n", "flows/c.py": "x = 1\n"})
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    (root / "flows/a.py").write_text(CLEAN["flows/a.py"].replace("etl", "extract"))
    code, out, _ = run(["check", "-q", "flows/a.py"], capsys)
    assert code == 1
    assert out == (
        f"{config}:1:1: AS302 [error] no flow named 'etl' in the project (the committed "
        "version defined it at flows/a.py:4: renamed or removed?)\n"
    )
    assert run(["check", "-q", "flows/c.py"], capsys)[:2] == (0, "")  # does not touch it
    assert run(["check", "-q", config], capsys)[0] == 1


def test_rules_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["CODE", "NAME", "SEVERITY", "DEFAULT", "SUMMARY"]
    assert [line.split()[0] for line in lines[1:]] == [rule.code for rule in RULES]
    assert "AS211  missing-description" in out
    code, out, _ = run(["rules", "duplicate-name", "AS30"], capsys)
    assert out.startswith("AS201 duplicate-name [error, on by default]\n")
    assert "AS301 deploy-config-invalid" in out
    code, out, _ = run(["rules", "--format", "json", "AS212"], capsys)
    assert orjson.loads(out)[0]["default"] is False


def test_readme_documents_every_rule() -> None:
    readme = (ROOT / "README.md").read_text()
    for rule in RULES:
        if rule.origin == "scanner":
            assert f"| {rule.code} | {rule.severity} |" in readme, rule.code
        else:
            default = "on" if rule.default else "opt-in"
            row = f"| {rule.code} | {rule.name} | {rule.severity} | {default} | {rule.summary} |"
            assert row in readme, rule.code


@pytest.mark.parametrize("warm", [False, True])
def test_check_loads_neither_pydantic_nor_libcst(write_files: WriteFiles, warm: bool) -> None:
    """The pre-commit hook's command reads the index's data through views (importing the
    pydantic models alone cost ~0.17 s, twice what checking a small project takes), and
    PyYAML only when there is a deploy config. On an index that is up to date, the scanner
    is not even loaded."""
    root = write_files(dict(DUPLICATES))
    if warm:
        assert main(["scan", str(root), "-q"]) == 0
    heavy: tuple[str, ...] = ("libcst", "pydantic", "acme_scan.models", "yaml")  # no config
    heavy += ("acme_scan.scanner",) if warm else ()
    argv = ["check", str(root), "--output-format", "json"]
    code, loaded, stdout = cli_in_fresh_process(argv, heavy)
    assert (code, loaded) == (1, [])  # findings, and nothing heavy loaded
    codes = {finding["code"] for finding in orjson.loads(stdout)["findings"]}
    assert "AS201" in codes  # the duplicate `etl` name: the flows were checked
