"""A sandbox worker: a long-lived process that runs diagram code for the engine.

Started by engine.sandbox_pool as ``python -I -m engine.sandbox_worker MEMORY_BYTES``. It
imports what it needs, then locks itself down before it reads any diagram code:

* ``RLIMIT_AS``: its address space as it stands plus ``SLM_SCRIPT_MEMORY_LIMIT``;
* ``RLIMIT_CPU``: before each evaluation, the CPU seconds used so far plus the time limit
  plus one (SIGXCPU ends it); the hard limit is a lifetime budget, after which the worker
  retires and the pool starts a new one;
* ``RLIMIT_NOFILE`` = 3 after closing every descriptor but its two pipes and /dev/null: it
  cannot open a file or a socket, since each needs a new descriptor;
* ``RLIMIT_FSIZE`` = 0 (no file can grow), ``RLIMIT_CORE`` = 0 (no core dumps) and
  ``RLIMIT_NPROC`` = 0 (no fork, for an unprivileged user).

Inside, RestrictedPython (engine.scripting) stays the language policy. The engine's
process enforces the wall-clock limit from outside and kills a worker that overruns, so
catching the time-limit error inside a script gains nothing.

Protocol, on stdin/stdout: frames of a 4-byte big-endian length and a payload. The engine
sends pickles (it is trusted); the worker answers with engine.sandbox_codec bytes (JSON),
since the engine must not trust what the worker says.
"""
from __future__ import annotations

import os
import pickle
import resource
import struct
import sys
import traceback

import orjson

from . import scripting, template_render
from .sandbox_codec import CodecError, TooLargeError, encode
from .script_limits import MemoryLimitError, TimeLimitError

#: CPU seconds a worker may use in its life; it retires at half of it
LIFETIME_CPU = 3600
_HEADER = struct.Struct(">I")


class _Sink:
    """Where stray prints go: fd 1 carries the protocol and nothing else."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass


class _Reader:
    """Frames from fd 0, read in as few system calls as possible."""

    def __init__(self):
        self.buf = bytearray()

    def _fill(self) -> bool:
        chunk = os.read(0, 1 << 16)
        self.buf += chunk
        return bool(chunk)

    def frame(self) -> bytes | None:
        while len(self.buf) < _HEADER.size:
            if not self._fill():
                return None
        (length,) = _HEADER.unpack_from(self.buf)
        while len(self.buf) < _HEADER.size + length:
            if not self._fill():
                return None
        frame = bytes(self.buf[_HEADER.size:_HEADER.size + length])
        del self.buf[:_HEADER.size + length]
        return frame


def _send(payload: bytes) -> None:
    data = memoryview(_HEADER.pack(len(payload)) + payload)
    while data:
        data = data[os.write(1, data):]


def _vm_size() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def lock_down(memory_bytes: int) -> None:
    """Apply the operating-system limits described in the module docstring."""
    r = resource
    vm = _vm_size()
    r.setrlimit(r.RLIMIT_AS, (vm + memory_bytes, vm + memory_bytes))
    r.setrlimit(r.RLIMIT_FSIZE, (0, 0))
    r.setrlimit(r.RLIMIT_CORE, (0, 0))
    try:
        r.setrlimit(r.RLIMIT_NPROC, (0, 0))
    except (ValueError, OSError):  # not every system lets a process lower it to 0
        pass
    os.closerange(3, 65536)
    r.setrlimit(r.RLIMIT_NOFILE, (3, 3))
    r.setrlimit(r.RLIMIT_CPU, (LIFETIME_CPU, LIFETIME_CPU))


def _warm_up(env) -> None:
    """Run each kind of code once, so that lazy imports happen before the lock-down."""
    data = {"a": 1}
    env.execute("b = [i for i in range(3)]\nc = str(Decimal('1.5')) + date(2026, 1, 1)"
                ".isoformat()\nd = datetime(2026, 1, 1) + timedelta(days=1)", data)
    env.evaluate("a > 0 and len(str(b)) > 0", data)
    template_render.render("{% for i in range(2) %}{{ a | string | upper }}{% endfor %}"
                           "{{ \"x\\n\" ~ 'y' }}{{ [1, 2] | join(', ') }}", data)
    for broken in ("{{ missing }}", "{{ a", "{{ a.__class__ }}"):  # Jinja's error paths
        try:                                                        # import lazily
            template_render.render(broken, data)
        except Exception:
            traceback.format_exc()
    encode({"ok": 1, "data": data})
    traceback.format_exc()


_MEMORY = orjson.dumps({"ok": 0, "limit": "memory"})
_TIME = orjson.dumps({"ok": 0, "limit": "time"})
_OUTPUT = orjson.dumps({"ok": 0, "limit": "output"})


def _answer(env, request) -> tuple[bytes, bool]:
    """(answer, retire) for one request; ``retire`` after memory trouble.

    The answers to limits are built in advance and sent after the exception (and the
    frames and values it holds) is gone: a worker out of memory must still be able to say so.
    """
    outcome = _run(env, request)
    if outcome is _MEMORY:
        return _MEMORY, True
    return outcome, False


def _run(env, request) -> bytes:
    op, source, context, external, now, limit, max_bytes = request
    env.now = now
    scripting.SCRIPT_TIME_LIMIT = limit
    used = _cpu_used()
    soft = min(int(used + limit) + 2, LIFETIME_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, LIFETIME_CPU))
    try:
        if op == "eval":
            value = env.evaluate(source, context, external)
            return encode({"ok": 1, "value": value}, max_bytes)
        if op == "template":
            value = template_render.render(source, context)
            return encode({"ok": 1, "value": value}, max_bytes)
        env.execute(source, context, external)
        return encode({"ok": 1, "data": context}, max_bytes)
    except (MemoryError, MemoryLimitError):
        pass
    except TimeLimitError:
        return _TIME
    except (TooLargeError, template_render.TemplateTooLong):
        return _OUTPUT
    except RecursionError:
        return _error("RecursionError", "the code calls itself too deeply, or builds a value "
                      "nested too deeply")
    except CodecError as exc:
        return _error("ScriptSandboxError", str(exc))
    except Exception as exc:
        return _error(type(exc).__name__, str(exc), traceback.format_exc())
    return _MEMORY


def _error(kind: str, message: str, tb: str = "") -> bytes:
    return orjson.dumps({"ok": 0, "type": kind, "message": message[:2000],
                         "traceback": tb[-6000:]})


class _Env(scripting.RestrictedEnvironment):
    def __init__(self):
        super().__init__(clock=lambda: self.now)
        self.now = None


def main(argv: list[str]) -> int:
    memory_bytes = int(argv[1])
    sys.stdout = sys.stderr = _Sink()
    env = _Env()
    _warm_up(env)
    lock_down(memory_bytes)
    _send(b"ready")
    reader = _Reader()
    while True:
        frame = reader.frame()
        if frame is None:
            return 0
        try:
            answer, retire = _answer(env, pickle.loads(frame))
        except MemoryError:
            answer, retire = _MEMORY, True
        _send(answer)
        if retire or _cpu_used() > LIFETIME_CPU / 2:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
