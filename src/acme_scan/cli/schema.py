"""`acme-scan schema`: print the JSON Schema of the index file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import orjson

from acme_scan.cli import HelpFormatter
from acme_scan.models import Index


def index_schema() -> bytes:
    """The JSON Schema of the index file, as committed in `schema/index.schema.json`."""
    schema = Index.model_json_schema()
    return orjson.dumps(schema, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        formatter_class=HelpFormatter,
        prog="acme-scan schema",
        description="Print the JSON Schema of the index file.",
    )
    parser.parse_args(argv)
    sys.stdout.buffer.write(index_schema())
    return 0
