// Draws the page's Vega-Lite charts (specs embedded as JSON by the server) with the vendored
// Vega renderer, themed from the page's own colours and redrawn when light/dark mode changes.
"use strict";

(function () {
  const views = [];
  // A spec may carry a narrow-screen variant (usermeta.narrow) that replaces its top-level parts.
  const narrowScreen = window.matchMedia("(max-width: 40rem)");

  function colour(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function theme() {
    const fg = colour("--fg");
    const muted = colour("--muted");
    const line = colour("--line");
    return {
      background: null,
      font: "system-ui, -apple-system, 'Segoe UI', sans-serif",
      view: { stroke: null },
      axis: { labelColor: muted, titleColor: fg, domainColor: line, tickColor: line, gridColor: line,
              labelFontSize: 12, titleFontSize: 12 },
      legend: { labelColor: muted, titleColor: fg, labelFontSize: 12, titleFontSize: 12 },
      title: { color: fg },
      line: { color: colour("--accent") },
      bar: { color: colour("--accent") },
      point: { color: colour("--accent") },
      range: { category: { scheme: "tableau10" } },
    };
  }

  function draw() {
    while (views.length) views.pop().finalize();
    document.querySelectorAll("figure[data-chart]").forEach(function (figure) {
      const source = figure.querySelector("script[type='application/json']");
      const target = figure.querySelector(".chart-view");
      if (!source || !target) return;
      let spec = JSON.parse(source.textContent);
      if (narrowScreen.matches && spec.usermeta && spec.usermeta.narrow) {
        spec = Object.assign({}, spec, spec.usermeta.narrow);
      }
      spec.config = theme();
      // A calendar day without reviews takes the page's neutral line colour in either mode.
      const dayColour = spec.encoding && spec.encoding.color;
      if (dayColour && dayColour.condition && figure.dataset.chart === "calendar") {
        dayColour.condition = Object.assign({}, dayColour.condition, { value: colour("--line") });
      }
      vegaEmbed(target, spec, {
        actions: false, renderer: "svg", ast: true, defaultStyle: false,
        tooltip: { theme: "custom", disableDefaultStyle: true },
      }).then(function (result) {
        views.push(result.view);
        figure.dataset.drawn = "true";
      }).catch(function (error) {
        figure.dataset.drawn = "error";
        target.textContent = "This chart could not be drawn: " + error.message;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", draw);
  narrowScreen.addEventListener("change", draw);
})();
