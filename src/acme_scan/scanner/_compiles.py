"""Whether CPython might refuse to compile a module it parsed: a cheap, conservative screen.

Some errors surface only when compiling (a repeated argument, `return` outside a function, a
late `from __future__` import, ...): such a module cannot be imported, so it defines no flow.
Compiling costs about as much as parsing again, so `compile()` runs only when this screen
cannot rule such an error out. The screen walks statements (iteratively) and answers True
for every construct whose compile-time errors it does not check itself; expression-level
constructs that can fail (`yield`, `await`, `lambda`, `:=`, `__debug__`, comprehension
targets) are screened on the bytes, and every call is checked for a repeated keyword. It may
say True needlessly, never False wrongly: a test compares the scan with `compile()` on every
known compile-time error.
"""

from __future__ import annotations

import ast
import re

#: Byte patterns of expression-level constructs with compile-time errors: then compile.
_RISKY_BYTES = re.compile(
    rb"yield|await|lambda|:=|__debug__|global|nonlocal|async\s+for|async\s+with|for\s*\*"
)
#: `from __future__ import` features of Python 3.10-3.13 (`braces`: "not a chance").
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
#: CPython allows 20 nested blocks; beyond a few less, leave it to `compile()`.
_BLOCK_LIMIT = 15
_MODULE, _CLASS, _FUNCTION = 0, 1, 2
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_BLOCKS = (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
_TRY = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
_HAS_VALUE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return)


def may_fail_to_compile(tree: ast.Module, source: str) -> bool:
    """False only when `compile(tree)` certainly raises no SyntaxError."""
    if _RISKY_BYTES.search(source.encode("utf-8", "surrogatepass")):
        return True
    # (statement, MODULE/CLASS/FUNCTION, in a loop, nested blocks)
    stack: list[tuple[ast.stmt, int, bool, int]] = [
        (statement, _MODULE, False, 0) for statement in reversed(tree.body)
    ]
    leading = True  # still where `from __future__` imports may stand
    allowed: set[int] = set()
    for index, statement in enumerate(tree.body):
        is_docstring = (
            index == 0
            and isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        )
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            if not leading or statement.level:
                return True
            if any(alias.name not in _FUTURE_FEATURES for alias in statement.names):
                return True
            allowed.add(id(statement))
        elif not is_docstring:
            leading = False
    while stack:
        node, kind, in_loop, depth = stack.pop()
        if _risky(node, kind, in_loop, depth):
            return True
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if future and id(node) not in allowed:
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            children = [(child, _FUNCTION, False, 0) for child in node.body]
        elif isinstance(node, ast.ClassDef):
            children = [(child, _CLASS, False, 0) for child in node.body]
        else:
            deeper = depth + 1 if isinstance(node, _BLOCKS) else depth
            children = []
            for field in ("body", "orelse", "finalbody"):
                inside_loop = in_loop or (field == "body" and isinstance(node, _LOOPS))
                children.extend(
                    (child, kind, inside_loop, deeper) for child in getattr(node, field, ())
                )
            for handler in getattr(node, "handlers", ()):
                children.extend((child, kind, in_loop, deeper) for child in handler.body)
        stack.extend(reversed(children))
    return _repeated_keyword(tree)


def _repeated_keyword(tree: ast.Module) -> bool:
    """A call or class definition naming one keyword argument twice (a compile error)."""
    stack: list[ast.AST] = [tree]
    leaves = _LEAVES
    while stack:
        node = stack.pop()
        keywords = getattr(node, "keywords", None)
        if keywords and len(keywords) > 1:
            names = [keyword.arg for keyword in keywords if keyword.arg is not None]
            if len(set(names)) != len(names):
                return True
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                stack.extend(item for item in value if type(item) not in leaves)
            elif value is not None and type(value) not in leaves and isinstance(value, ast.AST):
                stack.append(value)
    return False


#: Node types with no calls below them (and plain values), never pushed by the walk.
_LEAVES = frozenset(
    {
        ast.Name,
        ast.Constant,
        ast.Load,
        ast.Store,
        ast.Del,
        ast.alias,
        ast.Pass,
        ast.Break,
        ast.Continue,
        ast.Global,
        ast.Nonlocal,
        ast.Import,
        ast.ImportFrom,
        str,
        int,
        type(None),
        *(
            cls
            for cls in vars(ast).values()
            if isinstance(cls, type)
            and issubclass(cls, ast.operator | ast.cmpop | ast.unaryop | ast.boolop)
        ),
    }
)


def _risky(node: ast.stmt, kind: int, in_loop: bool, depth: int) -> bool:
    if depth >= _BLOCK_LIMIT or isinstance(node, ast.Match):
        return True
    if getattr(node, "type_params", None) or type(node).__name__ == "TypeAlias":
        return True
    if isinstance(node, ast.Return) and kind != _FUNCTION:
        return True
    if isinstance(node, ast.Break | ast.Continue) and not in_loop:
        return True
    if isinstance(node, ast.AsyncFor | ast.AsyncWith):
        return True
    star = isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names)
    if star and kind != _MODULE:
        return True
    if isinstance(node, _HAS_VALUE) and isinstance(node.value, ast.Starred):
        return True
    if isinstance(node, ast.Assign) and any(_bad_target(target) for target in node.targets):
        return True
    if isinstance(node, ast.For | ast.AsyncFor) and _bad_target(node.target):
        return True
    if isinstance(node, ast.With | ast.AsyncWith) and any(
        item.optional_vars is not None and _bad_target(item.optional_vars) for item in node.items
    ):
        return True
    if isinstance(node, _TRY):
        handlers = node.handlers
        if any(handler.type is None for handler in handlers[:-1]):
            return True
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        arguments = node.args
        names = [arg.arg for arg in (*arguments.posonlyargs, *arguments.args)]
        names.extend(arg.arg for arg in arguments.kwonlyargs)
        names.extend(arg.arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None)
        if len(set(names)) != len(names):
            return True
    return False


def _bad_target(target: ast.expr) -> bool:
    """A starred target outside a tuple/list, or two starred targets in one."""
    if isinstance(target, ast.Starred):
        return True
    stack = [target]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Tuple | ast.List):
            starred = [element for element in current.elts if isinstance(element, ast.Starred)]
            if len(starred) > 1 or len(current.elts) > 255:
                return True
            for element in current.elts:
                stack.append(element.value if isinstance(element, ast.Starred) else element)
    return False
