// Upload a .bpmn file. The server checks it first: a document refused as a whole
// (malformed, DOCTYPE/entities, not BPMN, too large) never reaches the modeler, and the
// diagram open before stays open. A file without a drawing is laid out automatically
// (bpmn-auto-layout) before it is opened.
import { layoutProcess } from "bpmn-auto-layout";
import { t } from "./texts";

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}\.bpmn$/;

export function hasDrawing(xml) {
  return /<([\w-]+:)?BPMNShape\b/.test(xml);
}

const BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL";

/** The XML with each flow named on its ends (<incoming>/<outgoing>): the auto layout
 * follows those, and files written by hand often leave them out. */
export function withFlowRefs(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  if (doc.getElementsByTagName("parsererror").length) { return xml; }
  const byId = {};
  Array.from(doc.getElementsByTagNameNS(BPMN_NS, "*")).forEach((el) => {
    if (el.getAttribute("id")) { byId[el.getAttribute("id")] = el; }
  });
  const prefix = doc.documentElement.prefix;
  function refer(node, tag, flowId) {
    if (!node) { return; }
    const known = Array.from(node.getElementsByTagNameNS(BPMN_NS, tag))
      .some((r) => r.parentNode === node && r.textContent.trim() === flowId);
    if (known) { return; }
    const ref = doc.createElementNS(BPMN_NS, (prefix ? prefix + ":" : "") + tag);
    ref.textContent = flowId;
    node.appendChild(ref);
  }
  Array.from(doc.getElementsByTagNameNS(BPMN_NS, "sequenceFlow")).forEach((flow) => {
    const id = flow.getAttribute("id");
    refer(byId[flow.getAttribute("sourceRef")], "outgoing", id);
    refer(byId[flow.getAttribute("targetRef")], "incoming", id);
  });
  return new XMLSerializer().serializeToString(doc);
}

function loaded(name, drawn, valid) {
  if (drawn) {
    return valid ? t("Loaded %(name)s.", { name }) : t("Loaded %(name)s: it has problems, see the list.", { name });
  }
  return valid ? t("Loaded %(name)s (it had no drawing: laid out automatically).", { name })
    : t("Loaded %(name)s (it had no drawing: laid out automatically): it has problems, see the list.", { name });
}

export function bindUpload(ctx) {
  const { root, modeler, server, state, problems, say, currentXml, load } = ctx;
  document.getElementById("upload").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) { return; }
    if (state.dirty && !window.confirm(t("Replace the diagram? Unsaved changes are lost."))) { return; }
    const fileName = SAFE_NAME.test(file.name) ? file.name : "upload.bpmn";
    let previous = null;
    currentXml().then((xml) => { previous = xml; }, () => null)
      .then(() => file.arrayBuffer())
      .then((buffer) => server.postXml(root.getAttribute("data-validate-url"), buffer, fileName)
        .then((answer) => {
          const whole = (answer.body.problems || []).filter((p) => p.element_id === fileName);
          if (answer.status !== 200 || whole.length) {
            say(t("The file was refused: %(reason)s. The diagram open before is unchanged.", {
              reason: whole.map((p) => p.message).join("; ") || "HTTP " + answer.status }), "danger");
            return null;
          }
          const text = new TextDecoder("utf-8").decode(buffer);
          const drawn = hasDrawing(text);
          return (drawn ? Promise.resolve(text) : layoutProcess(withFlowRefs(text)))
            .then((xml) => load(xml))
            .then(() => {
              state.name = fileName;
              state.dirty = true;
              root.setAttribute("data-laid-out", drawn ? "no" : "yes");
              problems.show(answer.body.problems || []);
              say(loaded(fileName, drawn, answer.body.valid), answer.body.valid ? "success" : "danger");
            });
        }))
      .catch((err) => {
        const restore = previous ? modeler.importXML(previous).then(() => null, () => null) : Promise.resolve();
        restore.then(() => say(t("The file could not be opened: %(error)s. The diagram open before is unchanged.",
          { error: err.message }), "danger"));
      });
  });
}
