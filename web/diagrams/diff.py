"""The difference between two deployed versions, in words: every changed property of every
element as old -> new (name, lane, form, due time, handler and its parameters, condition,
timer, script, instructions, flow ends), and every changed field of every form."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from lxml import etree

from engine.xmlsafe import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
#: Spiff property names -> words
_PROPERTY_WORDS = {"formJsonSchemaFilename": "form", "dueIn": "due in"}
_TIMERS = ("timeDuration", "timeDate", "timeCycle")
_TIMER_WORDS = {"timeDuration": "timer (after a duration)", "timeDate": "timer (at a date)",
                "timeCycle": "timer (repeating)"}
#: children that only repeat what flows and lanes say
_REFS = {"incoming", "outgoing", "flowNodeRef"}
#: BPMN element kinds -> words
KIND_WORDS = {
    "userTask": "user task", "serviceTask": "service task", "scriptTask": "script task",
    "manualTask": "manual task", "startEvent": "start event", "endEvent": "end event",
    "exclusiveGateway": "exclusive gateway", "parallelGateway": "parallel gateway",
    "inclusiveGateway": "inclusive gateway", "eventBasedGateway": "event gateway",
    "sequenceFlow": "flow", "intermediateCatchEvent": "wait event",
    "intermediateThrowEvent": "throw event", "boundaryEvent": "boundary event",
    "callActivity": "call activity", "subProcess": "subprocess", "lane": "lane",
    "process": "process", "laneSet": "lane set", "task": "task",
}


@dataclass
class ElementChange:
    element_id: str
    kind: str
    name: str
    #: (property in words, old text, new text)
    changes: list = field(default_factory=list)

    @property
    def kind_words(self) -> str:
        return KIND_WORDS.get(self.kind, self.kind)


@dataclass
class FormChange:
    name: str
    changes: list = field(default_factory=list)


@dataclass
class VersionDiff:
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    forms_added: list = field(default_factory=list)
    forms_removed: list = field(default_factory=list)
    forms_changed: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any((self.added, self.removed, self.changed, self.forms_added,
                        self.forms_removed, self.forms_changed))

    def marks(self) -> dict[str, list[str]]:
        """Element ids to draw: {"added": [...], "removed": [...], "changed": [...]}."""
        return {"added": [c.element_id for c in self.added],
                "removed": [c.element_id for c in self.removed],
                "changed": [c.element_id for c in self.changed]}


def _local(el) -> str:
    return etree.QName(el).localname


def _text(el) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _lanes(root) -> dict[str, str]:
    out = {}
    for lane in root.iter(f"{{{BPMN}}}lane"):
        for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"):
            out[_text(ref)] = lane.get("name") or lane.get("id")
    return out


def properties(el, lanes: dict[str, str]) -> dict[str, str]:
    """What a process owner reads of one element, in words."""
    props = {"name": el.get("name") or "", "lane": lanes.get(el.get("id"), "")}
    ext = el.find(f"{{{BPMN}}}extensionElements")
    if ext is None:
        ext = etree.Element("none")
    for p in ext.iter(f"{{{SPIFF}}}property"):
        props[_PROPERTY_WORDS.get(p.get("name"), p.get("name"))] = p.get("value") or ""
    op = ext.find(f"{{{SPIFF}}}serviceTaskOperator")
    if op is not None:
        props["handler"] = op.get("id") or ""
        for param in op.iter(f"{{{SPIFF}}}parameter"):
            props[f"parameter {param.get('id')}"] = param.get("value") or ""
    for parent, tag, words in ((el, f"{{{BPMN}}}conditionExpression", "condition"),
                               (el, f"{{{BPMN}}}script", "script"),
                               (ext, f"{{{SPIFF}}}preScript", "script before"),
                               (ext, f"{{{SPIFF}}}postScript", "script after"),
                               (ext, f"{{{SPIFF}}}instructionsForEndUser", "instructions"),
                               (el, f"{{{BPMN}}}documentation", "documentation")):
        found = parent.find(tag)
        if found is not None:
            props[words] = _text(found)
    for timer in el.findall(f"{{{BPMN}}}timerEventDefinition"):
        for kind in _TIMERS:
            found = timer.find(f"{{{BPMN}}}{kind}")
            if found is not None:
                props[_TIMER_WORDS[kind]] = _text(found)
    for attr, words in (("sourceRef", "from"), ("targetRef", "to"), ("default", "default flow"),
                        ("calledElement", "called process"), ("attachedToRef", "attached to")):
        if el.get(attr):
            props[words] = el.get(attr)
    return {k: v for k, v in props.items() if v}


def _content(el) -> bytes:
    """The element's own XML, without nested elements that have ids of their own nor the
    references that only repeat the flows and lanes (shown as "from", "to" and "lane")."""
    copy = etree.fromstring(etree.tostring(el))
    for child in list(copy):
        if not isinstance(child.tag, str):
            continue
        if (child.get("id") and _local(child) != "lane") or _local(child) in _REFS:
            copy.remove(child)
    return etree.tostring(copy, method="c14n")


def elements(xml: str) -> dict[str, tuple[str, dict]]:
    """{id: (kind, properties)} of every BPMN model element with an id (not lanes' sets);
    a change the properties do not name shows as "other details"."""
    root = parse_xml(xml.encode("utf-8"), "diagram")
    lanes = _lanes(root)
    out = {}
    for el in root.iter(f"{{{BPMN}}}*"):
        el_id = el.get("id")
        if not el_id or _local(el) in ("definitions", "laneSet", "extensionElements") \
                or _local(el).endswith("EventDefinition"):  # shown on their event
            continue
        props = properties(el, lanes)
        props["\0content"] = _content(el).decode()
        out[el_id] = (_local(el), props)
    return out


def _show(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def form_changes(old: dict, new: dict) -> list[tuple[str, str, str]]:
    """Changed fields of one form: (what, old, new); "" stands for absent."""
    out = []
    for key in ("title", "description"):
        if old.get(key) != new.get(key):
            out.append((key, _show(old.get(key, "")), _show(new.get(key, ""))))
    if sorted(old.get("required", [])) != sorted(new.get("required", [])):
        out.append(("required fields", ", ".join(old.get("required", [])),
                    ", ".join(new.get("required", []))))
    po, pn = old.get("properties", {}), new.get("properties", {})
    for name in [*pn, *[k for k in po if k not in pn]]:
        a, b = po.get(name), pn.get(name)
        if a == b:
            continue
        if a is None:
            out.append((f"field {name}", "", "added: " + _show(b.get("title", name))))
        elif b is None:
            out.append((f"field {name}", "removed: " + _show(a.get("title", name)), ""))
        else:
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    out.append((f"field {name}: {key}", _show(a.get(key, "")),
                                _show(b.get(key, ""))))
    return out


def _shown(props: dict):
    return [(k, v) for k, v in props.items() if not k.startswith("\0")]


def version_diff(old_xml: str, new_xml: str, old_forms: str, new_forms: str) -> VersionDiff:
    old, new = elements(old_xml), elements(new_xml)
    diff = VersionDiff()
    for el_id in sorted(new.keys() - old.keys()):
        kind, props = new[el_id]
        diff.added.append(ElementChange(el_id, kind, props.get("name", ""),
                                        [(k, "", v) for k, v in _shown(props)]))
    for el_id in sorted(old.keys() - new.keys()):
        kind, props = old[el_id]
        diff.removed.append(ElementChange(el_id, kind, props.get("name", ""),
                                          [(k, v, "") for k, v in _shown(props)]))
    for el_id in sorted(old.keys() & new.keys()):
        (_, po), (kind, pn) = old[el_id], new[el_id]
        keys = [k for k in [*pn, *[k for k in po if k not in pn]] if not k.startswith("\0")]
        changes = [(k, po.get(k, ""), pn.get(k, "")) for k in keys
                   if po.get(k, "") != pn.get(k, "")]
        if not changes and po["\0content"] != pn["\0content"]:
            changes = [("other details (see the .bpmn files)", "", "changed")]
        if changes:
            diff.changed.append(ElementChange(el_id, kind, pn.get("name", ""), changes))
    fo, fn = json.loads(old_forms or "{}"), json.loads(new_forms or "{}")
    diff.forms_added = sorted(fn.keys() - fo.keys())
    diff.forms_removed = sorted(fo.keys() - fn.keys())
    diff.forms_changed = [FormChange(k, form_changes(fo[k], fn[k]))
                          for k in sorted(fo.keys() & fn.keys()) if fo[k] != fn[k]]
    return diff
