// SpiffWorkflow's extension elements as bpmn-js sees them: the moddle descriptor and the
// reads and writes the engine's properties need (form, due time, handler and parameters,
// instructions). Writes go through modeling.updateProperties so they can be undone.
export const SPIFF_URI = "http://spiffworkflow.org/bpmn/schema/1.0/core";

export const SPIFF = {
  name: "SpiffWorkflow", uri: SPIFF_URI, prefix: "spiffworkflow",
  xml: { tagAlias: "lowerCase" }, associations: [],
  types: [
    { name: "Properties", superClass: ["Element"],
      properties: [{ name: "properties", type: "Property", isMany: true }] },
    { name: "Property", superClass: ["Element"],
      properties: [{ name: "name", isAttr: true, type: "String" },
                   { name: "value", isAttr: true, type: "String" }] },
    { name: "ServiceTaskOperator", superClass: ["Element"],
      properties: [{ name: "id", isAttr: true, type: "String" },
                   { name: "resultVariable", isAttr: true, type: "String" },
                   { name: "parameters", type: "Parameters" }] },
    { name: "Parameters", superClass: ["Element"],
      properties: [{ name: "parameters", type: "Parameter", isMany: true }] },
    { name: "Parameter", superClass: ["Element"],
      properties: [{ name: "id", isAttr: true, type: "String" },
                   { name: "type", isAttr: true, type: "String" },
                   { name: "value", isAttr: true, type: "String" }] },
    { name: "InstructionsForEndUser", superClass: ["Element"],
      properties: [{ name: "text", isBody: true, type: "String" }] },
    { name: "CalledDecisionId", superClass: ["Element"],
      properties: [{ name: "text", isBody: true, type: "String" }] }
  ]
};

export function spiffAccess(moddle, modeling, elementRegistry) {
  function ext(bo, create) {
    if (!bo.extensionElements && create) {
      bo.extensionElements = moddle.create("bpmn:ExtensionElements", { values: [] });
      bo.extensionElements.$parent = bo;
    }
    return bo.extensionElements;
  }

  function ofType(bo, type, create) {
    const ee = ext(bo, create);
    if (!ee) { return null; }
    let found = (ee.values || []).filter((v) => v.$instanceOf(type))[0];
    if (!found && create) {
      found = moddle.create(type);
      found.$parent = ee;
      ee.get("values").push(found);
    }
    return found || null;
  }

  function changed(element) {
    modeling.updateProperties(element, { extensionElements: element.businessObject.extensionElements });
  }

  function getProperty(bo, key) {
    const props = ofType(bo, "spiffworkflow:Properties", false);
    const p = props && (props.properties || []).filter((x) => x.name === key)[0];
    return p ? p.value : "";
  }

  function setProperty(element, key, value) {
    const props = ofType(element.businessObject, "spiffworkflow:Properties", true);
    const list = props.get("properties");
    let p = list.filter((x) => x.name === key)[0];
    if (!value) {
      if (p) { list.splice(list.indexOf(p), 1); }
    } else if (p) {
      p.value = value;
    } else {
      p = moddle.create("spiffworkflow:Property", { name: key, value: value });
      p.$parent = props;
      list.push(p);
    }
    changed(element);
  }

  function operator(bo) { return ofType(bo, "spiffworkflow:ServiceTaskOperator", false); }

  function setHandler(element, handlerName) {
    const ee = ext(element.businessObject, true);
    ee.values = (ee.values || []).filter((v) => !v.$instanceOf("spiffworkflow:ServiceTaskOperator"));
    if (handlerName) {
      const op = moddle.create("spiffworkflow:ServiceTaskOperator", { id: handlerName, resultVariable: handlerName });
      op.$parent = ee;
      op.parameters = moddle.create("spiffworkflow:Parameters", { parameters: [] });
      op.parameters.$parent = op;
      ee.values.push(op);
    }
    changed(element);
  }

  function getParameter(bo, name) {
    const op = operator(bo);
    const p = op && op.parameters && op.parameters.get("parameters").filter((x) => x.id === name)[0];
    return p ? p.value : "";
  }

  function setParameter(element, name, value) {
    const op = operator(element.businessObject);
    if (!op) { return; }
    if (!op.parameters) {
      op.parameters = moddle.create("spiffworkflow:Parameters", { parameters: [] });
      op.parameters.$parent = op;
    }
    const list = op.parameters.get("parameters");
    let p = list.filter((x) => x.id === name)[0];
    if (!value) { if (p) { list.splice(list.indexOf(p), 1); } }
    else if (p) { p.value = value; }
    else {
      p = moddle.create("spiffworkflow:Parameter", { id: name, type: "any", value: value });
      p.$parent = op.parameters;
      list.push(p);
    }
    changed(element);
  }

  function getInstructions(bo) {
    const i = ofType(bo, "spiffworkflow:InstructionsForEndUser", false);
    return i ? (i.text || "") : "";
  }

  function setInstructions(element, text) {
    const bo = element.businessObject;
    if (!text) {
      const ee = ext(bo, false);
      if (!ee) { return; }
      ee.values = (ee.values || []).filter((v) => !v.$instanceOf("spiffworkflow:InstructionsForEndUser"));
    } else {
      ofType(bo, "spiffworkflow:InstructionsForEndUser", true).text = text;
    }
    changed(element);
  }

  // a business rule task's DMN decision (spiffworkflow:calledDecisionId)
  function getDecision(bo) {
    const d = ofType(bo, "spiffworkflow:CalledDecisionId", false);
    return d ? (d.text || "") : "";
  }

  function setDecision(element, id) {
    ofType(element.businessObject, "spiffworkflow:CalledDecisionId", true).text = id;
    changed(element);
  }

  function laneOf(element) {
    const bo = element.businessObject;
    const lanes = (bo.get && bo.get("lanes")) || [];
    if (lanes.length) { return lanes[0].name || lanes[0].id; }
    const lane = elementRegistry.filter((e) => e.type === "bpmn:Lane" &&
      element.x >= e.x && element.x <= e.x + e.width &&
      element.y >= e.y && element.y <= e.y + e.height)[0];
    return lane ? (lane.businessObject.name || lane.id) : "";
  }

  return { getProperty, setProperty, operator, setHandler, getParameter, setParameter,
           getInstructions, setInstructions, getDecision, setDecision, laneOf };
}

export function timerDefinition(bo) {
  return (bo.eventDefinitions || []).filter((d) => d.$type === "bpmn:TimerEventDefinition")[0];
}
