// Upload a .bpmn file. The server checks it first: a document refused as a whole
// (malformed, DOCTYPE/entities, not BPMN, too large) never reaches the modeler, and the
// diagram open before stays open. A file without a drawing is laid out automatically
// (bpmn-auto-layout) before it is opened.
import { layoutProcess } from "bpmn-auto-layout";

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}\.bpmn$/;

export function hasDrawing(xml) {
  return /<([\w-]+:)?BPMNShape\b/.test(xml);
}

export function bindUpload(ctx) {
  const { root, modeler, server, state, problems, say, currentXml, load } = ctx;
  document.getElementById("upload").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) { return; }
    if (state.dirty && !window.confirm("Replace the diagram? Unsaved changes are lost.")) { return; }
    const fileName = SAFE_NAME.test(file.name) ? file.name : "upload.bpmn";
    let previous = null;
    currentXml().then((xml) => { previous = xml; }, () => null)
      .then(() => file.arrayBuffer())
      .then((buffer) => server.postXml(root.getAttribute("data-validate-url"), buffer, fileName)
        .then((answer) => {
          const whole = (answer.body.problems || []).filter((p) => p.element_id === fileName);
          if (answer.status !== 200 || whole.length) {
            say("The file was refused: " + (whole.map((p) => p.message).join("; ") ||
                "HTTP " + answer.status) + ". The diagram open before is unchanged.", "danger");
            return null;
          }
          const text = new TextDecoder("utf-8").decode(buffer);
          const drawn = hasDrawing(text);
          return (drawn ? Promise.resolve(text) : layoutProcess(text))
            .then((xml) => load(xml))
            .then(() => {
              state.name = fileName;
              state.dirty = true;
              root.setAttribute("data-laid-out", drawn ? "no" : "yes");
              problems.show(answer.body.problems || []);
              const how = drawn ? "" : " (it had no drawing: laid out automatically)";
              say("Loaded " + fileName + how + (answer.body.valid ? "." : ": it has problems, see the list."),
                  answer.body.valid ? "success" : "danger");
            });
        }))
      .catch((err) => {
        const restore = previous ? modeler.importXML(previous).then(() => null, () => null) : Promise.resolve();
        restore.then(() => say("The file could not be opened: " + err.message +
          ". The diagram open before is unchanged.", "danger"));
      });
  });
}
