"""Limits on diagram code: time, and the size of values one operation may build.

RestrictedPython decides what a script may touch; this module stops code that would run
or grow without end. ``GuardingTransformer`` (a RestrictedPython policy) puts a call to
the loop guard at the start of every loop, comprehension, function and lambda body, and
turns ``*``, ``**`` and ``<<`` into checked calls; ``make_guard`` gives each run of a
script its own time budget; long ``range`` objects call the guard while they are iterated,
so that ``sum(range(10**12))`` is stopped too.
"""
from __future__ import annotations

import ast
import math
import operator
import time

from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from .i18n import _


class ScriptSandboxError(Exception):
    """A script or expression tried something the sandbox does not allow."""


class TimeLimitError(ScriptSandboxError):
    """Diagram code ran longer than its time limit."""


class MemoryLimitError(ScriptSandboxError):
    """Diagram code needed more memory than it may use."""


#: longest str/bytes/list/tuple that ``*`` may build
MAX_SEQUENCE_LENGTH = 1_000_000
#: largest int (in bits) that ``*``, ``**``, ``pow`` and ``<<`` may build (~30,000 digits)
MAX_INT_BITS = 100_000
#: longer ranges are handed out as GuardedRange, whose iteration calls the loop guard
_PLAIN_RANGE_LENGTH = MAX_SEQUENCE_LENGTH

GUARD_NAME = "_loop_guard_"  # the leading underscore keeps it out of the scripts' reach


def make_guard(limit: float, what: str):
    """A fresh budget: the guard raises once ``limit`` seconds have passed since now.

    It reads the clock on every call (a few tens of nanoseconds), so a loop whose single
    iteration is slow is stopped as promptly as a tight one; once the time is up it keeps
    raising, so catching the error inside an outer loop does not keep the script alive.
    """
    now = time.monotonic
    deadline = now() + limit

    def guard():
        if now() > deadline:
            raise TimeLimitError(
                _("%(what)s ran longer than %(limit)s s (a loop that does not end?)",
                  what=what,
                  limit=format(limit, 'g')))
        return True

    return guard


def _too_long(kind: str, length: int):
    return ScriptSandboxError(_("this would build a %(kind)s of %(length)s items; scripts "
                                "may build at most %(MAX_SEQUENCE_LENGTH)s",
                                kind=kind,
                                length=format(length, ','),
                                MAX_SEQUENCE_LENGTH=format(MAX_SEQUENCE_LENGTH, ',')))


def _too_big():
    return ScriptSandboxError(_("this would build a number of more than %(MAX_INT_BITS)s "
                                "bits (about %(log10)s digits), which scripts may not",
                                MAX_INT_BITS=format(MAX_INT_BITS, ','),
                                log10=format(int(MAX_INT_BITS * math.log10(2)), ',')))


_REPEATABLE = (str, bytes, list, tuple)


def _check_mul(a, b) -> None:
    """Refuse ``a * b`` if it would build a huge sequence or int."""
    if isinstance(b, int):
        if isinstance(a, int):
            if a.bit_length() + b.bit_length() > MAX_INT_BITS:
                raise _too_big()
        elif isinstance(a, _REPEATABLE) and len(a) * b > MAX_SEQUENCE_LENGTH:
            raise _too_long(type(a).__name__, len(a) * b)
    elif isinstance(a, int) and isinstance(b, _REPEATABLE) and len(b) * a > MAX_SEQUENCE_LENGTH:
        raise _too_long(type(b).__name__, len(b) * a)


def guarded_mul(a, b):
    _check_mul(a, b)
    return a * b


def _check_pow(base, exp) -> None:
    """Refuse ``base ** exp`` if the int result would be huge."""
    if isinstance(base, int) and isinstance(exp, int) and exp > 0 and abs(base) > 1:
        # |base| >= 2, so the result has at least ``exp`` bits (and exp may be too big
        # for a float)
        if exp > MAX_INT_BITS or exp * math.log2(abs(base)) > MAX_INT_BITS:
            raise _too_big()


