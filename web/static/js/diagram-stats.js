// A version's diagram (bpmn-js NavigatedViewer from /vendor/bpmn-js) with per-element badges:
// how many instances of this version passed or wait at each element, and open incidents.
(function () {
  "use strict";
  var container = document.getElementById("stats-diagram");
  if (!container || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: container });
  function get(url, type) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return type === "json" ? r.json() : r.text();
    });
  }
  function badge(kind, n, title) {
    var el = document.createElement("span");
    el.className = "slm-stat slm-stat-" + kind;
    el.title = title;
    el.textContent = String(n);
    return el;
  }
  Promise.all([get(container.getAttribute("data-diagram-url"), "text"),
               get(container.getAttribute("data-stats-url"), "json")])
    .then(function (results) {
      return viewer.importXML(results[0]).then(function () { return results[1]; });
    })
    .then(function (stats) {
      viewer.get("canvas").zoom("fit-viewport", "auto");
      var registry = viewer.get("elementRegistry");
      var overlays = viewer.get("overlays");
      Object.keys(stats).forEach(function (id) {
        if (!registry.get(id)) { return; }
        var s = stats[id];
        var box = document.createElement("div");
        box.className = "slm-stats";
        box.setAttribute("data-stats-for", id);
        if (s.passed) { box.appendChild(badge("passed", s.passed, window.SLM.tn("%(num)s passed", "%(num)s passed", s.passed))); }
        if (s.waiting) { box.appendChild(badge("waiting", s.waiting, window.SLM.tn("%(num)s waiting here", "%(num)s waiting here", s.waiting))); }
        if (s.incidents) { box.appendChild(badge("incident", s.incidents, window.SLM.tn("%(num)s open incident", "%(num)s open incidents", s.incidents))); }
        if (box.childNodes.length) {
          overlays.add(id, "slm-stats", { position: { bottom: 0, left: -8 }, html: box });
        }
      });
      container.setAttribute("data-state", "ready");
    })
    .catch(function () {
      container.setAttribute("data-state", "error");
      container.textContent = window.SLM.t("The diagram could not be shown.");
    });
}());
