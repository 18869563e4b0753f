"""An event log as an IEEE 1849-2016 XES document, built with lxml.

One ``<trace>`` per process instance (``concept:name`` = the instance id), one ``<event>``
per step with ``concept:name`` (the activity: the diagram's name of the element),
``time:timestamp``, ``org:resource`` (who), ``org:role`` (the lane, for user tasks) and
``lifecycle:transition``. The log carries the chain head it was cut at
(``slm:chain_head``, SEQ:HASH) and its filters. lxml escapes every value; characters XML
cannot hold at all (control characters) are dropped.
"""
from __future__ import annotations

import re
from datetime import datetime

from lxml import etree

from .selection import Case, EventLog, Step

NS = "http://www.xes-standard.org/"
EXTENSIONS = (("Concept", "concept"), ("Time", "time"), ("Organizational", "org"),
              ("Lifecycle", "lifecycle"))
#: what XML 1.0 cannot contain, even escaped
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str:
    return _NOT_XML.sub("", str(value))


def timestamp(at: datetime) -> str:
    """An xs:dateTime in UTC with milliseconds (the engine stores naive UTC)."""
    return at.replace(tzinfo=None).isoformat(timespec="milliseconds") + "+00:00"


def _attr(parent, tag: str, key: str, value) -> None:
    etree.SubElement(parent, f"{{{NS}}}{tag}", key=key, value=_text(value))


def _event(trace, step: Step) -> None:
    event = etree.SubElement(trace, f"{{{NS}}}event")
    _attr(event, "string", "concept:name", step.activity)
    _attr(event, "date", "time:timestamp", timestamp(step.at))
    _attr(event, "string", "org:resource", step.actor)
    if step.role:
        _attr(event, "string", "org:role", step.role)
    _attr(event, "string", "lifecycle:transition", step.lifecycle)
    _attr(event, "string", "slm:element_id", step.element_id)
    _attr(event, "string", "slm:event_kind", step.kind)
    _attr(event, "int", "slm:seq", step.seq)


def _trace(root, case: Case) -> None:
    trace = etree.SubElement(root, f"{{{NS}}}trace")
    instance = case.instance
    _attr(trace, "string", "concept:name", instance.id)
    _attr(trace, "string", "slm:title", instance.title or "")
    _attr(trace, "int", "slm:version", case.version)
    _attr(trace, "string", "slm:status", instance.status)
    _attr(trace, "string", "slm:started_by", instance.started_by)
    _attr(trace, "date", "slm:started_at", timestamp(instance.started_at))
    if case.organisation:
        _attr(trace, "string", "slm:organisation", case.organisation)
    for step in case.steps:
        _event(trace, step)


def to_xes(log: EventLog) -> bytes:
    """The XES document (UTF-8 bytes with an XML declaration)."""
    root = etree.Element(f"{{{NS}}}log", nsmap={None: NS})
    root.set("xes.version", "1849-2016")
    for name, prefix in EXTENSIONS:
        etree.SubElement(root, f"{{{NS}}}extension", name=name, prefix=prefix,
                         uri=f"http://www.xes-standard.org/{prefix}.xesext")
    glob = etree.SubElement(root, f"{{{NS}}}global", scope="trace")
    _attr(glob, "string", "concept:name", "__INVALID__")
    glob = etree.SubElement(root, f"{{{NS}}}global", scope="event")
    _attr(glob, "string", "concept:name", "__INVALID__")
    _attr(glob, "date", "time:timestamp", "1970-01-01T00:00:00.000+00:00")
    _attr(glob, "string", "org:resource", "__INVALID__")
    _attr(glob, "string", "lifecycle:transition", "complete")
    etree.SubElement(root, f"{{{NS}}}classifier", name="Activity", keys="concept:name")
    etree.SubElement(root, f"{{{NS}}}classifier", name="Resource", keys="org:resource")
    f = log.filters
    _attr(root, "string", "concept:name", f.process)
    _attr(root, "string", "slm:chain_head", log.anchor)
    for key, value in (("slm:version", f.version), ("slm:organisation", f.organisation),
                       ("slm:from", f.date_from), ("slm:to", f.date_to)):
        if value is not None:
            _attr(root, "string", key, value.isoformat() if isinstance(value, datetime)
                  else value)
    for case in log.cases:
        _trace(root, case)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
