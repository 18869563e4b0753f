// Deploy with a change note: the note is stored with the new version; on success the
// modeler opens the new version (its breadcrumb names it and links to its diff).
import { t, tn } from "./texts";

function named(versions) {
  return versions.map((v) => t("%(process)s version %(version)s", { process: v.process_id, version: v.version }))
    .join(", ");
}

export function bindDeploy(ctx) {
  const { root, server, state, studio, problems, say, currentXml } = ctx;
  const note = document.getElementById("note");
  document.getElementById("deploy").addEventListener("click", () => {
    const text = note.value.trim();
    if (!text) {
      say(t("Write a change note first: why was the diagram changed?"), "danger");
      note.classList.add("is-invalid");
      note.focus();
      return;
    }
    note.classList.remove("is-invalid");
    say(t("Deploying…"));
    currentXml().then((xml) => server.postJson(root.getAttribute("data-deploy-url"),
      { xml, name: state.name, note: text, forms: studio.drafts }))
      .then((answer) => {
        problems.show(answer.body.problems || []);
        if (answer.status !== 200) {
          say(t("Not deployed: %(reason)s", { reason: answer.body.error ||
            tn("%(num)s problem.", "%(num)s problems.", (answer.body.problems || []).length) }), "danger");
          return;
        }
        const created = answer.body.versions.filter((v) => v.created);
        if (!created.length) {
          say(t("Nothing changed: %(versions)s is current.", { versions: named(answer.body.versions) }),
            "body-secondary");
          return;
        }
        state.dirty = false;
        say(t("Deployed %(versions)s.", { versions: named(created) }), "success");
        window.location.assign(created[0].modeler_url);
      })
      .catch((err) => say(t("Deploy failed: %(error)s", { error: err.message }), "danger"));
  });
}
