// Validation problems: a list under the panel and a badge at each element concerned.
export function makeProblems(modeler, list) {
  function clear() {
    const canvas = modeler.get("canvas");
    modeler.get("overlays").remove({ type: "slm-problem" });
    modeler.get("elementRegistry").forEach((el) => canvas.removeMarker(el, "slm-problem"));
    list.innerHTML = "";
  }
  function show(problems) {
    clear();
    const registry = modeler.get("elementRegistry");
    const counts = {};
    problems.forEach((p) => {
      const item = document.createElement("li");
      item.setAttribute("data-element-id", p.element_id);
      item.textContent = p.element_id + ": " + p.message;
      list.appendChild(item);
      const el = registry.get(p.element_id);
      if (!el) { return; }
      item.classList.add("slm-problem-link");
      item.tabIndex = 0;
      item.addEventListener("click", () => {
        modeler.get("selection").select(el);
        modeler.get("canvas").scrollToElement(el);
      });
      counts[p.element_id] = (counts[p.element_id] || []).concat([p.message]);
    });
    Object.keys(counts).forEach((id) => {
      const badge = document.createElement("div");
      badge.className = "slm-problem-badge";
      badge.setAttribute("data-problem-for", id);
      badge.title = counts[id].join("\n");
      badge.textContent = "⚠ " + counts[id].length;
      modeler.get("overlays").add(id, "slm-problem", { position: { top: -10, right: 10 }, html: badge });
      modeler.get("canvas").addMarker(id, "slm-problem");
    });
  }
  return { clear, show };
}
