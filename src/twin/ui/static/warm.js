// On pages without charts: install the service worker that keeps plotly.js compiled
// (static/sw.js), so the next chart page skips fetching and compiling it.
"use strict";
(function () {
  var plotly = document.currentScript && document.currentScript.getAttribute("data-plotly");
  if (!plotly || !("serviceWorker" in navigator)) {
    return;
  }
  window.addEventListener("load", function () {
    navigator.serviceWorker
      .register("/ui/sw.js?plotly=" + encodeURIComponent(plotly), { scope: "/ui/" })
      .catch(function () {
        // Without it the chart pages still work: they fetch and compile plotly.js themselves.
      });
  });
})();
