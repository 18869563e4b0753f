"""The difference between two deployed versions: BPMN elements and form schemas."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from lxml import etree

from engine.xmlsafe import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: containers whose children are compared one by one (diagram layout is not content)
_CONTAINERS = {"process", "subProcess", "laneSet", "definitions"}


@dataclass
class ElementChange:
    element_id: str
    kind: str
    name: str


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


def _local(el) -> str:
    return etree.QName(el).localname


def _content(el) -> str:
    """The element's own content: attributes, text and non-element children, not nested
    elements that have ids of their own (they are compared separately)."""
    copy = etree.fromstring(etree.tostring(el))
    for child in list(copy):
        if isinstance(child.tag, str) and child.get("id") and _local(child) != "lane":
            copy.remove(child)
    return etree.tostring(copy, method="c14n")


def elements(xml: str) -> dict[str, tuple[str, str, bytes]]:
    """{id: (kind, name, content)} of every BPMN model element with an id."""
    root = parse_xml(xml.encode("utf-8"), "diagram")
    out = {}
    for el in root.iter(f"{{{BPMN}}}*"):
        el_id = el.get("id")
        if not el_id or _local(el) in ("definitions",):
            continue
        out[el_id] = (_local(el), el.get("name") or "", _content(el))
    return out


def version_diff(old_xml: str, new_xml: str, old_forms: str, new_forms: str) -> VersionDiff:
    old, new = elements(old_xml), elements(new_xml)
    diff = VersionDiff()
    for el_id in sorted(new.keys() - old.keys()):
        diff.added.append(ElementChange(el_id, new[el_id][0], new[el_id][1]))
    for el_id in sorted(old.keys() - new.keys()):
        diff.removed.append(ElementChange(el_id, old[el_id][0], old[el_id][1]))
    for el_id in sorted(old.keys() & new.keys()):
        if old[el_id] != new[el_id]:
            diff.changed.append(ElementChange(el_id, new[el_id][0], new[el_id][1]))
    fo, fn = json.loads(old_forms or "{}"), json.loads(new_forms or "{}")
    diff.forms_added = sorted(fn.keys() - fo.keys())
    diff.forms_removed = sorted(fo.keys() - fn.keys())
    diff.forms_changed = sorted(k for k in fo.keys() & fn.keys() if fo[k] != fn[k])
    return diff
