"""The event hash is written field by field for speed (the sealer hashes every event); it
must stay exactly sha256(prev + canonical JSON of the event's list), the form every chain
sealed so far was hashed in, or old chains would stop verifying."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.audit import (
    canonical,
    chain_events,
    decode_events,
    encode_events,
    event_hash,
    seal_queued,
)
from engine.errors import EngineError

GENESIS = "0" * 64


def reference(prev, seq, at, actor, kind, instance_id, process_id, version, task_id,
              element_id, data):
    """The definition, spelled with json.dumps as the first chains were hashed."""
    body = json.dumps([seq, at.isoformat(timespec="microseconds"), actor, kind, instance_id,
                       process_id, version, task_id, element_id, data],
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev + body).encode()).hexdigest()


texts = st.text(max_size=40)  # any code point: quotes, controls, accents, emoji, surrogates
maybe_text = st.none() | texts
maybe_int = st.none() | st.integers(min_value=-(2 ** 63), max_value=2 ** 63)


@settings(max_examples=400, deadline=None)
@given(seq=st.integers(min_value=1, max_value=2 ** 40),
       at=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
       actor=texts, kind=texts, instance_id=maybe_int, process_id=maybe_text,
       version=maybe_int, task_id=maybe_text, element_id=maybe_text,
       data=st.dictionaries(texts, st.none() | st.booleans() | st.integers() | texts,
                            max_size=4).map(canonical))
def test_the_hash_is_sha256_of_the_canonical_json_list(seq, at, actor, kind, instance_id,
                                                       process_id, version, task_id,
                                                       element_id, data):
    fields = (seq, at, actor, kind, instance_id, process_id, version, task_id, element_id,
              data)
    assert event_hash(GENESIS, *fields) == reference(GENESIS, *fields)


def test_a_known_event_keeps_its_known_hash():
    """Pinned: the hash of one event as the code before the fast path computed it."""
    at = datetime(2026, 1, 5, 9, 30, 15, 123456)
    fields = (7, at, "sam", "task_completed", 12, "sla_agreement", 3, "t-1", "approve",
              canonical({"decision": "yés", "n": 2}))
    assert event_hash(GENESIS, *fields) == reference(GENESIS, *fields)
    assert event_hash(GENESIS, *fields) == hashlib.sha256(
        (GENESIS + '[7,"2026-01-05T09:30:15.123456","sam","task_completed",12,'
         '"sla_agreement",3,"t-1","approve","{\\"decision\\":\\"y\\\\u00e9s\\",'
         '\\"n\\":2}"]').encode()).hexdigest()


def test_values_other_than_text_and_numbers_still_go_through_canonical():
    """A bool or float in an id field is unusual, but must hash as canonical writes it."""
    at = datetime(2026, 1, 5)
    fields = (1, at, "sam", "k", True, None, 1.5, None, None, "{}")
    assert event_hash(GENESIS, *fields) == reference(GENESIS, *fields)


# -- the sealer's path: queue entries hashed as queued ----------------------------------------
no_nul = st.text(max_size=30).filter(lambda t: "\x00" not in t)
small = st.none() | st.integers(min_value=-(2 ** 31), max_value=2 ** 31 - 1)
events = st.lists(st.fixed_dictionaries({
    "kind": no_nul.map(lambda t: t[:60]),
    "at": st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    "actor": no_nul.map(lambda t: t[:120]), "instance_id": small,
    "process_id": st.none() | no_nul, "version": small,
    "task_id": st.none() | no_nul.map(lambda t: t[:36]), "element_id": st.none() | no_nul,
    "data": st.dictionaries(no_nul, st.none() | st.integers() | no_nul, max_size=3).map(
        canonical)}), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(events, min_size=1, max_size=4),
       seq=st.integers(min_value=0, max_value=2 ** 40))
def test_sealing_queue_rows_gives_the_hashes_of_the_events_themselves(steps, seq):
    """seal_queued hashes the entries as the queue holds them (``at`` as ISO text, no
    objects built); the result must be chain_events' over the events a step queued."""
    try:
        texts = [encode_events(step)[1] for step in steps]
    except EngineError:  # lone surrogates: not storable text, refused at the step
        return
    rows, last = seal_queued(seq, GENESIS, texts)
    expected = chain_events(seq, GENESIS, [ev for step in steps for ev in step])
    assert [r[-1] for r in rows] == [e["hash"] for e in expected]
    assert [r[0] for r in rows] == [e["seq"] for e in expected]
    assert [r[-2] for r in rows] == [e["prev_hash"] for e in expected]
    assert last == expected[-1]["hash"]
    assert [datetime.fromisoformat(r[1]) for r in rows] == [e["at"] for e in expected]
    assert decode_events(texts[0]) == steps[0]


# ASCII with the control characters and DEL: entries the sealer hashes from orjson's
# bytes, and (with a DEL, a quote or a backslash among them) the ones it must not
ascii_text = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=127), max_size=30)
ascii_events = st.lists(st.fixed_dictionaries({
    "kind": ascii_text.map(lambda t: t[:60]),
    "at": st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    "actor": ascii_text.map(lambda t: t[:120]), "instance_id": small,
    "process_id": st.none() | ascii_text, "version": small,
    "task_id": st.none() | ascii_text.map(lambda t: t[:36]),
    "element_id": st.none() | ascii_text,
    "data": st.dictionaries(ascii_text, st.none() | st.integers() | ascii_text,
                            max_size=3).map(canonical)}), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(step=ascii_events, seq=st.integers(min_value=0, max_value=2 ** 40))
def test_ascii_entries_hash_as_the_events_themselves(step, seq):
    rows, last = seal_queued(seq, GENESIS, [encode_events(step)[1]])
    expected = chain_events(seq, GENESIS, step)
    assert [r[-1] for r in rows] == [e["hash"] for e in expected]
    assert last == expected[-1]["hash"]


def test_plain_entries_are_hashed_from_the_queued_bytes(monkeypatch):
    """The fast path is taken for printable ASCII: the field-by-field writer is not
    called (and a DEL still goes through it)."""
    from engine import audit

    at = datetime(2026, 1, 5, 9, 30)
    step = [{"kind": "task_completed", "at": at, "actor": "sam", "instance_id": 12,
             "process_id": "sla", "version": 3, "task_id": "t-1", "element_id": "approve",
             "data": canonical({"comment": 'a "quoted"\\ line\n', "n": 2})}]
    deleted = [dict(step[0], actor="s\x7fam")]
    expected = chain_events(0, GENESIS, step)[0]["hash"]
    expected_deleted = chain_events(0, GENESIS, deleted)[0]["hash"]
    calls = []
    monkeypatch.setattr(audit, "_scalar", lambda v: calls.append(v) or canonical(v))
    assert seal_queued(0, GENESIS, [encode_events(step)[1]])[1] == expected
    assert calls == []
    assert seal_queued(0, GENESIS, [encode_events(deleted)[1]])[1] == expected_deleted
    assert "s\x7fam" in calls
