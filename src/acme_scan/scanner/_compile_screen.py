"""Whether CPython certainly compiles a module it parsed: a cheap, conservative screen.

Some errors surface only when compiling a tree `ast.parse` accepted (a repeated argument,
`return` outside a function, a late `from __future__` import, ...); such a module cannot be
imported, so it defines no flow. `compile()` costs about 0.7x `ast.parse`, so it runs only for
the modules this screen cannot clear. The screen answers True ("compiles") only when it has
ruled out every compile-time error of Python 3.10 to 3.13; otherwise it answers False
("unsure", and the caller compiles). Every such error is one of three kinds:

- errors of rare constructs, decided on the source text: `yield`, `await`, `:=`, `__debug__`,
  an asynchronous comprehension (more `async for` in the text than `async for` statements),
  a starred f-string field (`f"{*a}"`, 3.12+); their mere presence makes the screen unsure.
  Keywords are ASCII in any valid source, so a text search finds every one (also in strings
  and comments: that only makes the screen unsure);
- errors of statements (placement of `return`, `break`, `continue`, bare `except:`, `import
  *`, `from __future__`; repeated parameters of a `def`; starred assignment targets; `async
  for` and `async with` outside `async def`; too many statically nested blocks), decided by a
  walk over statements only; `global`, `nonlocal`, `match`, `except*`, type parameters and
  statements this screen does not know make it unsure;
- errors of common expressions, decided by targeted text checks: a keyword argument
  repeated in one call (two occurrences of `NAME=` after `(` or `,`, with no statement
  starting between them), a repeated `lambda` parameter, a starred comprehension target
  (the names, dots and commas after each `for`, up to `in`).

`tests/scanner/test_compile_screen.py` holds the list of every error with snippets of each
placement, compares the screen with `compile()` under each available interpreter, and fuzzes
real modules; the screen may say False needlessly, never True wrongly.
"""

from __future__ import annotations

import ast
import bisect
import re
import unicodedata

#: Whitespace, comments and line continuations between two tokens (inside brackets). Each
#: character has one way to match (a comment runs to the end of its line), so a failed match
#: never backtracks exponentially. Runs of whitespace first, then comments each followed by
#: a run: one character class per run, not an alternative per character (a third faster).
_GAP = r"[ \t\f\r\n\\]*(?:#[^\r\n]*(?![^\r\n])[ \t\f\r\n\\]*)*"
#: Expression-level constructs whose compile-time errors the screen does not decide: a word
#: that must be in the text, and the pattern then searched (a substring test is much faster).
#: No pattern starts with `\b`: a leading literal lets the regex engine skip ahead quickly.
_RARE = (
    ("yield", re.compile(r"yield\b")),
    ("await", re.compile(r"await\b")),
    (":=", re.compile(":=")),
    ("__debug__", re.compile("__debug__")),
    # A replacement field starting with a star (3.12+ compiles `f"{*a}"` to an error).
    ("{", re.compile(r"\{" + _GAP + r"\*(?!\*)")),
)
#: `async for`: a statement, or an asynchronous comprehension (whose errors are not decided).
_ASYNC_FOR = re.compile(r"async" + _GAP + r"for\b")

_LAMBDA = re.compile(r"lambda\b")
#: What a simple parameter list of a lambda never holds (else the screen is unsure).
_LAMBDA_OPAQUE = re.compile(r"[(\[{'\"#]|\blambda\b")
#: `for` (no word boundary before it: `[1for x in y]` is valid up to Python 3.12).
_FOR = re.compile(r"for\b")
#: A character that can be part of a name (or number): an ASCII letter, digit or `_`, or any
#: non-ASCII character. Written as the ASCII characters it is not, which compiles in 0.1 ms:
#: the same set as `[A-Za-z0-9_\x80-\U0010ffff]`, whose range costs 5 ms at every start.
_WORD = r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
#: `in` (not next to an identifier's character: `\b` would see one inside `a\u0301in`).
_IN = re.compile(r"(?<!" + _WORD + r")in(?!" + _WORD + ")")
_FOR_OPAQUE = re.compile(r"[*'\"#]")
_TARGET_LIMIT = 400
#: A whole name (or number): the lookahead keeps backtracking from splitting one.
_NAME = _WORD + "+(?!" + _WORD + ")"
#: A keyword argument (or parameter default) `NAME=`, after the `(` or `,` that precedes it.
#: (Most `(` and `,` are not followed by one: the whole name keeps each failure short.)
_KEYWORD = re.compile(r"([(,])" + _GAP + "(" + _NAME + ")" + _GAP + r"=(?!=)")
#: After `for`: names joined by `.` and `,`, up to `in` (the common target: no star).
_PLAIN_TARGET = re.compile(
    _GAP + _NAME + _GAP + r"(?:[.,]" + _GAP + _NAME + _GAP + r")*,?" + _GAP + "in(?!" + _WORD + ")"
)
#: One token after `for`: a name (or a number), or any other character.
_TOKEN = re.compile(_GAP + "(?:(" + _NAME + ")|(.))", re.DOTALL)

