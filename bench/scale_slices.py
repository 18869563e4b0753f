"""bench/scale.py's interleaved worker phases: the modes take turns in short slices.

Run back to back, two 3-second phases of the same code differ by up to 15 % on a shared
2-core machine (the neighbours, autovacuum, checkpoints): more than the 5 % to be shown.
In an interleaved phase the W workers of every mode are started together, and a
coordinator gives the modes the CPU in turns of ``slice`` seconds (on, off, on, off, ...),
``seconds / slice`` turns each: a worker runs instances only in its mode's turns, so
whatever the machine does falls on every mode alike, within a fraction of a second.

The sealer of each mode's database seals only in its mode's turns, every SEAL_EVERY
seconds of them; a turn does not end while its sealer is in a pass (the pass is its
mode's time, all of it), and after the last turn every mode gets one more, in which its
sealer seals what is left: the audit's whole sealing cost falls on the mode's own time.

A mode's throughput is its instances over the time of its turns (slices and final pass,
as the coordinator measured them). The turn is one shared integer: a mode's index,
``ALL`` (no turns: runner phases, back-to-back phases), ``NOBODY`` (before the start)
or ``STOP``.
"""
from __future__ import annotations

import math
import time

ALL, NOBODY, STOP = -1, -2, -3


def my_turn(turn, me: int, wake) -> bool | None:
    """Whether a worker of mode ``me`` may run now: True, None (stop), or False after
    sleeping until its mode's ``wake`` event is set (then ask again)."""
    value = turn.value
    if value == STOP:
        return None
    if value in (ALL, me):
        return True
    wake.wait(timeout=1.0)
    return False


class SealerGate:
    """The sealer's side: ``due()`` says when to run a pass (SEAL_EVERY seconds of its
    mode's turns since the last, or a final pass asked for), ``passing`` brackets it."""

    def __init__(self, turn, me: int, every: float, flush, flushed, busy):
        self.turn, self.me, self.every = turn, me, every
        self.flush, self.flushed, self.busy = flush, flushed, busy
        self.credit, self.last = 0.0, time.perf_counter()

    def due(self) -> bool:
        now = time.perf_counter()
        mine = self.turn.value in (ALL, self.me)
        if mine:
            self.credit += now - self.last
        self.last = now
        return self.flush.is_set() or (mine and self.credit >= self.every)

    def passing(self, seal_pass) -> None:
        self.busy.value = 1
        try:
            seal_pass()
        finally:
            self.busy.value = 0
            self.credit = 0.0
            if self.flush.is_set():
                self.flush.clear()
                self.flushed.set()


def new_gates(ctx, modes: list[str]) -> dict:
    """The shared turn and, per mode, the event its waiting workers sleep on and its
    sealer's flush request, answer and busy flag."""
    return {"turn": ctx.Value("i", ALL, lock=False), "wake": [ctx.Event() for _ in modes],
            "flush": [ctx.Event() for _ in modes], "flushed": [ctx.Event() for _ in modes],
            "busy": [ctx.Value("i", 0, lock=False) for _ in modes]}


def give(gates: dict, value: int) -> None:
    """Make ``value`` the turn; wake the workers whose turn it is (all of them to stop)."""
    for me, wake in enumerate(gates["wake"]):
        if value not in (me, ALL, STOP):
            wake.clear()
    gates["turn"].value = value
    for me, wake in enumerate(gates["wake"]):
        if value in (me, ALL, STOP):
            wake.set()


def take_turns(gates: dict, order: list[int], seconds: float, slice_s: float) -> dict:
    """Coordinate one interleaved phase whose workers wait for their turns; then STOP them.
    Returns {mode index: seconds of its turns}."""
    active = dict.fromkeys(order, 0.0)
    for _ in range(max(1, math.ceil(seconds / slice_s - 1e-9))):
        for me in order:
            give(gates, me)
            t0 = time.perf_counter()
            time.sleep(slice_s)
            while gates["busy"][me].value:  # a sealing pass ends within its mode's turn
                time.sleep(0.0005)
            active[me] += time.perf_counter() - t0
    give(gates, STOP)
    return active


def final_passes(gates: dict, order: list[int], active: dict) -> None:
    """Once the workers are gone: every mode's sealer seals what is left, and that time is
    added to the mode's (``active``); then the turns are over (``ALL``)."""
    for me in order:
        t0 = time.perf_counter()
        gates["flushed"][me].clear()
        gates["flush"][me].set()
        if not gates["flushed"][me].wait(timeout=120):
            raise SystemExit(f"the sealer of mode {me} did not answer within 120 s")
        active[me] += time.perf_counter() - t0
    give(gates, ALL)
