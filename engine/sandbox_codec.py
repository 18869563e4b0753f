"""The values a sandbox worker sends back, as bytes the engine can read without trusting them.

A worker runs diagram code, so everything it writes is treated as hostile: the answer is
JSON (orjson), never pickle or marshal, and it is read with a size limit. Task data may hold
``datetime``, ``date``, ``timedelta``, ``Decimal``, ``UUID``, tuples, big integers and
non-finite floats, which JSON has no words for; they travel as one-key objects whose key
starts with NUL (``{"\\u0000dt": "2026-01-05T09:00:00"}``). A dict of the script's own
whose keys start with NUL travels as ``{"\\u0000map": [[key, value], ...]}``, so that no
script value is ever read as something else.
"""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import orjson

_TAG = "\x00"
_SMALL_INT = 1 << 63


class CodecError(ValueError):
    """The worker's answer is not a value the engine can store."""


class TooLargeError(CodecError):
    """The value would take more than the bytes allowed."""


def encode(value, max_bytes: int | None = None) -> bytes:
    """``value`` as bytes for ``decode``; raises CodecError for anything else, and
    TooLargeError (before building the bytes) when it would take more than ``max_bytes``."""
    if max_bytes is not None:
        measure(value, max_bytes)
    return orjson.dumps(_enc(value))


def measure(value, budget: int) -> int:
    """About how many bytes ``value`` takes as JSON; TooLargeError past ``budget``."""
    stack, left = [value], budget
    while stack:
        v = stack.pop()
        t = type(v)
        if t is str:
            left -= len(v) + 3
        elif t is dict:
            left -= 2 + len(v)
            stack.extend(v.keys())
            stack.extend(v.values())
        elif t is list or t is tuple:
            left -= 2 + len(v)
            stack.extend(v)
        else:
            left -= 8
        if left < 0:
            raise TooLargeError(budget)
    return budget - left


#: deepest nesting of lists and dicts a value may have
MAX_DEPTH = 100


def _enc(v, depth=0):
    t = type(v)
    if t is str or t is bool or v is None:
        return v
    if t is int:
        return v if -_SMALL_INT < v < _SMALL_INT else {"\x00int": format(v, "x")}
    if t is float:
        return v if math.isfinite(v) else {"\x00float": repr(v)}
    if depth > MAX_DEPTH and (t is dict or t is list or t is tuple):
        raise CodecError(f"a value is nested more than {MAX_DEPTH} levels deep")
    if t is dict:
        if any(type(k) is not str for k in v):
            raise CodecError("task data keys must be strings")
        if any(k.startswith(_TAG) for k in v):
            return {"\x00map": [[k, _enc(x, depth + 1)] for k, x in v.items()]}
        return {k: _enc(x, depth + 1) for k, x in v.items()}
    if t is list:
        return [_enc(x, depth + 1) for x in v]
    if t is tuple:
        return {"\x00tuple": [_enc(x, depth + 1) for x in v]}
    if t is datetime:
        return {"\x00dt": v.isoformat()}
    if t is date:
        return {"\x00date": v.isoformat()}
    if t is timedelta:
        return {"\x00td": [v.days, v.seconds, v.microseconds]}
    if t is Decimal:
        return {"\x00dec": str(v)}
    if t is UUID:
        return {"\x00uuid": str(v)}
    raise CodecError(f"a {t.__name__} cannot be kept in task data")


def decode(raw: bytes):
    """The value ``encode`` wrote; raises CodecError on anything malformed."""
    try:
        return _dec(orjson.loads(raw))
    except CodecError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
        raise CodecError(f"malformed answer from the sandbox: {type(exc).__name__}") from None


_TAGGED = {
    "\x00int": lambda x: int(x, 16),
    "\x00float": float,
    "\x00dt": datetime.fromisoformat,
    "\x00date": date.fromisoformat,
    "\x00td": lambda x: timedelta(days=x[0], seconds=x[1], microseconds=x[2]),
    "\x00dec": Decimal,
    "\x00uuid": UUID,
}


def _dec(v):
    if type(v) is dict:
        if len(v) == 1:
            [(key, inner)] = v.items()
            if key.startswith(_TAG):
                if key == "\x00map":
                    return {str(k): _dec(x) for k, x in inner}
                if key == "\x00tuple":
                    return tuple(_dec(x) for x in inner)
                conv = _TAGGED.get(key)
                if conv is None:
                    raise CodecError("malformed answer from the sandbox: unknown tag")
                if isinstance(inner, str) and len(inner) > 40_000:
                    raise CodecError("malformed answer from the sandbox: value too long")
                return conv(inner)
        return {k: _dec(x) for k, x in v.items()}
    if type(v) is list:
        return [_dec(x) for x in v]
    return v