#: `from __future__ import` features every Python 3.10 to 3.13 knows (not `braces`).
_FUTURE_FEATURES = frozenset(
    {
        "nested_scopes",
        "generators",
        "division",
        "absolute_import",
        "with_statement",
        "print_function",
        "unicode_literals",
        "generator_stop",
        "annotations",
    }
)
#: CPython allows 20 statically nested blocks; the walk counts an upper bound of CPython's
#: count (a loop 1, each `with` item 1, a `try` body 2, a handler 3, `else`/`finally` 2).
_BLOCK_LIMIT = 15

_MODULE, _CLASS, _FUNCTION, _ASYNC = 0, 1, 2, 3

#: Statements with no compile-time error of their own (their expressions are screened).
_SIMPLE = frozenset({ast.Pass, ast.Import, ast.Raise, ast.Assert, ast.Delete})


def certainly_compiles(tree: ast.Module, text: str) -> bool:
    """True only when `compile(tree)` certainly raises no SyntaxError (`tree` is `ast.parse(text)`).

    False means "unsure": the caller compiles.
    """
    for word, pattern in _RARE:
        if word in text and pattern.search(text):
            return False
    if not text.isascii() and "__debug__" in unicodedata.normalize("NFKC", text):
        return False  # an identifier spelled with compatibility characters
    if "lambda" in text and _repeated_lambda_parameter(text):
        return False
    if "for" in text and _maybe_starred_for_target(text):
        return False
    statement_lines: list[int] = []
    async_for_statements: list[int] = []
    try:
        if not _statements_compile(tree, statement_lines, async_for_statements):
            return False
    except RecursionError:  # pragma: no cover - nesting is bounded by the indentation limit
        return False
    # Every `async for` statement matches the pattern once (nothing but spaces and line
    # continuations can stand between its two words), so one match more is a comprehension.
    if "async" in text and len(_ASYNC_FOR.findall(text)) > len(async_for_statements):
        return False
    return not _maybe_repeated_keyword(text, statement_lines)


def _repeated_lambda_parameter(text: str) -> bool:
    """A lambda whose parameter list may repeat a name (or is too complex to read here)."""
    for match in _LAMBDA.finditer(text):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            continue  # a name ending in `lambda` (a keyword never follows a letter or digit)
        # Each `lambda` is read on its own: a match must not swallow the next one.
        colon = text.find(":", match.end())
        if colon < 0:
            return True
        parameters = text[match.end() : colon]
        if _LAMBDA_OPAQUE.search(parameters):
            return True  # the first `:` may not end the parameter list
        names: set[str] = set()
        for part in parameters.split(","):
            name = part.split("=", 1)[0].strip(" \t\f\r\n\\*/")
            if not name:
                continue
            if not name.isascii():
                name = unicodedata.normalize("NFKC", name)
            if name in names:
                return True
            names.add(name)
    return False


def _maybe_starred_for_target(text: str) -> bool:
    """A `for` whose target may hold a star (a comprehension's target is an expression).

    Outside brackets, a target is names joined by `.` and `,` (and stars) up to `in`;
    comments and line continuations may stand between them inside brackets. So after a
    `for` keyword: reaching `in` over names, dots and commas means no star; a star means
    unsure; two names in a row, or any other character, mean that this `for` is not a
    keyword of valid code (prose in a string or comment). A bracket leaves the whole text up
    to the first `in`, which holds the target unless that `in` is inside brackets, a string
    or a comment of the target: then the brackets are unbalanced, or there is a quote or a
    `#`, and the screen is unsure.
    """
    for match in _FOR.finditer(text):
        start = match.end()
        if _PLAIN_TARGET.match(text, start):
            continue
        position, after_name = start, False
        for _ in range(64):
            token = _TOKEN.match(text, position)
            if token is None:
                break  # the end of the text: not a `for` keyword
            name, value = token.groups()
            position = token.end()
            if name is not None:
                if name == "in" or after_name:
                    break  # a target without a star, or two names in a row: no target
                after_name = True
            elif value in ".,":
                after_name = False
            elif value == "*":
                return True
            elif value in "([{":
                if _bracketed_target_may_star(text, start):
                    return True
                break
            else:
                break  # a target never holds this character outside brackets
        else:
            return True  # a long target: unsure
    return False


