/* The content mix charts (templates/dashboards/content_mix.html): for each <canvas data-mix-state data-mix-table>,
   the state's planned against actual share of each content stage or channel, drawn from the JSON the page writes
   with json_script (id "mix-data"). Labels arrive translated; no inline script (the CSP). */
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("mix-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    window.contentMixCharts = {};
    document.querySelectorAll("canvas[data-mix-state]").forEach(function (canvas) {
      var state = canvas.getAttribute("data-mix-state");
      var table = canvas.getAttribute("data-mix-table");
      var lines = (data.states[state] || {})[table];
      if (!lines) { return; }
      window.contentMixCharts[state + "-" + table] = new window.Chart(canvas, {
        type: "bar",
        data: {labels: lines.labels, datasets: [
          {label: data.planned, data: lines.planned, backgroundColor: "#94a3b8"},
          {label: data.actual, data: lines.actual, backgroundColor: "#2563eb"}
        ]},
        options: {indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
                  scales: {x: {beginAtZero: true, max: 100, ticks: {callback: function (v) { return v + "%"; }}}},
                  plugins: {legend: {position: "bottom"},
                            tooltip: {callbacks: {label: function (c) {
                              return c.dataset.label + ": " + (c.raw === null ? "—" : c.raw + "%");
                            }}}}}
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
