// Process health: the version's diagram with each human task coloured by how long tasks
// wait there (median; level 1..4 of the longest), and a badge with p50 / p90 in hours.
(function () {
  "use strict";
  var container = document.getElementById("heat-diagram");
  if (!container || !window.BpmnJS) { return; }
  var heat = JSON.parse(container.getAttribute("data-heat") || "{}");
  var viewer = new window.BpmnJS({ container: container });
  var t = window.SLM.t, tn = window.SLM.tn;
  function h(seconds) {
    return seconds === null ? "—" : t("%(hours)s h", { hours: (seconds / 3600).toFixed(1) });
  }
  window.slmLoadDiagram(container, viewer, function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport", "auto");
    Object.keys(heat).forEach(function (id) {
      if (!registry.get(id)) { return; }
      var item = heat[id];
      if (item.level) { canvas.addMarker(id, "slm-heat-" + item.level); }
      var badge = document.createElement("div");
      badge.className = "slm-heat-badge";
      badge.setAttribute("data-heat-for", id);
      badge.textContent = t("p50 %(p50)s · p90 %(p90)s", { p50: h(item.p50), p90: h(item.p90) }) +
        (item.waiting ? " · " + tn("%(num)s waiting", "%(num)s waiting", item.waiting) : "") +
        (item.incidents ? " · " + tn("%(num)s incident", "%(num)s incidents", item.incidents) : "");
      viewer.get("overlays").add(id, "slm-heat", { position: { bottom: 4, left: 0 }, html: badge });
    });
    container.setAttribute("data-state", "ready");
  });
}());
