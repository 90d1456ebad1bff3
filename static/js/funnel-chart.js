/* The funnel chart (templates/dashboards/funnel.html): one horizontal bar per state in lifecycle order, drawn from
   the JSON the page writes with json_script (id "funnel-data"). Labels arrive translated; no inline script (the CSP). */
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("funnel-data");
    var canvas = document.getElementById("chart-funnel");
    if (!source || !canvas || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    window.funnelChart = new window.Chart(canvas, {
      type: "bar",
      data: {labels: data.labels, datasets: [{label: data.label, data: data.data, backgroundColor: "#2563eb"}]},
      options: {indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
                scales: {x: {beginAtZero: true, ticks: {precision: 0}}}, plugins: {legend: {display: false}}}
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
