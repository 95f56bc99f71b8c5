"""The analysis's shortcuts give what the general path gives: ASCII and non-ASCII text, line
endings, encodings, docstrings, walruses and branch merges, through `scan_source`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from acme_scan import scan_source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_merged_branches_give_the_same_index_whatever_the_hash_seed() -> None:
    """A name bound to the same DAG as another (`z = y`) after a branch merge: which name the
    DAG is reported under must not depend on the order of a set of strings (the hash seed)."""
    code = (
        "import json, sys\n"
        "from acme_scan.scanner.core import scan_data\n"
        "path = sys.argv[1]\n"
        "data = scan_data(open(path, 'rb').read(), 'f03_register.py')\n"
        "print(json.dumps([(f['name'], f['qualname']) for f in data['flows']]))\n"
    )
    fixture = str(FIXTURES / "airflow" / "f03_register.py")
    answers = set()
    for seed in ("0", "1", "2", "3"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code, fixture],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
        answers.add(done.stdout)
    assert len(answers) == 1
    flows = dict(json.loads(answers.pop()))
    assert flows["r_kept_alias"] == "y"  # the first name bound to it


def scan(code: str | bytes) -> dict[str, object]:
    source = textwrap.dedent(code).encode() if isinstance(code, str) else code
    return scan_source(source, "m.py").model_dump(mode="json")
