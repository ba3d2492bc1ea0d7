/* The tickets panel (contactcenter/desk/tickets.py): two small jobs htmx does not do itself.
 * (Answers 400 and 409 carry the form or the conflict message again: desk.js has htmx swap them.)
 *
 * 1. The editor dialog: #ticket-editor sits in <dialog id="ticket-dialog">; content arriving
 *    opens it (showModal: focus trapped, Escape closes), an emptied editor closes it (a ticket was
 *    created), and on closing the focus goes back to what opened it.
 * 2. SLA countdowns ([data-due]) tick every 15 s with the server's own phrases (data-sla-*).
 * 3. Canned replies: picking one in a select[data-canned-target] puts its text (data-body,
 *    placeholders already filled by the server) in the reply's textarea, at the caret when the
 *    agent has written something already.
 */
(function () {
  "use strict";
  if (window.SwitchboardTickets) return; // loaded twice (panel and page): once is enough
  window.SwitchboardTickets = true;

  var opener = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var dialog = document.getElementById("ticket-dialog");
    if (dialog && !dialog.open && event.detail.target && event.detail.target.id === "ticket-editor") {
      opener = document.activeElement;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var editor = event.detail.target;
    var dialog = editor && editor.id === "ticket-editor" && editor.closest("dialog");
    if (!dialog) return;
    if (editor.children.length === 0) {
      dialog.close();
    } else if (!dialog.open) {
      dialog.showModal();
    } else {
      var heading = editor.querySelector("h2[tabindex]");
      if (heading && !editor.querySelector("[autofocus]")) heading.focus();
    }
  });
  document.addEventListener(
    "close",
    function (event) {
      if (event.target.id !== "ticket-dialog") return;
      document.getElementById("ticket-editor").replaceChildren();
      // The opener may have been re-rendered meanwhile (the lists refresh after a save): same id.
      var back = opener && (opener.isConnected ? opener : opener.id && document.getElementById(opener.id));
      back = back || document.getElementById("tickets-title");
      opener = null;
      if (back) back.focus();
    },
    true // "close" does not bubble
  );

  function fill(format, values) {
    return format.replace(/%\((\w+)\)(02)?[ds]/g, function (match, name, pad) {
      var value = String(values[name]);
      return pad && value.length < 2 ? "0" + value : value;
    });
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (clock) {
      var texts = clock.closest("[data-sla-left]");
      var target = clock.querySelector(".sla-text");
      if (!texts || !target) return;
      var seconds = (Date.parse(clock.dataset.due) - now) / 1000;
      var overdue = seconds <= 0;
      var minutes = overdue ? Math.max(1, Math.floor(-seconds / 60)) : Math.ceil(seconds / 60);
      var days = Math.floor(minutes / 1440);
      var hours = Math.floor((minutes % 1440) / 60);
      var span = days
        ? fill(texts.dataset.slaDays, { days: days, hours: hours })
        : hours
          ? fill(texts.dataset.slaHours, { hours: hours, minutes: minutes % 60 })
          : fill(texts.dataset.slaMinutes, { minutes: minutes });
      target.textContent = fill(overdue ? texts.dataset.slaOverdue : texts.dataset.slaLeft, { time: span });
      clock.classList.toggle("sla-overdue", overdue);
      clock.classList.toggle("sla-soon", !overdue && seconds <= 3600);
    });
  }
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-canned-target]")) return;
    var option = select.selectedOptions[0];
    var area = document.getElementById(select.dataset.cannedTarget);
    if (!option || !option.value || !area) return;
    var text = option.dataset.body || "";
    if (area.value.trim()) {
      var start = area.selectionStart, end = area.selectionEnd;
      area.value = area.value.slice(0, start) + text + area.value.slice(end);
    } else {
      area.value = text;
    }
    select.value = "";
    area.focus();
  });
  window.setInterval(tick, 15000);
  document.addEventListener("htmx:afterSettle", tick);
})();
