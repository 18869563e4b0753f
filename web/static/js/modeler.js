// The diagram modeler: bpmn-js Modeler (served from node_modules at /vendor/bpmn-js), a side
// panel for the properties our engine needs (SpiffWorkflow extension elements, edited through
// the moddle API), server-side validation with problems drawn at their elements, deploy,
// download and upload, and a warning before unsaved changes are lost.
(function () {
  "use strict";

  var SPIFF_URI = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  // moddle descriptor of the SpiffWorkflow extension elements we edit
  var SPIFF = {
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
        properties: [{ name: "text", isBody: true, type: "String" }] }
    ]
  };
  var BLANK = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" ' +
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" ' +
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" ' +
    'xmlns:spiffworkflow="' + SPIFF_URI + '" id="definitions_new" ' +
    'targetNamespace="https://slm.example.org/bpmn">' +
    '<bpmn:process id="new_process" name="New process" isExecutable="true">' +
    '<bpmn:startEvent id="start" /></bpmn:process>' +
    '<bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="new_process">' +
    '<bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" ' +
    'width="36" height="36" /></bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>' +
    '</bpmn:definitions>';

  var root = document.getElementById("modeler");
  if (!root || !window.BpmnJS) { return; }
  var forms = JSON.parse(root.getAttribute("data-forms") || "[]");
  var handlers = JSON.parse(root.getAttribute("data-handlers") || "[]");
  var name = root.getAttribute("data-name") || "diagram.bpmn";
  var modeler = new window.BpmnJS({
    container: document.getElementById("canvas"),
    moddleExtensions: { spiffworkflow: SPIFF }
  });
  var dirty = false;
  var status = document.getElementById("status");
  var problemList = document.getElementById("problems");
  var panel = document.getElementById("panel");

  function say(text, kind) {
    status.textContent = text;
    status.className = "align-self-center small text-" + (kind || "body-secondary");
  }

  function load(xml) {
    return modeler.importXML(xml).then(function () {
      modeler.get("canvas").zoom("fit-viewport", "auto");
      clearProblems();
      dirty = false;
      root.setAttribute("data-state", "ready");
    });
  }

  // -- unsaved changes ----------------------------------------------------------------------
  modeler.on("commandStack.changed", function () { dirty = true; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  // -- server calls -------------------------------------------------------------------------
  function post(url, xml, fileName) {
    return fetch(url + "?name=" + encodeURIComponent(fileName || name), {
      method: "POST", credentials: "same-origin", body: xml,
      headers: { "Content-Type": "application/xml", "X-CSRFToken": root.getAttribute("data-csrf"),
                 Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; },
        function () { throw new Error("the server answered HTTP " + response.status); });
    });
  }

  function currentXml() {
    return modeler.saveXML({ format: true }).then(function (result) { return result.xml; });
  }

  // -- problems on the diagram and in the list ------------------------------------------------
  function clearProblems() {
    var overlays = modeler.get("overlays");
    var canvas = modeler.get("canvas");
    overlays.remove({ type: "slm-problem" });
    modeler.get("elementRegistry").forEach(function (el) { canvas.removeMarker(el, "slm-problem"); });
    problemList.innerHTML = "";
  }

  function showProblems(problems) {
    clearProblems();
    var registry = modeler.get("elementRegistry");
    var counts = {};
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.setAttribute("data-element-id", p.element_id);
      item.textContent = p.element_id + ": " + p.message;
      problemList.appendChild(item);
      var el = registry.get(p.element_id);
      if (!el) { return; }
      item.classList.add("slm-problem-link");
      item.tabIndex = 0;
      item.addEventListener("click", function () {  // show the element and its properties
        modeler.get("selection").select(el);
        modeler.get("canvas").scrollToElement(el);
      });
      counts[p.element_id] = (counts[p.element_id] || []).concat([p.message]);
    });
    Object.keys(counts).forEach(function (id) {
      var badge = document.createElement("div");
      badge.className = "slm-problem-badge";
      badge.setAttribute("data-problem-for", id);
      badge.title = counts[id].join("\n");
      badge.textContent = "⚠ " + counts[id].length;
      modeler.get("overlays").add(id, "slm-problem", { position: { top: -10, right: 10 }, html: badge });
      modeler.get("canvas").addMarker(id, "slm-problem");
    });
  }

  document.getElementById("validate").addEventListener("click", function () {
    say("Validating…");
    currentXml().then(function (xml) { return post(root.getAttribute("data-validate-url"), xml); })
      .then(function (answer) {
        showProblems(answer.body.problems || []);
        if (answer.body.valid) { say("No problems: the diagram can be deployed.", "success"); }
        else { say(answer.body.problems.length + " problem(s): see the diagram and the list.", "danger"); }
      })
      .catch(function (err) { say("Validation failed: " + err.message, "danger"); });
  });

  document.getElementById("deploy").addEventListener("click", function () {
    say("Deploying…");
    currentXml().then(function (xml) { return post(root.getAttribute("data-deploy-url"), xml); })
      .then(function (answer) {
        showProblems(answer.body.problems || []);
        if (answer.status !== 200) {
          say("Not deployed: " + (answer.body.problems || []).length + " problem(s).", "danger");
          return;
        }
        dirty = false;
        status.textContent = "";
        status.className = "align-self-center small text-success";
        answer.body.versions.forEach(function (v) {
          var link = document.createElement("a");
          link.href = v.url;
          link.textContent = v.process_id + " version " + v.version +
            (v.created ? " deployed" : " (unchanged)");
          status.appendChild(link);
          status.appendChild(document.createTextNode(" "));
        });
      })
      .catch(function (err) { say("Deploy failed: " + err.message, "danger"); });
  });

  document.getElementById("download").addEventListener("click", function () {
    currentXml().then(function (xml) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      dirty = false;
    });
  });

  // An uploaded file is checked by the server first: a document it refuses as a whole
  // (malformed, DOCTYPE/entities, not BPMN, too large) never reaches the modeler.
  document.getElementById("upload").addEventListener("change", function (event) {
    var file = event.target.files[0];
    event.target.value = "";
    if (!file) { return; }
    if (dirty && !window.confirm("Replace the diagram? Unsaved changes are lost.")) { return; }
    var fileName = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}\.bpmn$/.test(file.name) ? file.name : "upload.bpmn";
    file.arrayBuffer().then(function (buffer) {
      return post(root.getAttribute("data-validate-url"), buffer, fileName).then(function (answer) {
        var whole = (answer.body.problems || []).filter(function (p) { return p.element_id === fileName; });
        if (answer.status !== 200 || whole.length) {
          showProblems([]);
          say("The file was refused: " + (whole.map(function (p) { return p.message; }).join("; ") ||
              "HTTP " + answer.status), "danger");
          return;
        }
        return load(new TextDecoder("utf-8").decode(buffer)).then(function () {
          name = fileName;
          dirty = true;
          showProblems(answer.body.problems || []);
          say("Loaded " + fileName + (answer.body.valid ? "." : ": it has problems, see the list."),
              answer.body.valid ? "success" : "danger");
        });
      });
    }).catch(function (err) { say("The file was refused: " + err.message, "danger"); });
  });

  // -- side panel -----------------------------------------------------------------------------
  var moddle = modeler.get("moddle");
  var modeling = modeler.get("modeling");

  function ext(bo, create) {
    if (!bo.extensionElements && create) {
      bo.extensionElements = moddle.create("bpmn:ExtensionElements", { values: [] });
      bo.extensionElements.$parent = bo;
    }
    return bo.extensionElements;
  }

  function extOfType(bo, type, create) {
    var ee = ext(bo, create);
    if (!ee) { return null; }
    var found = (ee.values || []).filter(function (v) { return v.$instanceOf(type); })[0];
    if (!found && create) {
      found = moddle.create(type);
      found.$parent = ee;
      ee.get("values").push(found);
    }
    return found || null;
  }

  function getProperty(bo, key) {
    var props = extOfType(bo, "spiffworkflow:Properties", false);
    var p = props && (props.properties || []).filter(function (x) { return x.name === key; })[0];
    return p ? p.value : "";
  }

  function changed(element) {
    // extension elements are not bpmn-js properties: record the change on the command stack
    modeling.updateProperties(element, { extensionElements: element.businessObject.extensionElements });
  }

  function setProperty(element, key, value) {
    var bo = element.businessObject;
    var props = extOfType(bo, "spiffworkflow:Properties", true);
    var list = props.get("properties");
    var p = list.filter(function (x) { return x.name === key; })[0];
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

  function operator(bo) { return extOfType(bo, "spiffworkflow:ServiceTaskOperator", false); }

  function setHandler(element, handlerName) {
    var bo = element.businessObject;
    var ee = ext(bo, true);
    ee.values = (ee.values || []).filter(function (v) { return !v.$instanceOf("spiffworkflow:ServiceTaskOperator"); });
    if (handlerName) {
      var op = moddle.create("spiffworkflow:ServiceTaskOperator", { id: handlerName, resultVariable: handlerName });
      op.$parent = ee;
      op.parameters = moddle.create("spiffworkflow:Parameters", { parameters: [] });
      op.parameters.$parent = op;
      ee.values.push(op);
    }
    changed(element);
  }

  function setParameter(element, pname, value) {
    var op = operator(element.businessObject);
    if (!op) { return; }
    if (!op.parameters) {
      op.parameters = moddle.create("spiffworkflow:Parameters", { parameters: [] });
      op.parameters.$parent = op;
    }
    var list = op.parameters.get("parameters");
    var p = list.filter(function (x) { return x.id === pname; })[0];
    if (!value) { if (p) { list.splice(list.indexOf(p), 1); } }
    else if (p) { p.value = value; }
    else {
      p = moddle.create("spiffworkflow:Parameter", { id: pname, type: "any", value: value });
      p.$parent = op.parameters;
      list.push(p);
    }
    changed(element);
  }

  function field(labelText, control, help) {
    var wrap = document.createElement("div");
    wrap.className = "mb-2";
    var label = document.createElement("label");
    label.className = "form-label small mb-0";
    control.id = "prop-" + labelText.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    label.htmlFor = control.id;
    label.textContent = labelText;
    wrap.appendChild(label);
    wrap.appendChild(control);
    if (help) {
      var small = document.createElement("div");
      small.className = "form-text";
      small.textContent = help;
      wrap.appendChild(small);
    }
    panel.appendChild(wrap);
    return control;
  }

  function input(value, onChange) {
    var el = document.createElement("input");
    el.className = "form-control form-control-sm";
    el.value = value || "";
    el.addEventListener("change", function () { onChange(el.value.trim()); });
    return el;
  }

  function select(options, value, blank, onChange) {
    var el = document.createElement("select");
    el.className = "form-select form-select-sm";
    [[ "", blank ]].concat(options).forEach(function (o) {
      var opt = document.createElement("option");
      opt.value = o[0];
      opt.textContent = o[1];
      el.appendChild(opt);
    });
    el.value = value || "";
    el.addEventListener("change", function () { onChange(el.value); });
    return el;
  }

  function laneOf(element) {
    var bo = element.businessObject;
    var lanes = (bo.get && bo.get("lanes")) || [];
    if (lanes.length) { return lanes[0].name || lanes[0].id; }
    var lane = modeler.get("elementRegistry").filter(function (e) {
      return e.type === "bpmn:Lane" && element.x >= e.x && element.x <= e.x + e.width &&
        element.y >= e.y && element.y <= e.y + e.height;
    })[0];
    return lane ? (lane.businessObject.name || lane.id) : "";
  }

  function timerDefinition(bo) {
    return (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
  }

  function render(element) {
    panel.innerHTML = "";
    if (!element) {
      panel.innerHTML = '<p class="text-body-secondary small">Select an element.</p>';
      return;
    }
    var bo = element.businessObject;
    var heading = document.createElement("p");
    heading.className = "small mb-2";
    heading.textContent = element.type.replace("bpmn:", "") + " · " + element.id;
    panel.appendChild(heading);
    field("Name", input(bo.name, function (v) { modeling.updateProperties(element, { name: v }); }));
    if (element.type === "bpmn:UserTask" || element.type === "bpmn:ServiceTask" ||
        element.type === "bpmn:ScriptTask" || element.type === "bpmn:ManualTask") {
      var lane = laneOf(element);
      var laneNote = document.createElement("p");
      laneNote.className = "small";
      laneNote.setAttribute("data-testid", "lane");
      laneNote.textContent = lane ? "Lane (role): " + lane : "Not in a lane: move it into a lane.";
      panel.appendChild(laneNote);
    }
    if (element.type === "bpmn:UserTask") {
      field("Form", select(forms.map(function (f) { return [f, f]; }), getProperty(bo, "formJsonSchemaFilename"),
        "(no form)", function (v) { setProperty(element, "formJsonSchemaFilename", v); }));
      field("Due in", input(getProperty(bo, "dueIn"), function (v) { setProperty(element, "dueIn", v); }),
        "ISO 8601 duration, e.g. P5D or PT4H");
    }
    if (element.type === "bpmn:ServiceTask") {
      var op = operator(bo);
      var current = op ? op.id : "";
      field("Handler", select(handlers.map(function (h) { return [h.name, h.name]; }), current,
        "(choose a handler)", function (v) { setHandler(element, v); render(element); }));
      var handler = handlers.filter(function (h) { return h.name === current; })[0];
      if (handler) {
        if (handler.doc) {
          var doc = document.createElement("p");
          doc.className = "form-text";
          doc.textContent = handler.doc.split("\n")[0];
          panel.appendChild(doc);
        }
        Object.keys(handler.params || {}).forEach(function (pname) {
          var value = "";
          if (op.parameters) {
            var p = op.parameters.get("parameters").filter(function (x) { return x.id === pname; })[0];
            value = p ? p.value : "";
          }
          field("Parameter " + pname, input(value, function (v) { setParameter(element, pname, v); }),
            handler.params[pname] + " (a Python expression)");
        });
      }
    }
    var timer = timerDefinition(bo);
    if (timer) {
      var kind = timer.timeDuration ? "timeDuration" : timer.timeDate ? "timeDate" : timer.timeCycle ? "timeCycle" : "timeDuration";
      var expr = timer[kind] ? timer[kind].body : "";
      field("Timer (" + kind + ")", input(expr, function (v) {
        var e = moddle.create("bpmn:FormalExpression", { body: v });
        var values = {};
        values[kind] = e;
        modeler.get("modeling").updateModdleProperties(element, timer, values);
      }), "A Python expression: quote ISO 8601 values (\"PT1H\", \"R3/PT1H\") or name a variable");
    }
    if (element.type === "bpmn:SequenceFlow" && bo.sourceRef && /Gateway$/.test(bo.sourceRef.$type)) {
      var cond = bo.conditionExpression ? bo.conditionExpression.body : "";
      field("Condition", input(cond, function (v) {
        modeling.updateProperties(element, {
          conditionExpression: v ? moddle.create("bpmn:FormalExpression", { body: v }) : undefined
        });
      }), "A Python expression on the task data");
    }
  }

  modeler.on("selection.changed", function (e) {
    render(e.newSelection.length === 1 ? e.newSelection[0] : null);
  });

  var url = root.getAttribute("data-xml-url");
  var initial = url
    ? fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    })
    : Promise.resolve(BLANK);
  initial.then(load).catch(function (err) { say("The diagram could not be opened: " + err.message, "danger"); });
  window.slmModeler = modeler;  // for tests and the browser console
}());
