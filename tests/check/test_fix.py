"""`acme-scan check --fix/--unsafe-fixes/--diff`: fixes keep the rest of a file byte for byte."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from acme_scan.check.finding import Finding
from acme_scan.check.fix import Edit, Fix, apply_fixes
from tests.check.test_cli import Project, in_project, run

__all__ = ["in_project"]  # the fixture, shared with test_cli

CONFIG = ".acme_portal_sdk/static_flow_deploy_config.yaml"
BROKEN = (
    "# -*- a header comment -*-\n"
    "from prefect import flow\n"
    "\n"
    "\n"
    "@flow('load')  # the name, positionally\n"
    "def load(): ...\n"
    "\n"
    "\n"
    "@flow(\n"
    "    retires=3,    # misspelt, odd spacing kept\n"
    "    log_prints = True,\n"
    ")\n"
    "def retry():  # trailing comment\n"
    '    """Docstring kept."""\n'
)
FIXED = BROKEN.replace("@flow('load')", "@flow(name='load')").replace("retires=3", "retries=3")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_fix_rewrites_the_two_decorators_and_nothing_else(
    in_project: Project, capsys: pytest.CaptureFixture[str], newline: str
) -> None:
    root = in_project({"flows/etl.py": BROKEN.replace("\n", newline).encode()})
    code, out, _ = run(["check", "-q"], capsys)
    assert code == 1
    assert "flows/etl.py:5:1: AS101 [*] [error]" in out
    assert "flows/etl.py:9:1: AS106 [*] [error]" in out
    code, out, err = run(["check", "--fix"], capsys)
    assert (code, out) == (0, "")
    assert (root / "flows/etl.py").read_bytes() == FIXED.replace("\n", newline).encode()
    assert "flows/etl.py:5:1: AS101 fixed: pass 'load' as name=" in err
    assert "flows/etl.py:9:1: AS106 fixed: rename `retires` to `retries`" in err
    assert "fixed 2 problems" in err
    assert run(["check", "--strict"], capsys)[:2] == (0, "")


def test_diff_shows_the_fixes_and_changes_nothing(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = in_project({"flows/etl.py": BROKEN})
    code, out, err = run(["check", "--diff"], capsys)
    assert code == 1
    assert out.splitlines()[:2] == ["--- a/flows/etl.py", "+++ b/flows/etl.py"]
    assert "-@flow('load')  # the name, positionally" in out
    assert "+@flow(name='load')  # the name, positionally" in out
    assert "+    retries=3,    # misspelt, odd spacing kept" in out
    assert "1 file would be fixed" in err
    assert (root / "flows/etl.py").read_text() == BROKEN
    in_project({"flows/etl.py": FIXED})
    assert run(["check", "--diff"], capsys)[:2] == (0, "")


def test_unsafe_fixes_need_their_option(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        "from prefect import flow\n\nNAME = 'etl'\n\n@flow(NAME)\ndef a(): ...\n\n"
        "@flow(name='b')\ndef b(): ...\n"
    )
    root = in_project({"flows/a.py": source})
    code, out, err = run(["check", "--fix"], capsys)
    assert code == 1
    assert (root / "flows/a.py").read_text() == source
    assert "flows/a.py:5:1: AS101 not fixed: an unsafe fix (pass NAME as name=): pass " in err
    assert "--unsafe-fixes" in err
    code, out, err = run(["check", "--fix", "--unsafe-fixes", "-q"], capsys)
    fixed = (root / "flows/a.py").read_text()
    assert "@flow(name=NAME)\n" in fixed
    assert code == 0, out


def test_a_fixed_name_that_collides_is_unsafe(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = in_project(
        {
            "flows/a.py": "from prefect import flow\n\n@flow(name='a-b')\ndef a(): ...\n\n"
            "@flow(name='a/b')\ndef b(): ...\n"
        }
    )
    err = run(["check", "--fix"], capsys)[2]
    assert "AS102 not fixed: an unsafe fix (rename the flow to 'a-b' (another flow has that " in err
    assert "name='a/b'" in (root / "flows/a.py").read_text()


def test_what_cannot_be_fixed_says_why(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project(
        {
            "flows/a.py": "from prefect import flow\n\n@flow('a', 'b')\ndef a(): ...\n\n"
            "@flow(tmeout=1)\ndef b(): ...\n\n@flow(name='x' '/y')\ndef c(): ...\n"
        }
    )
    code, _, err = run(["check", "--fix"], capsys)
    assert code == 1
    assert "AS101 not fixed: more than one positional argument" in err
    assert "AS106 not fixed: `tmeout` has no single close keyword" in err
    assert "AS102 not fixed: the name is not a single string literal" in err
    assert "fixed 0 problems" in err


def test_deploy_config_fixes(in_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    config = (
        "# the deploy config\n"
        "etl:\n"
        "  work_pool: pool-a   # misspelt\n"
        "  name: etl           # 1.x only\n"
        "  cron: */5 * * * *\n"
        "other:\n"
        "  {wrk_pool_name: x}\n"
    )
    root = in_project(
        {"flows/a.py": "from prefect import flow\n\n@flow\ndef etl(): ...\n", CONFIG: config}
    )
    code, _, err = run(["check", "--fix", "--ignore", "AS302"], capsys)
    assert (root / CONFIG).read_text() == (
        "# the deploy config\n"
        "etl:\n"
        "  work_pool_name: pool-a   # misspelt\n"
        '  cron: "*/5 * * * *"\n'
        "other:\n"
        "  {work_pool_name: x}\n"
    )
    assert code == 0, err


def test_json_says_what_is_fixable(in_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    in_project(
        {
            "flows/etl.py": BROKEN,
            "flows/two.py": "from prefect import flow\n@flow('a', 'b')\ndef f(): ...\n",
        }
    )
    _, out, _ = run(["check", "-q", "--output-format", "json"], capsys)
    fixable = {(f["path"], f["code"]): f["fixable"] for f in orjson.loads(out)["findings"]}
    assert fixable == {
        ("flows/etl.py", "AS101"): True,
        ("flows/etl.py", "AS106"): True,
        ("flows/two.py", "AS101"): False,
    }
    _, out, _ = run(["check", "-q", "--statistics"], capsys)
    assert out.splitlines()[0] == "2\tAS101\t[*] positional-argument"


def test_overlapping_fixes_are_applied_one_per_run() -> None:
    finding = Finding("f.py", 1, 1, "AS101", "error", "m")
    other = Finding("f.py", 1, 2, "AS106", "error", "m")
    text, applied = apply_fixes(
        "abcdef",
        [
            (finding, Fix((Edit(1, 3, "X"),), "safe", "x")),
            (other, Fix((Edit(2, 4, "Y"),), "safe", "y")),
        ],
    )
    assert (text, applied) == ("aXdef", [finding])
    text, applied = apply_fixes("abc", [(other, Fix((Edit(3, 3, "!"),), "safe", "!"))])
    assert (text, applied) == ("abc!", [other])


def test_unreadable_files_are_not_fixed(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    source = "# coding: latin-1\nfrom prefect import flow\n\n@flow('caf\xe9')\ndef f(): ...\n"
    root = in_project({"flows/a.py": source.encode("latin-1")})
    code, _, err = run(["check", "--fix"], capsys)
    assert code == 1
    assert "AS101 not fixed: the file cannot be read as UTF-8 text" in err
    assert (root / "flows/a.py").read_bytes() == source.encode("latin-1")


def test_paths_limit_what_is_fixed(in_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = in_project({"flows/a.py": BROKEN, "flows/b.py": BROKEN})
    assert run(["check", "--fix", "-q", "flows/a.py"], capsys)[0] == 0
    assert (root / "flows/a.py").read_text() == FIXED
    assert (root / "flows/b.py").read_text() == BROKEN
    assert Path(root / "flows/b.py").exists()


def test_fixes_keep_the_mode_and_never_write_through_links(
    in_project: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = in_project({"flows/etl.py": BROKEN})
    (root / "flows/etl.py").chmod(0o750)
    outside = tmp_path / "outside.py"
    outside.write_text(BROKEN)
    (root / "flows/linked.py").symlink_to(outside)
    run(["check", "--fix"], capsys)
    assert (root / "flows/etl.py").read_text() == FIXED
    assert (root / "flows/etl.py").stat().st_mode & 0o777 == 0o750
    assert outside.read_text() == BROKEN
    assert (root / "flows/linked.py").is_symlink()
