// The diagram modeler page: bpmn-js Modeler with the minimap, the keyboard and the
// bpmn-js properties panel (its BPMN groups plus our "Engine" group), server-side
// validation with problems drawn at their elements, deploy with a change note, download
// and upload (a file without a drawing is laid out first), and a warning before unsaved
// changes are lost. Bundled by `npm run build` (esbuild) into web/static/build/.
import Modeler from "bpmn-js/lib/Modeler";
import minimapModule from "diagram-js-minimap";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import "diagram-js-minimap/assets/diagram-js-minimap.css";
import EngineProvider from "./provider";
import { SPIFF, SPIFF_URI, spiffAccess } from "./spiff";
import { makeServer } from "./server";
import { makeProblems } from "./problems";
import { bindView } from "./view";
import { bindUpload } from "./upload";
import { bindDeploy } from "./deploy";
import { makeFormEditor } from "./form-editor";
import { t, tn, translateModule } from "./texts";

const BLANK = '<?xml version="1.0" encoding="UTF-8"?>\n' +
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

const root = document.getElementById("modeler");
if (root) { start(root); }

function start(root) {
  const server = makeServer(root);
  const state = { name: root.getAttribute("data-name") || "diagram.bpmn", dirty: false };
  const status = document.getElementById("status");
  const studio = {
    handlers: JSON.parse(root.getAttribute("data-handlers") || "[]"),
    fileForms: JSON.parse(root.getAttribute("data-forms") || "[]"),
    drafts: {},  // forms made in the form editor: {file name: {schema, ui}}
    formNames() {
      return Array.from(new Set(this.fileForms.concat(Object.keys(this.drafts)))).sort();
    },
    editForm() {},
    tryIt(kind, expression, sample) {
      return server.postJson(root.getAttribute("data-try-url"), { kind, expression, data: sample })
        .then((a) => a.body);
    }
  };
  const modeler = new Modeler({
    container: document.getElementById("canvas"),
    moddleExtensions: { spiffworkflow: SPIFF },
    propertiesPanel: { parent: "#panel",
                       layout: { groups: { general: { open: true }, "slm-engine": { open: true } } } },
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, minimapModule, translateModule,
      { __init__: ["slmEngineProvider"], slmEngineProvider: ["type", EngineProvider] }
    ],
    studio: studio
  });
  const problems = makeProblems(modeler, document.getElementById("problems"));
  const view = bindView(modeler, root);

  function say(text, kind) {
    status.textContent = text;
    status.className = "align-self-center small text-" + (kind || "body-secondary");
  }
  function currentXml() { return modeler.saveXML({ format: true }).then((r) => r.xml); }
  function load(xml) {
    return modeler.importXML(xml).then(() => {
      view.fit();
      modeler.get("minimap").open();
      problems.clear();
      state.dirty = false;
      root.setAttribute("data-state", "ready");
    });
  }
  const ctx = { root, modeler, server, state, studio, problems, say, currentXml, load, spiffAccess };
  studio.editForm = makeFormEditor(ctx).open;

  modeler.on("commandStack.changed", () => { state.dirty = true; });
  window.addEventListener("beforeunload", (event) => {
    if (state.dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  document.getElementById("validate").addEventListener("click", () => {
    say(t("Validating…"));
    currentXml().then((xml) => server.postJson(root.getAttribute("data-validate-url"),
      { xml, name: state.name, forms: studio.drafts }))
      .then((answer) => {
        problems.show(answer.body.problems || []);
        if (answer.body.valid) { say(t("No problems: the diagram can be deployed."), "success"); }
        else { say(tn("%(num)s problem: see the diagram and the list.", "%(num)s problems: see the diagram and the list.",
                     answer.body.problems.length), "danger"); }
      })
      .catch((err) => say(t("Validation failed: %(error)s", { error: err.message }), "danger"));
  });
  bindDeploy(ctx);

  document.getElementById("download").addEventListener("click", () => {
    currentXml().then((xml) => {
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
      link.download = state.name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      state.dirty = false;
    });
  });
  bindUpload(ctx);

  const url = root.getAttribute("data-xml-url");
  const initial = url
    ? fetch(url, { credentials: "same-origin" }).then((r) => {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    })
    : Promise.resolve(BLANK);
  initial.then(load).catch((err) => say(t("The diagram could not be opened: %(error)s", { error: err.message }), "danger"));
  window.slmModeler = modeler;  // for tests and the browser console
}
