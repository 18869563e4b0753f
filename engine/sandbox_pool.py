"""The pool of sandbox workers that runs every piece of diagram code for this process.

Workers (engine.sandbox_worker) are started with the process that uses the pool (the web
app, ``slm runner``; lazily by anything else) and reused: one evaluation is one request on
a pipe and one answer, no process start. The engine's process waits for the answer at most
``SLM_SCRIPT_TIME_LIMIT`` plus a short grace; a worker that overruns is killed, one that
dies (crash, CPU limit) or reports memory trouble is replaced, and the caller gets a
SandboxLimitError, which the engine turns into an incident. An answer longer than
``SLM_MAX_STATE_BYTES`` is not read at all.

Settings (environment): ``SLM_SCRIPT_MEMORY_LIMIT`` (MB a worker may add to what it uses at
start, default 256), ``SLM_SANDBOX_WORKERS`` (pool size, default 2), ``SLM_MAX_STATE_BYTES``
(default 1 MB), ``SLM_SANDBOX_SPIN_US`` (microseconds to poll for an answer before sleeping,
default 300; read at start).
"""
from __future__ import annotations

import atexit
import os
import pickle
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
import time

from .sandbox_codec import CodecError, decode
from .script_limits import ScriptSandboxError

GRACE = 0.5  # seconds the engine waits past the time limit before it kills the worker


def spin_seconds(environ=os.environ) -> float:
    """``SLM_SANDBOX_SPIN_US``: how long the engine polls for an answer before it sleeps
    (default 300 us). A short evaluation is answered within it, and a caller that stays
    awake is not woken again (on a virtual machine, waking an idle CPU can cost more than
    the evaluation itself)."""
    raw = environ.get("SLM_SANDBOX_SPIN_US", "").strip()
    if not raw:
        return 300e-6
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 100_000:
        raise ValueError("SLM_SANDBOX_SPIN_US must be a whole number of microseconds from 0 "
                         f"to 100000, not {raw!r}")
    return int(raw) / 1e6


SPIN = spin_seconds()
START_TIMEOUT = 60.0
_HEADER = struct.Struct(">I")


_PARSED: dict = {}


def _env_number(name: str, default, kind=int, environ=os.environ):
    """The positive number in ``environ[name]`` (or ``default``); read on every call, so
    that a changed setting counts, and parsed once per distinct text (steps read several)."""
    raw = environ.get(name, "")
    key = (name, raw, default, kind)
    value = _PARSED.get(key)
    if value is not None:
        return value
    text = raw.strip()
    if not text:
        value = default
    else:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value <= 0:
            raise ValueError(f"{name} must be a positive number, not {raw!r}")
    if len(_PARSED) < 256:
        _PARSED[key] = value
    return value


def memory_limit_mb(environ=os.environ) -> int:
    """``SLM_SCRIPT_MEMORY_LIMIT``: MB one evaluation may use (default 256)."""
    return _env_number("SLM_SCRIPT_MEMORY_LIMIT", 256, environ=environ)


def pool_size(environ=os.environ) -> int:
    """``SLM_SANDBOX_WORKERS``: sandbox worker processes per engine process (default 2)."""
    return _env_number("SLM_SANDBOX_WORKERS", 2, environ=environ)


def max_state_bytes(environ=os.environ) -> int:
    """``SLM_MAX_STATE_BYTES``: largest stored state of an instance (default 1 MB)."""
    return _env_number("SLM_MAX_STATE_BYTES", 1 << 20, environ=environ)


class SandboxLimitError(Exception):
    """Diagram code hit a limit of the sandbox (time, memory, size) or its worker crashed."""

    def __init__(self, limit: str, amount=None):
        self.limit, self.amount = limit, amount
        super().__init__(self.describe("code"))

    def describe(self, kind: str) -> str:
        """What a process owner reads, ``kind`` being "script", "condition", ..."""
        if self.limit == "time":
            return f"the {kind} ran longer than {self.amount:g} s"
        if self.limit == "memory":
            return f"the {kind} used more than {self.amount} MB"
        if self.limit == "output":
            return f"the {kind} produced more than {self.amount:,} bytes of data"
        if self.limit == "start":
            return f"the sandbox for the {kind} could not start"
        return f"the {kind} process crashed"


class DiagramCodeError(Exception):
    """An exception raised by diagram code in a worker, as the worker reported it."""

    def __init__(self, type_name: str, message: str):
        super().__init__(message)
        self.type_name = type_name


class _Gone(Exception):
    """The worker stopped answering (timeout) or died; ``sent``: after it got the request."""

    def __init__(self, timed_out: bool, sent: bool = True):
        self.timed_out, self.sent = timed_out, sent


