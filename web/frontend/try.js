// "Try it": run the selected condition, script or timer against sample task data on the
// server (the engine's sandbox) and show the result, the changed data or the error.
import { h } from "@bpmn-io/properties-panel/preact";
import { useState } from "@bpmn-io/properties-panel/preact/hooks";
import { useService } from "bpmn-js-properties-panel";
import { timerDefinition } from "./spiff";
import { t } from "./texts";

function tryLabel(kind) {
  if (kind === "condition") { return t("Try the condition"); }
  return kind === "script" ? t("Try the script") : t("Try the timer");
}

function expressionOf(element, kind) {
  const bo = element.businessObject;
  if (kind === "condition") { return bo.conditionExpression ? bo.conditionExpression.body : ""; }
  if (kind === "script") { return bo.script || ""; }
  const timer = timerDefinition(bo);
  const def = timer && (timer.timeDuration || timer.timeDate || timer.timeCycle);
  return def ? def.body : "";
}

export function TryEntry({ element, id, kind }) {
  const studio = useService("config.studio");
  const [sample, setSample] = useState(studio.sampleData || "{}");
  const [answer, setAnswer] = useState(null);
  function run() {
    studio.sampleData = sample;
    setAnswer({ pending: true });
    studio.tryIt(kind, expressionOf(element, kind), sample).then(setAnswer,
      (err) => setAnswer({ ok: false, error: err.message }));
  }
  let shown = null;
  if (answer && !answer.pending) {
    shown = h("div", { class: "slm-try-result small mt-1 " + (answer.ok ? "text-success" : "text-danger"),
                       "data-testid": "try-result", role: "status" },
      answer.ok ? [h("div", null, t("Result:"), " ", h("code", null, answer.result)),
                   answer.changed ? h("div", null, t("Data after:"), " ", h("code", null, answer.changed)) : null]
        : t("Error: %(error)s", { error: answer.error }));
  }
  return h("div", { class: "bio-properties-panel-entry", "data-entry-id": id },
    h("label", { class: "bio-properties-panel-label", for: "slm-sample-" + kind }, t("Sample task data (JSON)")),
    h("textarea", { id: "slm-sample-" + kind, class: "bio-properties-panel-input", rows: 3, value: sample,
                    spellcheck: false, onInput: (e) => setSample(e.target.value) }),
    h("button", { type: "button", class: "btn btn-sm btn-outline-secondary mt-1", onClick: run },
      tryLabel(kind)),
    shown);
}