def guarded_pow(base, exp, mod=None):
    """``base ** exp`` and the ``pow`` builtin (pow with a modulus stays small)."""
    if mod is None:
        _check_pow(base, exp)
    return pow(base, exp, mod)


def guarded_lshift(a, b):
    if isinstance(a, int) and isinstance(b, int) and a and a.bit_length() + b > MAX_INT_BITS:
        raise _too_big()
    return a << b


class GuardedRange:
    """A long ``range`` whose iteration calls the loop guard.

    ``sum(range(10**12))`` runs inside C code, where no loop guard is reached; handing
    out this wrapper for long ranges keeps such calls interruptible. Length, indexing,
    ``in``, ``index`` and ``count`` stay as cheap as for a plain range.
    """

    __slots__ = ("_range", "_guard")

    def __init__(self, rng: range, guard):
        self._range, self._guard = rng, guard

    def __iter__(self):
        guard = self._guard
        for item in self._range:
            guard()
            yield item

    def __reversed__(self):
        guard = self._guard
        for item in reversed(self._range):
            guard()
            yield item

    def __len__(self):
        return len(self._range)

    def __contains__(self, item):
        return item in self._range

    def __getitem__(self, index):
        item = self._range[index]
        return _wrap_range(item, self._guard) if isinstance(item, range) else item

    def __eq__(self, other):
        return self._range == (other._range if isinstance(other, GuardedRange) else other)

    def __hash__(self):
        return hash(self._range)

    def __repr__(self):
        return repr(self._range)

    start = property(lambda self: self._range.start)
    stop = property(lambda self: self._range.stop)
    step = property(lambda self: self._range.step)

    def index(self, value):
        return self._range.index(value)

    def count(self, value):
        return self._range.count(value)


def _wrap_range(rng: range, guard):
    try:
        short = len(rng) <= _PLAIN_RANGE_LENGTH
    except OverflowError:  # longer than sys.maxsize
        short = False
    return rng if short else GuardedRange(rng, guard)


def make_range(guard):
    def range_(*args):
        return _wrap_range(range(*args), guard)
    range_.__name__ = range_.__qualname__ = "range"
    return range_


class GuardingTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks, plus calls to the guards the sandbox's globals provide.

    The names added here start with an underscore, so a script can neither name nor
    rebind them: RestrictedPython refuses such names in the script's own code, and the
    calls are added only after the script's nodes have been checked.
    """

    @staticmethod
    def _call(name, node, *args):
        call = ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])
        copy_locations(call, node)
        ast.fix_missing_locations(call)
        return call

    def _guard_body(self, node):
        stmt = ast.Expr(self._call(GUARD_NAME, node))
        copy_locations(stmt, node)
        node.body.insert(0, stmt)
        return node

    def visit_While(self, node):
        return self._guard_body(super().visit_While(node))

    def visit_For(self, node):
        return self._guard_body(super().visit_For(node))

    def visit_FunctionDef(self, node):  # recursion is a loop too
        return self._guard_body(super().visit_FunctionDef(node))

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = ast.BoolOp(op=ast.And(), values=[self._call(GUARD_NAME, node), node.body])
        copy_locations(node.body, node)
        return node

    def visit_comprehension(self, node):
        node = super().visit_comprehension(node)
        node.ifs.insert(0, self._call(GUARD_NAME, node.iter))  # the guard returns True
        return node

    _BINOPS = {ast.Mult: "_sandbox_mul_", ast.Pow: "_sandbox_pow_",
               ast.LShift: "_sandbox_lshift_"}

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        name = self._BINOPS.get(type(node.op))
        return node if name is None else self._call(name, node, node.left, node.right)


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "|=": operator.ior, "&=": operator.iand, "^=": operator.ixor,
}


_INPLACE_CHECKS = {"*=": _check_mul, "**=": _check_pow}


def inplacevar(op, x, y):
    if op in _INPLACE_CHECKS:
        _INPLACE_CHECKS[op](x, y)
    return _INPLACE[op](x, y)
