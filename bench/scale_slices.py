"""bench/scale.py's interleaved worker phases: the modes take turns in short slices.

Run back to back, two 3-second phases of the same code differ by up to 15 % on a shared
2-core machine (the neighbours, autovacuum, checkpoints): more than the 5 % to be shown.
In an interleaved phase the W workers of every mode are started together, and a
coordinator gives the modes the CPU in turns of ``slice`` seconds (on, off, on, off, ...),
``seconds / slice`` turns each: a worker runs instances only in its mode's turns, so
whatever the machine does falls on every mode alike, within a fraction of a second.

The sealer of each mode's database seals only in its mode's turns: the coordinator asks
it for a pass at the start of every ``SEAL_EVERY / slice``-th turn of its mode (every
SEAL_EVERY seconds of them), and a turn does not end while its sealer is in a pass (the
pass is its mode's time, all of it). After the last turn every mode's sealer seals what
is left (a final pass).

A mode's throughput is its instances over the time of its measured turns, as the
coordinator measured them. The turn is one shared integer: a mode's index, ``ALL`` (no
turns: runner phases, back-to-back phases; a sealer then seals every SEAL_EVERY
seconds), ``NOBODY`` (before the start, between warm-up and measured turns) or ``STOP``.

Steady state (``warmup``, by default two sealing intervals): the modes first take turns
that are not measured, a whole number of intervals' worth each (the first turns of a
fresh worker are slower: two intervals let the second run at full speed). A pass then
falls in the first measured turn and seals the warm-up's last interval, so the sealer is
one interval behind where the measured turns begin, as it is where they end, and the
passes inside them seal as many turns' worth of events as they last (``seconds`` a
multiple of the interval). The final pass is then not measured. The queue's length
(events) where the measured turns begin and end is reported, to show that the sealer
kept pace. Without a
warm-up (``warmup`` 0) the sealer starts with nothing to seal, and its final pass, in
which it seals the last interval's events while the other core waits, is added to its
mode's time instead.

Workers count afresh where the measured turns begin: the coordinator moves a shared
counter, ``epoch``, on.
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


class Counting:
    """A worker's side of the epoch: ``restart()`` is True once, when the measured turns
    begin (the worker then starts its counters afresh)."""

    def __init__(self, epoch):
        self.epoch, self.seen = epoch, epoch.value

    def restart(self) -> bool:
        value = self.epoch.value
        if value == self.seen:
            return False
        self.seen = value
        return True


class SealerGate:
    """The sealer's side: ``due()`` says when to run a pass: when the coordinator asks
    (in an interleaved phase, at the start of every ``every / slice``-th turn of its
    mode, and once after the last), or otherwise (``ALL``) every ``every`` seconds;
    ``passing`` brackets it."""

    def __init__(self, turn, every: float, flush, flushed, busy):
        self.turn, self.every = turn, every
        self.flush, self.flushed, self.busy = flush, flushed, busy
        self.credit, self.last = 0.0, time.perf_counter()

    def due(self) -> bool:
        now = time.perf_counter()
        free = self.turn.value == ALL
        if free:
            self.credit += now - self.last
        self.last = now
        return self.flush.is_set() or (free and self.credit >= self.every)

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
    """The shared turn and epoch and, per mode, the event its waiting workers sleep on and
    its sealer's flush request, answer and busy flag."""
    return {"turn": ctx.Value("i", ALL, lock=False), "epoch": ctx.Value("i", 0, lock=False),
            "wake": [ctx.Event() for _ in modes],
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


def take_turns(gates: dict, order: list[int], seconds: float, slice_s: float,
               warmup: float, every: int, at_edge=None) -> dict:
    """Coordinate one interleaved phase whose workers wait for their turns: ``warmup``
    seconds of turns per mode that are not measured, then ``seconds`` that are; then STOP
    them. A mode's sealer is asked for a pass at the start of every ``every``-th turn of
    its mode. ``at_edge("start" | "end")`` runs, with nobody's turn, where the measured
    turns begin and end. Returns {mode index: seconds of its measured turns}."""
    count = dict.fromkeys(order, 0)
    if warmup:
        _turns(gates, order, warmup, slice_s, every, count)
        give(gates, NOBODY)
    gates["epoch"].value += 1  # the measured turns: workers count afresh
    if at_edge is not None:
        at_edge("start")
    active = _turns(gates, order, seconds, slice_s, every, count)
    give(gates, STOP)
    if at_edge is not None:
        at_edge("end")
    return active


def _turns(gates: dict, order: list[int], seconds: float, slice_s: float, every: int,
           count: dict) -> dict:
    """``seconds / slice_s`` turns for each mode in ``order`` (``count``: each mode's
    turns so far); {mode index: their seconds}."""
    active = dict.fromkeys(order, 0.0)
    for _ in range(max(1, math.ceil(seconds / slice_s - 1e-9))):
        for me in order:
            give(gates, me)
            t0 = time.perf_counter()
            if count[me] and count[me] % every == 0:
                gates["flush"][me].set()  # a sealing pass, in this turn
            count[me] += 1
            time.sleep(slice_s)
            while gates["flush"][me].is_set() or gates["busy"][me].value:
                time.sleep(0.0005)  # a sealing pass ends within its mode's turn
            active[me] += time.perf_counter() - t0
    return active


def final_passes(gates: dict, order: list[int], active: dict, timed: bool) -> None:
    """Once the workers are gone: every mode's sealer seals what is left, and (``timed``:
    no warm-up) that time is added to the mode's (``active``); then the turns are over
    (``ALL``)."""
    for me in order:
        t0 = time.perf_counter()
        gates["flushed"][me].clear()
        gates["flush"][me].set()
        if not gates["flushed"][me].wait(timeout=120):
            raise SystemExit(f"the sealer of mode {me} did not answer within 120 s")
        if timed:
            active[me] += time.perf_counter() - t0
    give(gates, ALL)


def run_processes(ctx, target, args_fors: list, n: int,
                  coordinate=None) -> tuple[list, object]:
    """Start ``n`` processes per entry of ``args_fors``, give them one signal to go, run
    ``coordinate()`` (if any) meanwhile; returns (each entry's results, what it returned)."""
    go = ctx.Event()
    runs = []
    for args_for in args_fors:
        out = ctx.Queue()
        runs.append((out, [ctx.Process(target=target, args=(*args_for(i), go, out))
                           for i in range(n)]))
    for _out, procs in runs:
        for p in procs:
            p.start()
    time.sleep(1.0)  # every process has imported and connected before the clock starts
    go.set()
    coordinated = coordinate() if coordinate is not None else None
    results = [[out.get(timeout=600) for _ in procs] for out, procs in runs]
    for _out, procs in runs:
        for p in procs:
            p.join(timeout=60)
            if p.exitcode != 0:
                raise SystemExit(f"a {target.__name__} process failed (exit {p.exitcode})")
    return results, coordinated
