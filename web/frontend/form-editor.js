// The form editor: a task's JSON Schema form and its ui schema, checked as you type and
// previewed by the server with the renderer of the task page. A form made here is sent
// with the diagram on validate and deploy, and is stored with the new version.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.schema\.json$/;
const STARTER = { title: "New form", type: "object", required: ["decision"],
  properties: { decision: { type: "string", title: "Decision", enum: ["approve", "reject"] },
                comment: { type: "string", title: "Comment" } } };
const UI_STARTER = { comment: { "ui:widget": "textarea", "ui:help": "Why?" } };

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
    catch (err) { return { error: what + " is not valid JSON: " + err.message }; }
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
    const schema = parse(schemaInput.value, "The form schema");
    const ui = parse(uiInput.value, "The ui schema");
    const local = [schema.error, ui.error].filter(Boolean);
    if (local.length) { showProblems(local); return; }
    const mine = ++seq;
    server.postJson(root.getAttribute("data-preview-url"), { schema: schema.value, ui: ui.value })
      .then((answer) => {
        if (mine !== seq) { return; }
        showProblems(answer.body.problems || []);
        if (answer.body.html !== undefined) { preview.innerHTML = answer.body.html; }
      })
      .catch((err) => showProblems(["The preview failed: " + err.message]));
  }
  function later() { clearTimeout(timer); timer = setTimeout(check, 250); }
  schemaInput.addEventListener("input", later);
  uiInput.addEventListener("input", later);

  document.getElementById("form-use").addEventListener("click", () => {
    const name = nameInput.value.trim();
    if (!NAME.test(name)) {
      showProblems(["The file name must end in .schema.json and use letters, digits, _ . or -"]);
      return;
    }
    const schema = parse(schemaInput.value, "The form schema");
    const ui = parse(uiInput.value, "The ui schema");
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
    schemaInput.value = JSON.stringify(draft ? draft.schema : (versionForms[name] || STARTER), null, 2);
    uiInput.value = JSON.stringify(draft ? draft.ui : (versionForms[name] ? {} : UI_STARTER), null, 2);
    preview.innerHTML = "";
    dialog.showModal();
    check();
  }
  return { open };
}
