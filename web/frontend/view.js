// The canvas controls: zoom in and out, fit, whole window, and the keyboard.
import { t } from "./texts";

export function bindView(modeler, root) {
  const canvas = modeler.get("canvas");
  function zoomBy(factor) {
    canvas.zoom(Math.min(4, Math.max(0.05, canvas.zoom() * factor)));
    report();
  }
  function fit() { canvas.zoom("fit-viewport", "auto"); report(); }
  function report() {
    root.setAttribute("data-zoom", canvas.zoom().toFixed(4));
  }
  function toggleWindow() {
    const on = !root.classList.contains("slm-whole-window");
    root.classList.toggle("slm-whole-window", on);
    document.body.classList.toggle("slm-no-scroll", on);
    const button = root.querySelector("#whole-window");
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? t("Leave whole window") : t("Whole window");
    canvas.resized();
    fit();
  }
  root.querySelector("#zoom-in").addEventListener("click", () => zoomBy(1.25));
  root.querySelector("#zoom-out").addEventListener("click", () => zoomBy(0.8));
  root.querySelector("#zoom-fit").addEventListener("click", fit);
  root.querySelector("#whole-window").addEventListener("click", toggleWindow);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && root.classList.contains("slm-whole-window")) { toggleWindow(); }
  });
  modeler.on("canvas.viewbox.changed", report);
  return { fit, report };
}
