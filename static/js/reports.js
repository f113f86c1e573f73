// Draws each report's chart from the figures the page carries (a json_script beside its canvas), with
// Chart.js (vendored: chart-4.6.1.umd.min.js). The same figures are in the table under each chart.
(function () {
  "use strict";
  var palette = ["#1f5fa8", "#c0392b", "#2e8540", "#8a5a00", "#6a3d9a", "#007c89", "#555555"];
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function draw(canvas) {
    var config = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    config.data.datasets.forEach(function (set, i) {
      var colour = palette[i % palette.length];
      set.borderColor = set.borderColor || colour;
      set.backgroundColor = set.backgroundColor || colour;
    });
    config.options = Object.assign({responsive: true, maintainAspectRatio: false, animation: !still,
                                    plugins: {legend: {position: "bottom"}}}, config.options);
    return new window.Chart(canvas, config);
  }

  function drawAll() {
    if (!window.Chart) { return; }  // the tables still say it all
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
