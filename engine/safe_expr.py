"""Expressions simple enough to evaluate in the engine's own process.

An expression made only of names, subscripts without attributes, literals, comparisons
and boolean operators (no calls, no arithmetic, no comprehensions, no attributes) cannot
run long or build anything: its work is bounded by its own length and by the size of the
task data it reads. Such an expression (typically a gateway condition like
``amount > 1000 and decision == "approve"``) skips the round trip to a sandbox worker.
The same check runs at deploy, so a diagram's author can see which path a condition
takes; everything else goes to the sandbox.
"""
from __future__ import annotations

import ast
from collections import ChainMap
from functools import lru_cache

MAX_LENGTH = 2000

_LEAVES = (ast.Constant, ast.Load, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd,
           ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In,
           ast.NotIn)
_BUILTINS = {"__builtins__": {}}


def _safe(node) -> bool:
    if isinstance(node, ast.Name):
        return not node.id.startswith("_")
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | int | float | bool | type(None))
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return _safe(node.operand)
        return isinstance(node.op, ast.USub | ast.UAdd) and isinstance(node.operand, ast.Constant)
    if isinstance(node, ast.BoolOp):
        return all(_safe(v) for v in node.values)
    if isinstance(node, ast.Compare):
        return _safe(node.left) and all(_safe(c) for c in node.comparators)
    if isinstance(node, ast.Subscript):
        return _safe(node.value) and not isinstance(node.slice, ast.Slice) and _safe(node.slice)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_safe(e) for e in node.elts)
    return False


@lru_cache(maxsize=4096)
def safe_code(source: str):
    """The compiled expression if ``source`` qualifies for in-process evaluation, else None."""
    text = source.strip()
    if not text or len(text) > MAX_LENGTH:
        return None
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    if not _safe(tree.body):
        return None
    return compile(tree, "<condition>", "eval")


def is_safe(source: str) -> bool:
    return safe_code(source) is not None


def evaluate_safe(code, context: dict, external: dict | None = None):
    """Evaluate code from ``safe_code`` over ``context`` (names not there raise NameError)."""
    names = ChainMap(context, external) if external else context
    return eval(code, _BUILTINS, names)  # noqa: S307 - names, literals and comparisons only

