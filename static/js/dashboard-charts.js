/* Coverage trends charts (templates/dashboards/trends.html): draws each <canvas data-chart="…"> from the JSON the
   page writes with json_script (id "trend-data"). Labels arrive translated; no inline script (the CSP). */
(function () {
  "use strict";
  var COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed",
                 "#0891b2", "#db2777", "#65a30d", "#475569", "#9333ea"];
  var KINDS = {compliance: "line", alerts: "bar", breadth: "line"};
  var PERCENT = {compliance: true, breadth: true};

  function datasets(series, kind) {
    return series.map(function (s, i) {
      var colour = COLOURS[i % COLOURS.length];
      return {label: s.label, data: s.data, borderColor: colour,
              backgroundColor: kind === "bar" ? colour : colour + "33",
              spanGaps: false, tension: 0.1, pointRadius: s.data.length > 60 ? 0 : 3};
    });
  }

  function draw() {
    var source = document.getElementById("trend-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    window.dashboardCharts = {};
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var name = canvas.getAttribute("data-chart");
      var kind = KINDS[name] || "line";
      var y = {beginAtZero: true};
      if (PERCENT[name]) { y.max = 100; y.ticks = {callback: function (v) { return v + "%"; }}; }
      else { y.ticks = {precision: 0}; }
      window.dashboardCharts[name] = new window.Chart(canvas, {
        type: kind,
        data: {labels: data.labels, datasets: datasets(data[name] || [], kind)},
        options: {responsive: true, maintainAspectRatio: false, animation: false, scales: {y: y},
                  interaction: {mode: "index", intersect: false}, plugins: {legend: {position: "bottom"}}}
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
