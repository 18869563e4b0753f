// The form editor: a task's JSON Schema form and its ui schema, checked as you type and
// previewed by the server with the renderer of the task page. A form made here is sent
// with the diagram on validate and deploy, and is stored with the new version.
import { t } from "./texts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.schema\.json$/;

// a new form's starting point, in the owner's language (its values stay the English words)
function starter() {
  return { title: t("New form"), type: "object", required: ["decision"],
    properties: { decision: { type: "string", title: t("Decision"), enum: ["approve", "reject"],
                              "x-enum-labels": { approve: t("approve"), reject: t("reject") } },
                  comment: { type: "string", title: t("Comment") } } };
}
function uiStarter() { return { comment: { "ui:widget": "textarea", "ui:help": t("Why?") } }; }

export function makeFormEditor(ctx) {
  const { root, modeler, server, studio } = ctx;
  const dialog = document.getElementById("form-editor");
  const nameInput = document.getElementById("form-name");
  const schemaInput = document.getElementById("form-schema");
  const uiInput = document.getElementById("form-ui");
  const problemsOut = document.getElementById("form-problems");
  const preview = document.getElementById("form-preview");
  const versionForms = JSON.parse(root.getAttribute("data-version-forms") || "{}");
  let element = null;
  let timer = null;
  let seq = 0;

  function parse(text, what) {
    try { return { value: JSON.parse(text || "{}") }; }
    catch (err) {
      return { error: what === "ui" ? t("The ui schema is not valid JSON: %(error)s", { error: err.message })
        : t("The form schema is not valid JSON: %(error)s", { error: err.message }) };
    }
  }
  function showProblems(list) {
    problemsOut.innerHTML = "";
    list.forEach((m) => {
      const li = document.createElement("li");
      li.textContent = m;
      problemsOut.appendChild(li);
    });
    dialog.setAttribute("data-valid", list.length ? "no" : "yes");
  }
  function check() {
    const schema = parse(schemaInput.value, "schema");
    const ui = parse(uiInput.value, "ui");
    const local = [schema.error, ui.error].filter(Boolean);
    if (local.length) { showProblems(local); return; }
    const mine = ++seq;
    server.postJson(root.getAttribute("data-preview-url"), { schema: schema.value, ui: ui.value })
      .then((answer) => {
        if (mine !== seq) { return; }
        showProblems(answer.body.problems || []);
        if (answer.body.html !== undefined) { preview.innerHTML = answer.body.html; }
      })
      .catch((err) => showProblems([t("The preview failed: %(error)s", { error: err.message })]));
  }
  function later() { clearTimeout(timer); timer = setTimeout(check, 250); }
  schemaInput.addEventListener("input", later);
  uiInput.addEventListener("input", later);

  document.getElementById("form-use").addEventListener("click", () => {
    const name = nameInput.value.trim();
    if (!NAME.test(name)) {
      showProblems([t("The file name must end in .schema.json and use letters, digits, _ . or -")]);
      return;
    }
    const schema = parse(schemaInput.value, "schema");
    const ui = parse(uiInput.value, "ui");
    if (schema.error || ui.error || dialog.getAttribute("data-valid") !== "yes") {
      check();
      return;
    }
    studio.drafts[name] = { schema: schema.value, ui: ui.value };
    const spiffTarget = element;
    dialog.close();
    if (spiffTarget) {
      const { spiffAccess } = ctx;
      spiffAccess(modeler.get("moddle"), modeler.get("modeling"), modeler.get("elementRegistry"))
        .setProperty(spiffTarget, "formJsonSchemaFilename", name);
    }
  });
  document.getElementById("form-cancel").addEventListener("click", () => dialog.close());

  function open(target) {
    element = target;
    const bo = target.businessObject;
    const props = bo.extensionElements && (bo.extensionElements.values || []).filter(
      (v) => v.$instanceOf("spiffworkflow:Properties"))[0];
    const current = props && (props.properties || []).filter((p) => p.name === "formJsonSchemaFilename")[0];
    const name = current ? current.value : target.id + ".schema.json";
    const draft = studio.drafts[name];
    nameInput.value = name;
    schemaInput.value = JSON.stringify(draft ? draft.schema : (versionForms[name] || starter()), null, 2);
    uiInput.value = JSON.stringify(draft ? draft.ui : (versionForms[name] ? {} : uiStarter()), null, 2);
    preview.innerHTML = "";
    dialog.showModal();
    check();
  }
  return { open };
}