class Worker:
    """One worker process and its two pipes."""

    def __init__(self, memory_mb: int):
        self.memory_mb = memory_mb
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "engine.sandbox_worker", str(memory_mb << 20)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True, bufsize=0)
        self.wfd, self.rfd = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        os.set_blocking(self.wfd, False)
        self.ready = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self) -> None:
        if not self.ready:
            if self._read_frame(time.monotonic() + START_TIMEOUT, 64) != b"ready":
                raise _Gone(False)
            self.ready = True

    def call(self, payload: bytes, limit: float, max_bytes: int) -> bytes:
        deadline = time.monotonic() + limit + GRACE
        self._write(_HEADER.pack(len(payload)) + payload, deadline)
        return self._read_frame(deadline, max_bytes)

    def _write(self, data: bytes, deadline: float) -> None:
        try:  # a request fits the pipe's buffer, usually: no poll needed
            view = memoryview(data)[os.write(self.wfd, data):]
        except BlockingIOError:
            view = memoryview(data)
        except OSError:  # it died while idle: the request never reached it
            raise _Gone(False, sent=False) from None
        if not view:
            return
        poller = select.poll()
        poller.register(self.wfd, select.POLLOUT)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise _Gone(True)
            try:
                view = view[os.write(self.wfd, view):]
            except BlockingIOError:
                continue
            except OSError:  # it died while idle: the request never reached it
                raise _Gone(False, sent=len(view) < len(data)) from None

    def _read_frame(self, deadline: float, max_bytes: int) -> bytes:
        """One answer: a length, then that many bytes (usually one read for both)."""
        buf = bytearray()
        need, length = _HEADER.size, None
        poller = select.poll()
        poller.register(self.rfd, select.POLLIN)
        spin_until = time.monotonic() + SPIN
        while True:
            while len(buf) < need:
                now = time.monotonic()
                left = deadline - now
                if left <= 0:
                    raise _Gone(True)
                if now < spin_until:
                    if not poller.poll(0):
                        continue
                elif not poller.poll(left * 1000):
                    raise _Gone(True)
                want = (1 << 16) if length is None else min(need - len(buf), 1 << 20)
                chunk = os.read(self.rfd, want)
                if not chunk:
                    raise _Gone(False)
                buf += chunk
            if length is not None:
                break
            (length,) = _HEADER.unpack_from(buf)
            if length > max_bytes:
                raise SandboxLimitError("output", max_bytes)
            need = _HEADER.size + length
        if len(buf) != need:  # more than one answer to one request: not our worker's way
            raise _Gone(False)
        return bytes(buf[_HEADER.size:])

    def kill(self, wait: bool = True) -> int | None:
        """Kill the process (if alive) and return how it ended. With ``wait=False`` the
        caller goes on at once and a background thread reaps the process: a worker that
        holds hundreds of MB can take a while to be torn down, and the step that asked
        must not wait for that (None is returned)."""
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        if not wait and self.proc.returncode is None:
            threading.Thread(target=self.proc.wait, name="sandbox-reaper", daemon=True).start()
            return None
        return self.proc.wait()

    def close(self) -> None:
        """Ask the worker to leave (end of its input); kill it if it does not."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class SandboxPool:
    """``size`` workers shared by the threads of one process."""

    def __init__(self, size: int, memory_mb: int):
        self.pid = os.getpid()
        self.size, self.memory_mb = size, memory_mb
        # last in, first out: the worker that answered last is awake and warm
        self._idle: queue.LifoQueue[Worker] = queue.LifoQueue()
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        self.evaluations = 0
        for _ in range(size):
            self._idle.put(self._spawn())

    def _spawn(self) -> Worker:
        worker = Worker(self.memory_mb)
        with self._lock:
            self._all = [w for w in self._all if w.proc.returncode is None] + [worker]
        return worker

    def workers(self) -> list[Worker]:
        with self._lock:
            return [w for w in self._all if w.proc.poll() is None]

    def warm(self) -> None:
        """Wait until every idle worker has started (so that the first step does not)."""
        taken = [self._idle.get() for _ in range(self.size)]
        try:
            for w in taken:
                try:
                    w.wait_ready()
                except _Gone:
                    w.kill()
                    taken[taken.index(w)] = self._spawn()
        finally:
            for w in taken:
                self._idle.put(w)

    def run(self, request: tuple, limit: float, max_bytes: int):
        """Send ``request`` to an idle worker; return its decoded answer (a dict)."""
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        worker = self._idle.get()
        try:
            for attempt in (0, 1):  # a worker that died while idle is replaced, once
                try:
                    if worker.proc.poll() is not None:
                        raise _Gone(False, sent=False)
                    worker.wait_ready()
                    raw = worker.call(payload, limit, max_bytes)
                    break
                except SandboxLimitError:
                    worker.kill(wait=False)
                    worker = self._spawn()
                    raise
                except _Gone as gone:
                    started = worker.ready
                    # an overrun is a time limit whatever the exit status: do not wait for it
                    code = worker.kill(wait=not gone.timed_out)
                    worker = self._spawn()
                    if not started or not gone.sent:
                        if attempt:
                            raise SandboxLimitError("start") from None
                        continue
                    if gone.timed_out or code == -signal.SIGXCPU:
                        raise SandboxLimitError("time", limit) from None
                    raise SandboxLimitError("crash") from None
            self.evaluations += 1
            try:
                answer = decode(raw)
            except CodecError as exc:
                worker.kill()
                worker = self._spawn()
                raise ScriptSandboxError(str(exc)) from None
            if not isinstance(answer, dict):
                raise ScriptSandboxError("malformed answer from the sandbox")
            if answer.get("limit") == "memory":
                worker.kill(wait=False)  # it retires itself; do not wait for it
                worker = self._spawn()
            return answer
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for w in workers:
            w.close()


_POOL: SandboxPool | None = None
_POOL_LOCK = threading.Lock()


def get_pool() -> SandboxPool:
    """This process's pool, started on first use (and again in a forked child)."""
    global _POOL
    current = _POOL
    if current is None or current.pid != os.getpid():
        with _POOL_LOCK:
            if _POOL is None or _POOL.pid != os.getpid():
                _POOL = SandboxPool(pool_size(), memory_limit_mb())
            current = _POOL
    return current


def start_pool() -> SandboxPool:
    """Start this process's workers now and wait until they are ready."""
    current = get_pool()
    current.warm()
    return current


def stop_pool() -> None:
    global _POOL
    with _POOL_LOCK:
        current, _POOL = _POOL, None
    if current is not None and current.pid == os.getpid():
        current.close()


atexit.register(stop_pool)
