"""Fixes of the deploy config, where the intended text is certain.

- AS301 a plain value YAML misreads (`cron: */5 * * * *`): quote it (`cron: "*/5 * * * *"`).
- AS303 an unknown key with exactly one close allowed key (`work_pool:`): rename it
  (`work_pool_name:`), unless that key is set already.
- AS307 a key the deploy workflow never reads (`name:`, `import_path:`): remove its line,
  when key and value are alone on it.

All are safe. The YAML is composed (nodes with positions) to find the key's mapping;
edits touch only the key, the value or the one line.
"""

from __future__ import annotations

import difflib
import json
import re

import yaml

from acme_scan.check.deploy_config import _INDICATORS, ALLOWED_KEYS, _Loader
from acme_scan.check.finding import Finding
from acme_scan.check.fix import Edit, Fix, Project, Source

#: How close (difflib's ratio) a misspelling must be to its one replacement to be fixed.
CUTOFF = 0.75
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.\-]+")
_STR_TAG = "tag:yaml.org,2002:str"


def _pair_at(
    text: str, finding: Finding
) -> tuple[yaml.MappingNode, yaml.ScalarNode, yaml.Node] | str:
    try:
        document = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return "the file is not valid YAML"
    stack: list[yaml.Node] = [document] if document is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                mark = key.start_mark
                if isinstance(key, yaml.ScalarNode) and (mark.line + 1, mark.column + 1) == (
                    finding.line,
                    finding.column,
                ):
                    return node, key, value
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return "no key at the reported position (was the file changed?)"


def fix_unknown_key(text: str, finding: Finding, project: Project) -> Fix | str:
    """AS303: rename a misspelt key of an entry to the one allowed key it is close to."""
    found = _pair_at(text, finding)
    if isinstance(found, str):
        return found
    mapping, key, _ = found
    word = str(key.value)
    if key.style not in (None, "") or not _PLAIN_KEY.fullmatch(word):
        return "the key is quoted or not a plain word"
    close = difflib.get_close_matches(word, ALLOWED_KEYS, n=2, cutoff=CUTOFF)
    if len(close) != 1:
        return f"{word!r} has no single close allowed key"
    present = {str(k.value) for k, _ in mapping.value if isinstance(k, yaml.ScalarNode)}
    if close[0] in present:
        return f"{close[0]!r} is set already: merge the two by hand"
    if (
        key.tag != _STR_TAG
        or key.start_mark.line != key.end_mark.line
        or finding.column < 1
        or key.end_mark.index - key.start_mark.index != len(word)
    ):
        return "the key spans more than its word"
    return Fix(
        (Edit(key.start_mark.index, key.end_mark.index, close[0]),),
        "safe",
        f"rename {word!r} to {close[0]!r}",
    )


def fix_ignored_key(text: str, finding: Finding, project: Project) -> Fix | str:
    """AS307: remove a `name:`/`import_path:` line of an entry."""
    found = _pair_at(text, finding)
    if isinstance(found, str):
        return found
    mapping, key, value = found
    if mapping.flow_style:
        return "the entry is written inline ({...}): remove the key by hand"
    line = key.start_mark.line
    if not isinstance(value, yaml.ScalarNode) or value.end_mark.line != line:
        return "the value spans several lines: remove it by hand"
    source = Source(text)
    before = source.line_text(line + 1)[: key.start_mark.column]
    if before.strip():
        return "the key does not start its line"
    start, end = source.line_range(line + 1)
    return Fix((Edit(start, end, ""),), "safe", f"remove the unused key {key.value!r}")


def fix_misread_value(text: str, finding: Finding, project: Project) -> Fix | str:
    """AS301: quote a plain value starting with a YAML indicator (`*`, `&`, `!`, ...)."""
    source = Source(text)
    if not 1 <= finding.line < len(source.starts) + 1:
        return "no such line"
    for number in (finding.line, finding.line - 1):
        if number < 1:
            continue
        line = source.line_text(number)
        match = re.match(r"^(\s*(?:-\s+)?[A-Za-z0-9_.\-]+:\s+)(\S.*?)(\s+#.*)?(\r\n|\r|\n)?$", line)
        if match is None or match.group(2)[0] not in _INDICATORS:
            continue
        value = match.group(2)
        start = source.starts[number - 1] + match.end(1)
        return Fix(
            (Edit(start, start + len(value), json.dumps(value)),),
            "safe",
            f"quote {value!r}",
        )
    return "the YAML error is not a plain value to quote"
