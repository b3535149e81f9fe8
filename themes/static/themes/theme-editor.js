/* The theme editor: keeps each colour's text field and picker in step, and checks WCAG 2.x contrast as the
 * owner types (the same sums as themes/colours.py). The words come from the page (translated on the server). */
(function () {
  "use strict";

  var HEX = /^#[0-9a-fA-F]{6}$/;

  function channel(value) {
    var srgb = value / 255;
    return srgb <= 0.04045 ? srgb / 12.92 : Math.pow((srgb + 0.055) / 1.055, 2.4);
  }

  function luminance(hex) {
    var red = parseInt(hex.substr(1, 2), 16);
    var green = parseInt(hex.substr(3, 2), 16);
    var blue = parseInt(hex.substr(5, 2), 16);
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue);
  }

  function contrast(first, second) {
    var a = luminance(first);
    var b = luminance(second);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }

  function valueOf(id) {
    var input = document.getElementById(id);
    var value = input ? input.value.trim() : "";
    return HEX.test(value) ? value.toLowerCase() : null;
  }

  function updateContrast() {
    document.querySelectorAll("[data-theme-contrast]").forEach(function (panel) {
      var minimum = parseFloat(panel.dataset.minimum.replace(",", "."));
      var anyFail = false;
      panel.querySelectorAll("[data-contrast-pair]").forEach(function (row) {
        var foreground = valueOf(row.dataset.foreground);
        var background = valueOf(row.dataset.background);
        var ratioCell = row.querySelector("[data-contrast-ratio]");
        var verdictCell = row.querySelector("[data-contrast-verdict]");
        var sample = row.querySelector("[data-contrast-sample]");
        if (!foreground || !background) {
          ratioCell.textContent = "";
          verdictCell.textContent = "";
          return;
        }
        var ratio = contrast(foreground, background);
        var passes = ratio >= minimum;
        anyFail = anyFail || !passes;
        ratioCell.textContent = ratio.toFixed(2) + ":1";
        verdictCell.textContent = passes ? panel.dataset.passText : panel.dataset.failText;
        row.classList.toggle("k-contrast--pass", passes);
        row.classList.toggle("k-contrast--fail", !passes);
        sample.style.color = foreground;
        sample.style.backgroundColor = background;
      });
      panel.querySelector("[data-contrast-warning]").hidden = !anyFail;
    });
  }

  function wire(input) {
    if (input.dataset.themeColourWired) return;
    input.dataset.themeColourWired = "1";
    var picker = document.querySelector('[data-theme-colour-picker="' + input.id + '"]');
    function syncPicker() {
      if (picker && HEX.test(input.value.trim())) picker.value = input.value.trim().toLowerCase();
      updateContrast();
    }
    input.addEventListener("input", syncPicker);
    input.addEventListener("change", syncPicker);
    if (picker) {
      picker.addEventListener("input", function () {
        input.value = picker.value;
        // Wagtail's preview and unsaved-changes checks listen to the form's own fields.
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    }
  }

  function init() {
    document.querySelectorAll("[data-theme-colour]").forEach(wire);
    updateContrast();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
