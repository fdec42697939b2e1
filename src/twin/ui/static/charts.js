// Draws every chart of the page from its data-figure attribute (JSON written by the server).
// No inline script: this file and plotly.js are the only scripts, both from this origin.
"use strict";
(function () {
  // Marks for the benchmark: plotly.js has run (this deferred script runs after it), and
  // every chart is drawn.
  performance.mark("twin-plotly-ready");
  function draw() {
    var nodes = document.querySelectorAll("[data-figure]");
    var jobs = [];
    nodes.forEach(function (node) {
      var figure = JSON.parse(node.getAttribute("data-figure"));
      var config = { displayModeBar: false, responsive: true, displaylogo: false };
      jobs.push(
        window.Plotly.newPlot(node, figure.data, figure.layout, config).then(function () {
          node.setAttribute("data-rendered", "true");
        })
      );
    });
    Promise.all(jobs).then(
      function () {
        performance.mark("twin-charts-drawn");
        document.documentElement.setAttribute("data-charts-ready", String(jobs.length));
      },
      function (error) {
        document.documentElement.setAttribute("data-charts-ready", "error");
        console.error("a chart could not be drawn", error);
      }
    );
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
