// Draws each chart of the analytics dashboard from the figure the server built (plotly.py -> JSON -> Plotly.newPlot).
// Wagtail puts extra_js in the head, so the drawing waits for the document.
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll("[data-chart]").forEach(function (figure) {
      var key = figure.getAttribute("data-chart");
      var data = document.getElementById("figure-" + key);
      var target = document.getElementById("plot-" + key);
      if (!data || !target || !window.Plotly) return;
      var spec = JSON.parse(data.textContent);
      window.Plotly.newPlot(target, spec.data, spec.layout, {
        responsive: true,
        displaylogo: false,
        modeBarButtonsToRemove: ["lasso2d", "select2d"],
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
