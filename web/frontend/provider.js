// The properties panel's "Engine" group: what our engine reads from a diagram, in words a
// process owner uses (lane role, form, due time, handler and parameters, timers, conditions,
// scripts, instructions). Registered with bpmn-js-properties-panel next to its BPMN groups.
import { h } from "@bpmn-io/properties-panel/preact";
import {
  SelectEntry, TextAreaEntry, TextFieldEntry, isSelectEntryEdited, isTextAreaEntryEdited,
  isTextFieldEntryEdited
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { spiffAccess, timerDefinition } from "./spiff";
import { durationInWords, timerInWords } from "./words";
import { TryEntry } from "./try";
import { t } from "./texts";

export function timerLabel(kind) {
  if (kind === "timeDate") { return t("Timer (at a date)"); }
  return kind === "timeCycle" ? t("Timer (repeating)") : t("Timer (after a duration)");
}
const TASKS = ["bpmn:UserTask", "bpmn:ServiceTask", "bpmn:ScriptTask", "bpmn:ManualTask"];

function useSpiff() {
  return spiffAccess(useService("moddle"), useService("modeling"), useService("elementRegistry"));
}

function Lane({ element }) {
  const lane = useSpiff().laneOf(element);
  return h("div", { class: "bio-properties-panel-entry", "data-testid": "lane" },
    lane ? t("Lane (role): %(lane)s", { lane }) : t("Not in a lane: move it into a lane."));
}

function FormEntry({ element, id }) {
  const spiff = useSpiff();
  const studio = useService("config.studio");
  return h("div", null,
    SelectEntry({
      element, id, label: t("Form"),
      getValue: () => spiff.getProperty(element.businessObject, "formJsonSchemaFilename"),
      setValue: (v) => spiff.setProperty(element, "formJsonSchemaFilename", v),
      getOptions: () => [{ value: "", label: t("(no form)") }].concat(
        studio.formNames().map((f) => ({ value: f, label: f })))
    }),
    h("div", { class: "bio-properties-panel-entry" },
      h("button", { type: "button", class: "btn btn-sm btn-outline-primary", "data-testid": "edit-form",
                    onClick: () => studio.editForm(element) },
        spiff.getProperty(element.businessObject, "formJsonSchemaFilename") ? t("Edit the form") : t("New form"))));
}

function DueIn({ element, id }) {
  const spiff = useSpiff();
  const value = spiff.getProperty(element.businessObject, "dueIn");
  const words = durationInWords(value);
  return TextFieldEntry({
    element, id, label: t("Due in"), debounce: useService("debounceInput"),
    description: words ? t("In words: %(words)s (%(value)s)", { words, value })
      : t("ISO 8601 duration, e.g. P5D (5 days) or PT4H (4 hours)"),
    getValue: () => spiff.getProperty(element.businessObject, "dueIn"),
    setValue: (v, error) => { if (!error) { spiff.setProperty(element, "dueIn", (v || "").trim()); } },
    validate: (v) => (v && !durationInWords(v) ? t("Not an ISO 8601 duration: write e.g. P3D or PT12H") : null)
  });
}

function Handler({ element, id }) {
  const spiff = useSpiff();
  const studio = useService("config.studio");
  const op = spiff.operator(element.businessObject);
  const handler = studio.handlers.filter((x) => op && x.name === op.id)[0];
  return SelectEntry({
    element, id, label: t("Handler"),
    description: handler && handler.doc ? handler.doc.split("\n")[0] : t("What the engine runs at this step"),
    getValue: () => { const o = spiff.operator(element.businessObject); return o ? o.id : ""; },
    setValue: (v) => spiff.setHandler(element, v),
    getOptions: () => [{ value: "", label: t("(choose a handler)") }].concat(
      studio.handlers.map((x) => ({ value: x.name, label: x.name })))
  });
}

function Parameter({ element, id, name, help }) {
  const spiff = useSpiff();
  return TextFieldEntry({
    element, id, label: t("Parameter %(name)s", { name }), debounce: useService("debounceInput"),
    description: t("%(help)s (an expression on the task data)", { help }),
    getValue: () => spiff.getParameter(element.businessObject, name),
    setValue: (v) => spiff.setParameter(element, name, (v || "").trim())
  });
}

function Timer({ element, id }) {
  const timer = timerDefinition(element.businessObject);
  const modeling = useService("modeling");
  const moddle = useService("moddle");
  const kind = timer.timeDuration ? "timeDuration" : timer.timeDate ? "timeDate" : timer.timeCycle ? "timeCycle" : "timeDuration";
  const expr = timer[kind] ? timer[kind].body : "";
  const words = timerInWords(expr, kind);
  return TextFieldEntry({
    element, id, label: timerLabel(kind), debounce: useService("debounceInput"),
    description: words ? t("In words: %(words)s (%(value)s)", { words, value: expr.replace(/["']/g, "") })
      : t("Quote an ISO 8601 value (\"PT1H\", \"R3/PT1H\") or name a value in the task data"),
    getValue: () => (timer[kind] ? timer[kind].body : ""),
    setValue: (v) => {
      const values = {};
      values[kind] = moddle.create("bpmn:FormalExpression", { body: (v || "").trim() });
      modeling.updateModdleProperties(element, timer, values);
    }
  });
}

function Condition({ element, id }) {
  const modeling = useService("modeling");
  const moddle = useService("moddle");
  return TextFieldEntry({
    element, id, label: t("Condition"), debounce: useService("debounceInput"),
    description: t("An expression on the task data, e.g. choice[\"approved\"] is True"),
    getValue: () => (element.businessObject.conditionExpression ? element.businessObject.conditionExpression.body : ""),
    setValue: (v) => modeling.updateProperties(element, {
      conditionExpression: v ? moddle.create("bpmn:FormalExpression", { body: v }) : undefined })
  });
}

function Script({ element, id }) {
  const modeling = useService("modeling");
  return TextAreaEntry({
    element, id, label: t("Script"), debounce: useService("debounceInput"), monospace: true, rows: 6,
    description: t("Python statements on the task data (no imports)"),
    getValue: () => element.businessObject.script || "",
    setValue: (v) => modeling.updateProperties(element, { scriptFormat: "python", script: v || undefined })
  });
}

function Instructions({ element, id }) {
  const spiff = useSpiff();
  return TextAreaEntry({
    element, id, label: t("Instructions"), debounce: useService("debounceInput"), rows: 4,
    description: t("Shown to the person who does the task (Markdown)"),
    getValue: () => spiff.getInstructions(element.businessObject),
    setValue: (v) => spiff.setInstructions(element, v)
  });
}

function Decision({ element, id }) {
  const spiff = useSpiff();
  return TextFieldEntry({
    element, id, label: t("Decision (DMN decision id)"), debounce: useService("debounceInput"),
    description: t("The decision table this task evaluates: a .dmn file deployed with the diagram"),
    getValue: () => spiff.getDecision(element.businessObject),
    setValue: (v) => spiff.setDecision(element, (v || "").trim())
  });
}

function entries(element, studio) {
  const bo = element.businessObject;
  const out = [];
  const add = (id, component, isEdited, extra) => out.push(Object.assign({ id, element, component, isEdited }, extra || {}));
  if (TASKS.indexOf(element.type) >= 0) { add("slm-lane", Lane); }
  if (element.type === "bpmn:UserTask") {
    add("slm-form", FormEntry, isSelectEntryEdited);
    add("slm-due", DueIn, isTextFieldEntryEdited);
  }
  if (element.type === "bpmn:ServiceTask") {
    add("slm-handler", Handler, isSelectEntryEdited);
    const op = (bo.extensionElements && (bo.extensionElements.values || []).filter(
      (v) => v.$instanceOf("spiffworkflow:ServiceTaskOperator"))[0]);
    const handler = studio.handlers.filter((x) => op && x.name === op.id)[0];
    Object.keys((handler && handler.params) || {}).forEach((name) => {
      add("slm-param-" + name, Parameter, isTextFieldEntryEdited, { name, help: handler.params[name] });
    });
  }
  if (element.type === "bpmn:BusinessRuleTask") {
    add("slm-decision", Decision, isTextFieldEntryEdited);
  }
  if (element.type === "bpmn:ScriptTask") {
    add("slm-script", Script, isTextAreaEntryEdited);
    add("slm-try-script", TryEntry, null, { kind: "script" });
  }
  if (timerDefinition(bo)) {
    add("slm-timer", Timer, isTextFieldEntryEdited);
    add("slm-try-timer", TryEntry, null, { kind: "timer" });
  }
  if (element.type === "bpmn:SequenceFlow" && bo.sourceRef && /Gateway$/.test(bo.sourceRef.$type)) {
    add("slm-condition", Condition, isTextFieldEntryEdited);
    add("slm-try-condition", TryEntry, null, { kind: "condition" });
  }
  if (element.type === "bpmn:UserTask" || element.type === "bpmn:ManualTask") {
    add("slm-instructions", Instructions, isTextAreaEntryEdited);
  }
  return out;
}

export default function EngineProvider(propertiesPanel, studio) {
  this.getGroups = function (element) {
    return function (groups) {
      const list = entries(element, studio);
      if (list.length) {
        groups.splice(1, 0, { id: "slm-engine", label: t("Engine"), entries: list });
      }
      return groups;
    };
  };
  propertiesPanel.registerProvider(500, this);
}
EngineProvider.$inject = ["propertiesPanel", "config.studio"];
