"""PrefectFlowFinder: the scanner's index mapped to the extension's FlowDetails."""

from __future__ import annotations

from pathlib import Path

import pytest

from acme_portal_sdk import FlowFinder
from acme_portal_sdk.errors import InputError
from acme_portal_sdk.prefect.flow_finder import PrefectFlowFinder, module_path
from acme_scan.errors import RootError
from tests.conftest import WriteFiles

HELLO = '''\
from prefect import flow


@flow(name="hello-world")
def hello_world():
    """Say hi."""


@flow
async def second_flow(): ...


def factory():
    @flow
    def nested(): ...

    return nested
'''

PACKAGE_FLOW = (
    "from prefect import flow\n\n@flow(description='In a package.')\ndef pkg_flow(): ...\n"
)


@pytest.fixture
def project(write_files: WriteFiles) -> Path:
    return write_files({"flows/etl/hello.py": HELLO, "pkg/__init__.py": PACKAGE_FLOW})


def test_flow_details(project: Path) -> None:
    flows = PrefectFlowFinder(project)()
    root = project.resolve()
    assert [f["name"] for f in flows] == ["hello_world", "second_flow", "pkg_flow"]
    hello = flows[0]
    assert {k: v for k, v in hello.items() if k != "id"} == {
        "name": "hello_world",
        "original_name": "hello-world",
        "description": "Say hi.",
        "source_path": str(root / "flows" / "etl" / "hello.py"),
        "source_relative": "flows/etl/hello.py",
        "line_number": 5,
        "grouping": ["flows", "etl"],
        "child_attributes": {
            "obj_name": "hello_world",
            "module": "flows.etl.hello",
            "import_path": f"{root.name}.flows.etl.hello",
            "entrypoint": "flows/etl/hello.py:hello_world",
        },
    }
    assert flows[1]["description"] == ""
    assert flows[2]["child_attributes"]["module"] == "pkg"
    assert flows[2]["grouping"] == ["pkg"]


def test_ids_are_unique_and_stable(project: Path) -> None:
    first = PrefectFlowFinder(project)()
    second = PrefectFlowFinder(project, write_index=False)()
    assert [f["id"] for f in first] == [f["id"] for f in second]
    assert len({f["id"] for f in first}) == len(first)


def test_selective_refetch(project: Path) -> None:
    finder = PrefectFlowFinder(project)
    flows = finder()
    assert finder(flows_to_fetch=[{**flows[1], "extra": 1}], flow_groups=None) == [flows[1]]
    assert [f["name"] for f in finder(flow_groups=["pkg"])] == ["pkg_flow"]


def test_write_index_false_writes_nothing(project: Path) -> None:
    PrefectFlowFinder(project, write_index=False)()
    assert not (project / ".acme_scan").exists()


def test_constructor_does_no_io(tmp_path: Path) -> None:
    finder = PrefectFlowFinder(tmp_path / "missing")
    assert isinstance(finder, FlowFinder)
    with pytest.raises(InputError, match="not a directory") as info:
        finder()
    assert isinstance(info.value.__cause__, RootError)


def test_invalid_scan_settings_are_an_input_error(write_files: WriteFiles) -> None:
    root = write_files({"pyproject.toml": "[tool.acme-scan\n"})
    with pytest.raises(InputError, match="not valid TOML") as info:
        PrefectFlowFinder(root)()
    assert info.value.exit_code == 2


def test_default_root_is_the_current_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    assert len(PrefectFlowFinder()()) == 3


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("a.py", "a"),
        ("pkg/sub/mod.py", "pkg.sub.mod"),
        ("pkg/__init__.py", "pkg"),
        ("__init__.py", "__init__"),
    ],
)
def test_module_path(relative: str, expected: str) -> None:
    assert module_path(relative) == expected
