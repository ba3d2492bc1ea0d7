/* The offer card of the desktop (contactcenter/desk/offers.py, docs/routing.md).
 *
 * - The socket's `offer` asks the server for the card (htmx, into #offer-slot, "offer-changed"),
 *   its `offer_closed` turns the card into a short message (the words are #offer-slot's data-text-*),
 *   both relayed by desktop.js. Accept and Decline are htmx posts answered with that message; an
 *   accepted ticket opens in the ticket editor (the answer's "offer-open-ticket" event).
 * - The countdown ticks here, once a second, from the card's data-expires and data-now (the server's
 *   clock when it drew the card), so a reload shows the same time left as before. A card still open
 *   a few seconds past its time (a lost message) is asked for again.
 * - A new offer rings: the card pulses (offers.css) and a short chime plays (Web Audio, no file).
 * - Alt+A accepts, Alt+R declines. */
(function () {
  "use strict";

  var slot = document.getElementById("offer-slot");
  if (!slot) return;
  var body = document.body;
  var skew = 0; // the server's clock − this machine's, in ms
  var hideTimer = null;
  var asked = false; // the card was asked for because an offer arrived (not a resync)
  var rung = ""; // the offer last rung for
  var refetched = ""; // the offer asked for again past its time
  var answering = ""; // the offer whose Accept or Decline is being sent

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function duration(seconds) {
    var total = Math.max(Math.floor(seconds), 0);
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var secs = total % 60;
    return hours ? hours + ":" + pad(minutes) + ":" + pad(secs) : minutes + ":" + pad(secs);
  }

  function openCard() {
    return slot.querySelector("[data-expires]");
  }

  function tick() {
    var card = openCard();
    if (!card) return;
    var until = Date.parse(card.dataset.expires);
    if (isNaN(until)) return;
    // Rounded up: 0:00 only once the offer has expired.
    var left = Math.ceil((until - (Date.now() + skew)) / 1000);
    var clock = card.querySelector("[data-offer-clock]");
    var text = duration(left);
    if (clock && clock.textContent !== text) clock.textContent = text;
    card.classList.toggle("offer-ending", left <= 10);
    card.classList.toggle("offer-expired", left <= 0);
    if (left <= -5 && refetched !== card.dataset.offer) {
      refetched = card.dataset.offer;
      htmx.trigger(body, "offer-changed");
    }
  }

  function chime() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      var context = chime.context || (chime.context = new Context());
      if (context.state === "suspended") context.resume();
      [880, 660, 880].forEach(function (frequency, n) {
        var at = context.currentTime + n * 0.22;
        var tone = context.createOscillator();
        var gain = context.createGain();
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
        tone.connect(gain);
        gain.connect(context.destination);
        tone.start(at);
        tone.stop(at + 0.21);
      });
    } catch (error) {
      // No sound (the browser refuses audio before any click on the page): the card still shows.
    }
  }

  function clear() {
    slot.replaceChildren();
  }

  function drawn() {
    window.clearTimeout(hideTimer);
    var card = openCard();
    if (card) {
      var drawnAt = Date.parse(card.dataset.now);
      if (!isNaN(drawnAt)) skew = drawnAt - Date.now();
      tick();
      if (asked && rung !== card.dataset.offer) {
        rung = card.dataset.offer;
        slot.dataset.rang = rung;
        chime();
      }
    } else {
      var closed = slot.querySelector("[data-offer-closed]");
      if (closed && !closed.hasAttribute("data-offer-keep")) hideTimer = window.setTimeout(clear, 8000);
    }
    asked = false;
  }

  function closedMessage(message) {
    var card = slot.querySelector("#offer-card");
    if (!card || card.dataset.offer !== String(message.offer) || card.hasAttribute("data-offer-closed")) return;
    // The agent's own answer is on its way: its reply draws the message (and opens the ticket from
    // the button that asked, which must still be in the page).
    if (answering === card.dataset.offer) return;
    var outcome = String(message.outcome || "");
    var box = document.createElement("div");
    box.id = "offer-card";
    box.className = "offer-card offer-closed outcome-" + outcome;
    box.dataset.offer = String(message.offer);
    box.setAttribute("data-offer-closed", "");
    var text = document.createElement("p");
    text.className = "offer-message";
    text.setAttribute("role", "status");
    text.textContent = slot.dataset["text" + outcome.charAt(0).toUpperCase() + outcome.slice(1)] || "";
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "link-button";
    dismiss.setAttribute("data-offer-dismiss", "");
    dismiss.textContent = slot.dataset.textDismiss || "×";
    box.append(text, dismiss);
    slot.replaceChildren(box);
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(clear, 8000);
  }

  body.addEventListener("offer-changed", function () {
    asked = true;
  });
  body.addEventListener("offer-closed", function (event) {
    closedMessage(event.detail || {});
  });
  body.addEventListener("offer-open-ticket", function (event) {
    if (event.detail && event.detail.url && document.getElementById("ticket-editor")) {
      htmx.ajax("GET", event.detail.url, { target: "#ticket-editor", swap: "innerHTML" });
    }
  });
  body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === slot) drawn();
  });
  body.addEventListener("htmx:beforeRequest", function (event) {
    var card = event.detail.elt.closest && event.detail.elt.closest("#offer-card[data-expires]");
    if (card) answering = card.dataset.offer;
  });
  body.addEventListener("htmx:afterRequest", function (event) {
    // The button asking may have left the page with its card by now: known by its shortcut.
    if (event.detail.elt.matches && event.detail.elt.matches("[data-shortcut^=offer-]")) answering = "";
  });
  slot.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-offer-dismiss]")) clear();
  });

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    var key = (event.key || "").toLowerCase();
    var code = (event.code || "").replace("Key", "").toLowerCase();
    var name = key === "a" || code === "a" ? "offer-accept" : key === "r" || code === "r" ? "offer-decline" : "";
    var button = name && slot.querySelector("[data-shortcut=" + name + "]");
    if (button) {
      event.preventDefault();
      button.click();
    }
  });

  drawn();
  window.setInterval(tick, 1000);
})();