def _bracketed_target_may_star(text: str, start: int) -> bool:
    # Targets are short: not finding `in` soon (or only at the cut, where the lookahead is
    # unreliable) makes the screen unsure, and the search costs O(len(text)) at most.
    end = _IN.search(text, start, start + _TARGET_LIMIT)
    if end is None or end.end() == start + _TARGET_LIMIT:
        return True
    target = text[start : end.start()]
    if _FOR_OPAQUE.search(target):
        return True
    opened = target.count("(") + target.count("[") + target.count("{")
    closed = target.count(")") + target.count("]") + target.count("}")
    return opened != closed


def _maybe_repeated_keyword(text: str, statement_lines: list[int]) -> bool:
    """Two `NAME=` of one name that may be in one call (`keyword argument repeated`).

    Keywords after a call's first follow a `,`. A call holds no statement, so two keywords
    with a statement starting on a line strictly between theirs are in different calls; if
    two keywords of a call have one name, so do two consecutive occurrences of that name
    with no statement line between them, the second after a `,`.
    """
    last: dict[str, int] = {}
    pairs: list[tuple[int, int]] = []
    for match in _KEYWORD.finditer(text):
        delimiter, name = match.groups()
        if not name.isascii():
            name = unicodedata.normalize("NFKC", name)
        start = match.start()
        if delimiter == "," and name in last:
            pairs.append((last[name], start))
        last[name] = start
    if not pairs:
        return False
    line_of = _lines_of(text, {position for pair in pairs for position in pair})
    lines = sorted(set(statement_lines))
    for first, second in pairs:
        first_line = line_of[first]
        between = bisect.bisect_right(lines, first_line)
        if between == len(lines) or lines[between] >= line_of[second]:
            return True
    return False


def _lines_of(text: str, positions: set[int]) -> dict[int, int]:
    """The 1-based line of each position (CPython ends lines at `\\r\\n`, `\\r` or `\\n`).

    No position is between the `\\r` and the `\\n` of a line end (each is a `(` or `,`).
    """
    found: dict[int, int] = {}
    line, previous = 1, 0
    crlf = "\r" in text
    for position in sorted(positions):
        line += text.count("\n", previous, position)
        if crlf:
            line += text.count("\r", previous, position) - text.count("\r\n", previous, position)
        found[position] = line
        previous = position
    return found


class _Walk:
    """What the statement walk collects: first lines of statements (and `except` clauses),
    first lines of `async for` statements, and the `from __future__` imports in place.
    (A plain class: this module needs only the standard library, and not `dataclasses`.)"""

    __slots__ = ("allowed_future", "async_fors", "lines")
    lines: list[int]
    async_fors: list[int]
    allowed_future: set[int]

    def __init__(self, lines: list[int], async_fors: list[int], allowed_future: set[int]) -> None:
        self.lines = lines
        self.async_fors = async_fors
        self.allowed_future = allowed_future


def _statements_compile(
    tree: ast.Module, statement_lines: list[int], async_fors: list[int]
) -> bool:
    """Whether no statement has a compile-time error.

    Appends every statement's first line to `statement_lines`, and each `async for`
    statement's to `async_fors`.
    """
    body = tree.body
    allowed_future: set[int] = set()
    for index, statement in enumerate(body):
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            if statement.level or any(
                alias.name not in _FUTURE_FEATURES or alias.asname is not None
                for alias in statement.names
            ):
                return False
            allowed_future.add(id(statement))
        elif not (
            index == 0
            and isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Constant)
            and type(statement.value.value) is str
        ):
            break
    return _block(body, _MODULE, False, 0, _Walk(statement_lines, async_fors, allowed_future))


