// A DMN decision table deployed with a diagram version, shown with dmn-js (from npm,
// bundled by esbuild). Process owners edit it; "Check and deploy" sends the version's
// diagram, its forms and the edited table to the deploy endpoint, which runs every deploy
// check and stores a new version (or lists the problems, and stores nothing).
import DmnModeler from "dmn-js/lib/Modeler";
import DmnViewer from "dmn-js/lib/NavigatedViewer";
import "dmn-js/dist/assets/diagram-js.css";
import "dmn-js/dist/assets/dmn-js-shared.css";
import "dmn-js/dist/assets/dmn-js-drd.css";
import "dmn-js/dist/assets/dmn-js-decision-table.css";
import "dmn-js/dist/assets/dmn-js-decision-table-controls.css";
import "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css";
import { makeServer } from "./server.js";
import { t, translateModule } from "./texts";

function text(url) {
  return fetch(url, { credentials: "same-origin" }).then((r) => {
    if (!r.ok) { throw new Error("HTTP " + r.status); }
    return r.text();
  });
}

function say(box, message, kind) {
  box.className = "alert alert-" + kind;
  box.textContent = message;
  box.hidden = false;
}

function showProblems(list, problems) {
  list.replaceChildren();
  problems.forEach((p) => {
    const li = document.createElement("li");
    li.setAttribute("data-testid", "problem");
    li.textContent = (p.file ? p.file + ": " : "") + p.element_id + ": " + p.message;
    list.appendChild(li);
  });
  list.hidden = problems.length === 0;
}

function openTable(dmn) {
  const table = dmn.getViews().find((v) => v.type === "decisionTable");
  return table ? dmn.open(table) : Promise.resolve();
}

function start(root) {
  const editable = root.getAttribute("data-editable") === "yes";
  const canvas = document.getElementById("dmn-canvas");
  const status = document.getElementById("dmn-status");
  const problems = document.getElementById("dmn-problems");
  // each view of dmn-js takes its own modules: our translate service in every one
  const views = {};
  ["drd", "decisionTable", "literalExpression", "boxedExpression"].forEach((view) => {
    views[view] = { additionalModules: [translateModule] };
  });
  const dmn = editable ? new DmnModeler(Object.assign({ container: canvas }, views))
    : new DmnViewer(Object.assign({ container: canvas }, views));
  text(root.getAttribute("data-xml-url"))
    .then((xml) => dmn.importXML(xml))
    .then(() => openTable(dmn))
    .then(() => root.setAttribute("data-ready", "yes"))
    .catch((err) => say(status, t("The decision table could not be shown: %(error)s", { error: err.message }), "danger"));
  if (!editable) { return; }
  const server = makeServer(root);
  document.getElementById("dmn-deploy").addEventListener("click", () => {
    const versionForms = JSON.parse(root.getAttribute("data-forms") || "{}");
    const forms = {};
    Object.keys(versionForms).forEach((name) => { forms[name] = { schema: versionForms[name] }; });
    Promise.all([dmn.saveXML({ format: true }), text(root.getAttribute("data-bpmn-url"))])
      .then(([saved, bpmn]) => server.postJson(root.getAttribute("data-deploy-url"), {
        xml: bpmn, name: root.getAttribute("data-diagram-name"),
        note: document.getElementById("dmn-note").value, forms,
        decisions: { [root.getAttribute("data-name")]: saved.xml }
      }))
      .then((answer) => {
        const body = answer.body || {};
        showProblems(problems, body.problems || []);
        if (answer.status === 200 && body.valid) {
          const made = (body.versions || []).filter((v) => v.created);
          status.replaceChildren();
          status.className = "alert alert-success";
          status.hidden = false;
          if (!made.length) { status.textContent = t("Nothing changed: the table is the same."); return; }
          const [before, after] = t("Deployed as %(versions)s.", { versions: "\u0000" }).split("\u0000");
          status.append(before);
          made.forEach((v, i) => {
            const a = document.createElement("a");
            a.href = v.url;
            a.textContent = t("%(process)s version %(version)s", { process: v.process_id, version: v.version });
            if (i) { status.append(", "); }
            status.append(a);
          });
          status.append(after || "");
        } else {
          say(status, t("Not deployed: %(reason)s", { reason: body.error || t("see the problems below") }) + ".", "danger");
        }
      })
      .catch((err) => say(status, t("Not deployed: %(reason)s", { reason: err.message }), "danger"));
  });
}

const root = document.getElementById("dmn-editor");
if (root) { start(root); }
