"""What a customer's browser receives of a process diagram: what the viewer draws, nothing
more. Scripts, conditions, timer expressions, documentation, extension elements (forms,
instructions for every lane, handler parameters) and attributes outside BPMN's own
namespaces are removed; shapes, names, lanes, flows and the layout stay."""
from __future__ import annotations

from lxml import etree

from engine.xmlsafe import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: namespaces whose attributes the viewer reads (BPMN, its diagram interchange, XML itself)
DRAWN_NAMESPACES = {BPMN, "http://www.omg.org/spec/BPMN/20100524/DI",
                    "http://www.omg.org/spec/DD/20100524/DC",
                    "http://www.omg.org/spec/DD/20100524/DI",
                    "http://www.w3.org/2001/XMLSchema-instance"}
#: elements removed with everything in them
STRIPPED = {"script", "conditionExpression", "extensionElements", "documentation",
            "timeDate", "timeDuration", "timeCycle", "loopCardinality",
            "completionCondition", "ioSpecification", "dataInputAssociation",
            "dataOutputAssociation", "text"}
#: BPMN attributes that carry logic, not drawing
STRIPPED_ATTRIBUTES = {"scriptFormat", "implementation", "calledElement", "messageRef",
                       "signalRef", "errorRef", "escalationRef"}


def viewer_xml(xml: str | bytes) -> bytes:
    """``xml`` stripped to what a BPMN viewer draws (UTF-8 bytes)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    root = parse_xml(data, "diagram", max_bytes=max(len(data), 1))
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # comments, processing instructions
            if element.getparent() is not None:
                element.getparent().remove(element)
            continue
        qname = etree.QName(element)
        if qname.localname in STRIPPED or qname.namespace not in DRAWN_NAMESPACES:
            if element.getparent() is not None:
                element.getparent().remove(element)
            continue
        for name in list(element.attrib):
            attr = etree.QName(name)
            if (attr.namespace and attr.namespace not in DRAWN_NAMESPACES) or \
                    attr.localname in STRIPPED_ATTRIBUTES:
                del element.attrib[name]
    etree.cleanup_namespaces(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
