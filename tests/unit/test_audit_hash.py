"""The event hash is written field by field for speed (the sealer hashes every event); it
must stay exactly sha256(prev + canonical JSON of the event's list), the form every chain
sealed so far was hashed in, or old chains would stop verifying."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.audit import canonical, event_hash

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
