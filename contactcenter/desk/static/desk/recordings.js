// Call recordings in the customer's history: the spans during which the recording was paused
// (card payments) are marked on a track under the player, and named by their place in it
// ("0:25–0:40"). The page gives the instants (data- attributes, ISO 8601); the marks are placed
// through the CSSOM (no inline style: the Content-Security-Policy forbids them).
(function () {
  "use strict";

  function clock(seconds) {
    const whole = Math.max(0, Math.round(seconds));
    return Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
  }

  function mark(player) {
    if (player.dataset.marked) return;
    player.dataset.marked = "1";
    const started = Date.parse(player.dataset.started);
    const duration = parseFloat(player.dataset.duration || "0");
    const track = player.querySelector(".recording-track");
    player.querySelectorAll("[data-paused-from]").forEach(function (item) {
      const from = (Date.parse(item.dataset.pausedFrom) - started) / 1000;
      const to = item.dataset.pausedTo ? (Date.parse(item.dataset.pausedTo) - started) / 1000 : null;
      item.textContent += " " + clock(from) + "–" + (to === null ? "…" : clock(to));
      if (track && duration > 0) {
        const span = document.createElement("span");
        span.className = "recording-paused";
        span.style.left = Math.min(100, (100 * Math.max(from, 0)) / duration) + "%";
        span.style.width = Math.max(0.5, (100 * ((to === null ? duration : to) - Math.max(from, 0))) / duration) + "%";
        span.title = item.textContent;
        track.appendChild(span);
      }
    });
  }

  function markAll(root) {
    (root || document).querySelectorAll("[data-recording]").forEach(mark);
  }

  document.addEventListener("DOMContentLoaded", function () { markAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { markAll(event.target); });
})();
