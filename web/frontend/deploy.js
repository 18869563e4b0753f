// Deploy with a change note: the note is stored with the new version; on success the
// modeler opens the new version (its breadcrumb names it and links to its diff).
export function bindDeploy(ctx) {
  const { root, server, state, studio, problems, say, currentXml } = ctx;
  const note = document.getElementById("note");
  document.getElementById("deploy").addEventListener("click", () => {
    const text = note.value.trim();
    if (!text) {
      say("Write a change note first: why was the diagram changed?", "danger");
      note.classList.add("is-invalid");
      note.focus();
      return;
    }
    note.classList.remove("is-invalid");
    say("Deploying…");
    currentXml().then((xml) => server.postJson(root.getAttribute("data-deploy-url"),
      { xml, name: state.name, note: text, forms: studio.drafts }))
      .then((answer) => {
        problems.show(answer.body.problems || []);
        if (answer.status !== 200) {
          say("Not deployed: " + (answer.body.error || (answer.body.problems || []).length + " problem(s)."), "danger");
          return;
        }
        const created = answer.body.versions.filter((v) => v.created);
        if (!created.length) {
          say("Nothing changed: " + answer.body.versions.map((v) => v.process_id + " version " + v.version)
            .join(", ") + " is current.", "body-secondary");
          return;
        }
        state.dirty = false;
        say("Deployed " + created.map((v) => v.process_id + " version " + v.version).join(", ") + ".", "success");
        window.location.assign(created[0].modeler_url);
      })
      .catch((err) => say("Deploy failed: " + err.message, "danger"));
  });
}
