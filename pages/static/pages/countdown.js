// Countdowns of dated offers: the page says "Until <date>" without JavaScript (and in a cached copy); with it, the
// days, hours, minutes and seconds left, and the "ended" text once the moment has passed.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function start(section) {
    var ends = Date.parse(section.getAttribute("data-countdown"));
    if (isNaN(ends)) { return; }
    var clock = section.querySelector(".k-countdown__clock");
    var until = section.querySelector(".k-countdown__until");
    function tick() {
      var left = Math.floor((ends - Date.now()) / 1000);
      if (left <= 0) {
        clock.hidden = true;
        until.textContent = section.getAttribute("data-ended-text");
        until.className = "k-countdown__ended";
        return;
      }
      var parts = { days: Math.floor(left / 86400), hours: pad(Math.floor(left / 3600) % 24),
        minutes: pad(Math.floor(left / 60) % 60), seconds: pad(left % 60) };
      Object.keys(parts).forEach(function (unit) {
        clock.querySelector('[data-unit="' + unit + '"]').textContent = parts[unit];
      });
      clock.hidden = false;
      window.setTimeout(tick, 1000 - (Date.now() % 1000));
    }
    tick();
  }
  function init() { document.querySelectorAll("[data-countdown]").forEach(start); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
