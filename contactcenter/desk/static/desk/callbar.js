/* The desktop's call bar (docs/desktop.md): its clocks tick here, once a second, from the instants
 * the server wrote in the bar (ISO 8601 in data attributes), so a reload or a refetch shows the
 * same time as before:
 * - data-count-from: time since that instant (talk, hold, wrap-up without a limit);
 * - data-count-to: time left until that instant, never below 0:00 (the wrap-up limit).
 * The bar's data-now is the server's clock when it drew the bar: the clocks read the server's time,
 * whatever this machine's clock says.
 *
 * The bar itself is fetched again by htmx (desktop.html: on status_changed, call_hold, a logged
 * call, a resync). When the call the bar showed is no longer the current one (its wrap-up ended),
 * the agent's figures of the day are fetched again ("figures-changed"). */
(function () {
  "use strict";

  var slot = document.getElementById("callbar-now");
  if (!slot) return;
  var skew = 0; // the server's clock − this machine's, in ms
  var shownCall = "";

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  /** Seconds as m:ss, or h:mm:ss from an hour on (contactcenter/core/formats.py's format_duration). */
  function duration(seconds) {
    var total = Math.max(Math.floor(seconds), 0);
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var secs = total % 60;
    return hours ? hours + ":" + pad(minutes) + ":" + pad(secs) : minutes + ":" + pad(secs);
  }

  function tick() {
    var now = Date.now() + skew;
    slot.querySelectorAll("[data-count-from]").forEach(function (clock) {
      var since = Date.parse(clock.dataset.countFrom);
      if (!isNaN(since)) setText(clock, duration((now - since) / 1000));
    });
    slot.querySelectorAll("[data-count-to]").forEach(function (clock) {
      var until = Date.parse(clock.dataset.countTo);
      // Rounded up: the countdown reads 0:00 only once the limit is reached.
      if (!isNaN(until)) setText(clock, duration(Math.ceil((until - now) / 1000)));
    });
  }

  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  function barDrawn() {
    var bar = slot.querySelector("[data-callbar]");
    if (!bar) return;
    var drawnAt = Date.parse(bar.dataset.now);
    if (!isNaN(drawnAt)) skew = drawnAt - Date.now();
    var call = bar.dataset.call || "";
    if (shownCall && call !== shownCall) htmx.trigger(document.body, "figures-changed");
    shownCall = call;
    tick();
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === slot) barDrawn();
  });

  barDrawn();
  window.setInterval(tick, 1000);
})();