def _block(
    body: list[ast.stmt],
    scope: int,
    in_loop: bool,
    depth: int,
    walk: _Walk,
) -> bool:
    """Whether no statement of `body` (and below) has a compile-time error.

    `scope` is where the block is (module, class, function or async function), `in_loop`
    whether `break` may stand in it, `depth` an upper bound of CPython's nested blocks.
    """
    note = walk.lines.append
    for node in body:
        note(node.lineno)
        if type(node) is ast.Expr:
            if type(node.value) is ast.Starred:
                return False  # can't use starred expression here
        elif type(node) is ast.Assign:
            if type(node.value) is ast.Starred:
                return False
            for target in node.targets:
                if type(target) is not ast.Name and not _target_compiles(target):
                    return False
        elif type(node) is ast.FunctionDef:
            if not _function_compiles(node, _FUNCTION, walk):
                return False
        elif type(node) is ast.Return:
            if scope < _FUNCTION or type(node.value) is ast.Starred:
                return False
        elif type(node) is ast.If:
            # An `elif` chain is a chain of nested `If` nodes: walk it in a loop (other
            # nesting needs indentation, which CPython's tokenizer limits to 100 levels).
            branch = node
            while True:
                if not _block(branch.body, scope, in_loop, depth, walk):
                    return False
                orelse = branch.orelse
                if len(orelse) == 1 and isinstance(orelse[0], ast.If):
                    branch = orelse[0]
                    note(branch.lineno)
                    continue
                if orelse and not _block(orelse, scope, in_loop, depth, walk):
                    return False
                break
        elif type(node) is ast.ImportFrom:
            if node.module == "__future__" and id(node) not in walk.allowed_future:
                return False  # from __future__ imports must occur at the beginning
            if scope != _MODULE and any(alias.name == "*" for alias in node.names):
                return False  # import * only allowed at module level
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            if type(node.value) is ast.Starred:
                return False
        elif type(node) in _SIMPLE:
            pass
        elif type(node) is ast.ClassDef:
            if getattr(node, "type_params", None):
                return False
            names = [keyword.arg for keyword in node.keywords if keyword.arg is not None]
            if len(set(names)) != len(names):
                return False  # keyword argument repeated
            if not _block(node.body, _CLASS, False, 0, walk):
                return False
        elif isinstance(node, ast.For | ast.AsyncFor):
            if isinstance(node, ast.AsyncFor):
                if scope != _ASYNC:
                    return False  # 'async for' outside async function
                walk.async_fors.append(node.lineno)
            if type(node.iter) is ast.Starred:
                return False
            if type(node.target) is not ast.Name and not _target_compiles(node.target):
                return False
            if depth >= _BLOCK_LIMIT or not (
                _block(node.body, scope, True, depth + 1, walk)
                and (not node.orelse or _block(node.orelse, scope, in_loop, depth + 1, walk))
            ):
                return False
        elif type(node) is ast.While:
            if depth >= _BLOCK_LIMIT or not (
                _block(node.body, scope, True, depth + 1, walk)
                and (not node.orelse or _block(node.orelse, scope, in_loop, depth + 1, walk))
            ):
                return False
        elif isinstance(node, ast.With | ast.AsyncWith):
            if isinstance(node, ast.AsyncWith) and scope != _ASYNC:
                return False  # 'async with' outside async function
            for item in node.items:
                bound = item.optional_vars
                if bound is not None and not _target_compiles(bound):
                    return False
            deeper = depth + len(node.items)
            if deeper > _BLOCK_LIMIT or not _block(node.body, scope, in_loop, deeper, walk):
                return False
        elif type(node) is ast.Try:
            handlers = node.handlers
            if any(handler.type is None for handler in handlers[:-1]):
                return False  # default 'except:' must be last
            if depth + 3 > _BLOCK_LIMIT:
                return False
            if not (
                _block(node.body, scope, in_loop, depth + 2, walk)
                and (not node.orelse or _block(node.orelse, scope, in_loop, depth + 2, walk))
                and (not node.finalbody or _block(node.finalbody, scope, in_loop, depth + 2, walk))
            ):
                return False
            for handler in handlers:
                note(handler.lineno)
                if not _block(handler.body, scope, in_loop, depth + 3, walk):
                    return False
        elif isinstance(node, ast.Break | ast.Continue):
            if not in_loop:
                return False  # 'break' outside loop, 'continue' not properly in loop
        elif type(node) is ast.AsyncFunctionDef:
            if not _function_compiles(node, _ASYNC, walk):
                return False
        else:
            # Global, Nonlocal, Match, TryStar, TypeAlias, or a statement of a newer Python.
            return False
    return True


def _function_compiles(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    scope: int,
    walk: _Walk,
) -> bool:
    if getattr(node, "type_params", None) or not _parameters_distinct(node.args):
        return False  # duplicate argument (type parameters: the screen is unsure)
    return _block(node.body, scope, False, 0, walk)


def _parameters_distinct(arguments: ast.arguments) -> bool:
    names = [a.arg for a in arguments.args]
    if arguments.posonlyargs or arguments.kwonlyargs or arguments.vararg or arguments.kwarg:
        names.extend(a.arg for a in arguments.posonlyargs)
        names.extend(a.arg for a in arguments.kwonlyargs)
        if arguments.vararg is not None:
            names.append(arguments.vararg.arg)
        if arguments.kwarg is not None:
            names.append(arguments.kwarg.arg)
    return len(names) < 2 or len(set(names)) == len(names)


def _target_compiles(target: ast.expr) -> bool:
    """An assignment target's starred parts are where and as many as CPython allows."""
    kind = type(target)
    if kind is ast.Starred:
        return False  # starred assignment target must be in a list or tuple
    if kind is ast.Tuple or kind is ast.List:
        assert isinstance(target, ast.Tuple | ast.List)
        starred = 0
        for element in target.elts:
            inner = element
            if type(element) is ast.Starred:
                assert isinstance(element, ast.Starred)
                starred += 1
                inner = element.value
            if not _target_compiles(inner):
                return False
        # at most one star, and fewer than 256 targets before it
        return starred == 0 or (starred == 1 and len(target.elts) < 256)
    return True
