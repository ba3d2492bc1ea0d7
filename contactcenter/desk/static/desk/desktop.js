/* The agent desktop: the agent's socket (docs/live.md) and the keyboard shortcuts.
 *
 * The socket only says what changed; the page fetches the HTML of what changed from the server
 * (htmx), so a lost message costs a refetch, never a wrong screen. */
(function () {
  "use strict";

  var body = document.body;

  function fire(name) {
    htmx.trigger(body, name);
  }

  function showCall(id) {
    htmx.ajax("GET", "/desk/calls/" + encodeURIComponent(id) + "/", { target: "#call", swap: "innerHTML" });
  }

  // An evaluation of the agent's work was published (docs/quality.md): a notice with its score and a
  // link to read it; the quality panel draws its trend again.
  function qualityEvaluation(message) {
    var notice = document.getElementById("quality-notice");
    fire("quality-changed");
    if (!notice || message.evaluation === undefined || message.evaluation === null) return;
    var id = typeof message.evaluation === "object" ? message.evaluation.id : message.evaluation;
    var text = message.state === "final" ? notice.dataset.textDecided : notice.dataset.textPublished;
    if (message.score !== null && message.score !== undefined) text += " " + Math.round(parseFloat(message.score)) + " %";
    if (message.critical_failed) text += " (" + notice.dataset.textCritical + ")";
    notice.textContent = "";
    var span = document.createElement("span");
    span.textContent = text;
    var link = document.createElement("a");
    link.href = notice.dataset.url.replace(/\/0\/$/, "/" + encodeURIComponent(id) + "/");
    link.textContent = notice.dataset.textOpen;
    link.setAttribute("data-quality-evaluation", id);
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "link-button";
    dismiss.textContent = notice.dataset.textDismiss;
    dismiss.addEventListener("click", function () {
      notice.hidden = true;
    });
    notice.append(span, link, dismiss);
    notice.hidden = false;
  }

  var handlers = {
    "quality.evaluation": qualityEvaluation,
    quality_evaluation: qualityEvaluation,
    screen_pop: function (message) {
      if (message.interaction && message.interaction.id) showCall(message.interaction.id);
    },
    status_changed: function () {
      fire("status-changed");
    },
    call_hold: function () {
      fire("call-changed");
    },
    ticket_assigned: function () {
      fire("tickets-changed");
    },
    ticket_updated: function () {
      fire("tickets-changed");
    },
    // Work offered by the routing: offers.js draws the card and its end (docs/routing.md).
    offer: function () {
      fire("offer-changed");
    },
    offer_closed: function (message) {
      htmx.trigger(body, "offer-closed", message);
      fire("work-changed");
    },
  };

  window.SwitchboardLive.connect("/ws/agent/", {
    message: function (message) {
      var handler = handlers[message.type];
      if (handler) handler(message);
      // Web chat (chat.started, chat.message, chat.typing, chat.ended): chat.js (docs/desktop.md).
      else if (String(message.type).indexOf("chat.") === 0) htmx.trigger(body, "live-chat", message);
    },
    resync: function () {
      fire("resync");
    },
  });

  // A contact links one ticket: an existing one, or the follow-up opened with the log. Ticking
  // "Open a follow-up ticket" lets go of the ticket chosen in the list; choosing one unticks it.
  body.addEventListener("change", function (event) {
    var field = event.target;
    if (!field.form || field.form.id !== "log-form") return;
    var linked = field.form.querySelector("select[name=ticket]");
    var followUp = field.form.querySelector("input[name=follow_up]");
    if (field === followUp && followUp.checked && linked) linked.value = "";
    if (field === linked && linked.value && followUp) followUp.checked = false;
    // The callback disposition asks when and which number to call back.
    var callback = field.form.querySelector("#log-callback");
    if (field.name === "disposition" && callback) callback.hidden = field.value !== "callback";
  });

  // An end step of the script may suggest a disposition: preselect it when none is chosen yet, and
  // tick "Resolved on this contact" when that disposition resolves it.
  body.addEventListener("htmx:afterSwap", function (event) {
    var suggestion = event.detail.target.querySelector("[data-suggest-disposition]");
    var select = document.querySelector("#log-form select[name=disposition]");
    if (suggestion && select && !select.value) {
      select.value = suggestion.dataset.suggestDisposition;
      var resolved = document.querySelector("#log-form input[name=resolved]");
      if (resolved && suggestion.hasAttribute("data-suggest-resolves")) resolved.checked = true;
    }
  });

  // --- Keyboard -------------------------------------------------------------------------------

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }

  function first(selector) {
    return document.querySelector(selector);
  }

  function focusEl(element) {
    if (!element) return false;
    element.focus();
    if (element.select && element.type === "search") element.select();
    return true;
  }

  var shortcuts = {
    p: function () {
      return focusEl(first("#call-title"));
    },
    s: function () {
      var form = first("form[data-shortcut=save-log]");
      if (!form) return false;
      htmx.trigger(form, "submit");
      return true;
    },
    n: function () {
      var button = first("[data-shortcut=new-ticket]") || first("[data-shortcut=new-ticket-panel]");
      if (!button) return false;
      button.click();
      return true;
    },
    k: function () {
      return focusEl(first("[data-shortcut=knowledge]"));
    },
  };

  document.addEventListener("keydown", function (event) {
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      var action = shortcuts[event.key.toLowerCase()] || shortcuts[(event.code || "").replace("Key", "").toLowerCase()];
      if (action && action()) event.preventDefault();
      return;
    }
    if (event.key === "/" && !typing(event.target) && !event.ctrlKey && !event.metaKey) {
      if (focusEl(first("[data-shortcut=search]"))) event.preventDefault();
    }
  });

  // Search results: arrows move between them, Escape goes back to the search box.
  document.addEventListener("keydown", function (event) {
    var results = Array.prototype.slice.call(document.querySelectorAll("#search-results [data-result]"));
    if (!results.length) return;
    var search = first("#customer-search");
    var index = results.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && (document.activeElement === search || index >= 0)) {
      results[Math.min(index + 1, results.length - 1)].focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && index >= 0) {
      (index === 0 ? search : results[index - 1]).focus();
      event.preventDefault();
    } else if (event.key === "Escape" && index >= 0) {
      search.focus();
      event.preventDefault();
    }
  });
})();
