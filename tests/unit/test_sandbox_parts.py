"""The pieces of the sandbox on their own: the answer codec, the in-process expressions, the
settings, and the worker's operating-system limits."""
from __future__ import annotations

import math
import resource
import signal
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from engine.safe_expr import evaluate_safe, is_safe, safe_code
from engine.sandbox_codec import CodecError, TooLargeError, decode, encode
from engine.sandbox_env import SandboxEnvironment
from engine.sandbox_pool import Worker, get_pool, max_state_bytes, memory_limit_mb, pool_size

VALUES = {
    "text": "héllo", "n": 3, "big": 7 ** 5000, "negative_big": -(2 ** 70), "x": 1.5,
    "inf": math.inf, "none": None, "yes": True, "when": datetime(2026, 1, 5, 9, 30),
    "day": date(2026, 1, 5), "wait": timedelta(days=2, seconds=5, microseconds=7),
    "price": Decimal("12.50"), "id": UUID("12345678-1234-5678-1234-567812345678"),
    "pair": (1, "a"), "nested": {"list": [1, [2, {"k": "v"}]]},
    "tricky": {"\x00dt": "2026-01-01", "\x00map": 1},
}


def test_the_codec_keeps_every_task_data_type():
    assert decode(encode(VALUES)) == VALUES
    assert type(decode(encode(VALUES))["pair"]) is tuple


@pytest.mark.parametrize("raw", [
    b"not json", b'{"\\u0000evil": 1}', b'{"\\u0000dt": "yesterday"}',
    b'{"\\u0000map": "xy"}', b"[" * 5000 + b"]" * 5000,
], ids=["junk", "unknown-tag", "bad-date", "bad-map", "deep"])
def test_the_codec_refuses_malformed_answers(raw):
    with pytest.raises(CodecError):
        decode(raw)


def test_the_codec_refuses_what_task_data_cannot_hold():
    with pytest.raises(CodecError, match="set cannot be kept"):
        encode({"s": {1, 2}})
    with pytest.raises(CodecError, match="nested more than 100 levels"):
        deep: list = []
        for _ in range(150):
            deep = [deep]
        encode(deep)
    with pytest.raises(TooLargeError):
        encode({"blob": "x" * 2000}, max_bytes=1000)


@pytest.mark.parametrize("source, safe", [
    ("amount > 1000", True),
    ("decision == 'approve' and not flagged", True),
    ("row['level'] in ['gold', 'silver']", True),
    ("amount >= -5", True),
    ("a[0] is None or b != c", True),
    ("amount + 1 > 2", False),
    ("len(items) > 0", False),
    ("x.real > 0", False),
    ("any(i for i in items)", False),
    ("_secret == 1", False),
    ("a[1:2] == b", False),
    ("f'{x}' == y", False),
])
def test_only_names_literals_and_comparisons_run_in_process(source, safe):
    assert is_safe(source) is safe


def test_an_in_process_expression_reads_task_data_and_nothing_else():
    code = safe_code("amount > limit and tier in ['gold']")
    assert evaluate_safe(code, {"amount": 5, "tier": "gold"}, {"limit": 3}) is True
    with pytest.raises(NameError):
        evaluate_safe(safe_code("len == 1"), {})  # no builtins


@pytest.mark.parametrize("name, reader", [
    ("SLM_SCRIPT_MEMORY_LIMIT", memory_limit_mb), ("SLM_SANDBOX_WORKERS", pool_size),
    ("SLM_MAX_STATE_BYTES", max_state_bytes)])
def test_sandbox_settings_refuse_nonsense(name, reader):
    assert reader({name: "7"}) == 7
    for bad in ("0", "-1", "lots"):
        with pytest.raises(ValueError, match=f"{name} must be a positive number"):
            reader({name: bad})


def test_a_worker_runs_under_its_limits():
    """Read the limits back from /proc of a live worker."""
    env = SandboxEnvironment(clock=lambda: None, time_limit=lambda: 2.0)
    env.execute("x = 1", {})
    pid = [w for w in get_pool().workers() if w.ready][0].pid
    limits = {}
    with open(f"/proc/{pid}/limits") as fh:
        for line in fh.readlines()[1:]:
            name, soft = line[:26].strip(), line[26:47].strip()
            limits[name] = soft
    assert limits["Max open files"] == "3"
    assert limits["Max file size"] == "0"
    assert limits["Max core file size"] == "0"
    assert limits["Max address space"] != "unlimited"
    assert limits["Max cpu time"] != "unlimited"
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 3  # not this process's own


def test_a_killed_worker_is_reaped_without_the_caller_waiting():
    """A step whose worker overran goes on at once; a background thread reaps the worker."""
    worker = Worker(memory_limit_mb())
    worker.wait_ready()
    assert worker.kill(wait=False) is None  # not its exit status: nobody waited for it
    deadline = time.monotonic() + 10
    while worker.proc.returncode is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.proc.returncode == -signal.SIGKILL  # reaped: no zombie left behind
    assert worker.kill() == -signal.SIGKILL  # killing it again is harmless


def test_a_worker_gets_only_the_names_the_code_mentions_and_the_rest_stays():
    from engine.sandbox_env import _only, names_in

    assert names_in("size = 'big' if computed['value'] >= 10 else 'small'") == {
        "size", "computed"}
    assert _only({"computed": 1, "other": 2}, "x = computed") == {"computed": 1}
    assert _only({"a": 1}, "x = (") == {"a": 1}  # unparsable: everything, the worker says why
    env = SandboxEnvironment(clock=lambda: None, time_limit=lambda: 2.0)
    data = {"a": 1, "kept": {"deep": [1, 2]}, "gone": 2}
    env.execute("b = a + 1\ndel gone", data)
    assert data == {"a": 1, "kept": {"deep": [1, 2]}, "b": 2}
    assert env.evaluate("len(str(a)) == 1 and b == 2", data) is True


def test_the_spin_setting_takes_microseconds_and_refuses_nonsense():
    from engine.sandbox_pool import spin_seconds

    assert spin_seconds({}) == 300e-6
    assert spin_seconds({"SLM_SANDBOX_SPIN_US": "0"}) == 0
    assert spin_seconds({"SLM_SANDBOX_SPIN_US": "50"}) == 50e-6
    for bad in ("-1", "lots", "1e9", "200000"):
        with pytest.raises(ValueError, match="SLM_SANDBOX_SPIN_US must be a whole number"):
            spin_seconds({"SLM_SANDBOX_SPIN_US": bad})
