/* Switchboard wallboard: applies the ws/wallboard/ messages to the server-rendered board
 * (docs/live.md, docs/wallboard.md).
 *
 * - queue_stats: the tiles of the queues in the message (a queue not on the board: refetch it);
 * - agent_status: the agent's card changes status (with the queue of the contact they are on, and
 *   what waits for its end) and moves to its place (an agent not on the board: refetch it);
 * - interaction_logged: a line in the "Latest calls" ticker (queue, agent, what happened; never a
 *   caller's name or number);
 * - resync (a reconnect or a gap in seq): the whole board is fetched again over HTTP and swapped
 *   in (the #board element's hx-trigger), as it is every 60 s anyway.
 *
 * Panels: a tile clicked (or Enter on its name) opens a dialog with the queue's waiting contacts or
 * the agent's day and actions (htmx fetches it into #wb-panel-body); Escape, the Close button or a
 * click outside closes it, and focus goes back to the tile. While open it follows its queue's or
 * agent's messages: its lists are fetched again (the actions form is left as it is).
 *
 * Clocks: "time in status" and "longest wait" count up here every second, from instants the
 * server gave (epoch milliseconds by the server's clock, corrected by the difference between the
 * server's clock and this machine's). No library: Intl formats the numbers, the rest is below.
 */
(function () {
  "use strict";

  var root = document.getElementById("wallboard");
  if (!root) return;
  var lang = document.documentElement.lang || "en";
  var labels = {};
  try {
    labels = JSON.parse(document.getElementById("wb-labels").textContent);
  } catch (error) {
    labels = {};
  }
  labels.statuses = labels.statuses || {};
  labels.reasons = labels.reasons || {};
  labels.events = labels.events || {};

  var STATUS_ORDER = ["available", "busy", "wrap_up", "break", "offline"];
  var TICKER_LENGTH = 6;
  var skew = 0; // server clock − this machine's clock, in ms
  var refreshTimer = null;

  var integer = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var percent0 = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
  var percent1 = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  var clockFormat = timeFormat({ hour: "2-digit", minute: "2-digit", second: "2-digit" });
  var tickerTime = timeFormat({ hour: "2-digit", minute: "2-digit" });

  /** Times in the center's time zone (TIME_ZONE, on <html data-time-zone>), whatever the browser's. */
  function timeFormat(options) {
    var zone = document.documentElement.dataset.timeZone;
    try {
      return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: zone || undefined }, options));
    } catch (error) {
      return new Intl.DateTimeFormat(lang, options); // a zone this browser does not know
    }
  }

  function serverNow() {
    return Date.now() + skew;
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  /** Seconds as m:ss, or h:mm:ss from an hour on (the same rule as wallboard.py). */
  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "—";
    var total = Math.max(Math.floor(seconds), 0);
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var secs = total % 60;
    return hours ? hours + ":" + pad(minutes) + ":" + pad(secs) : minutes + ":" + pad(secs);
  }

  function rate(value, formatter) {
    return value === null || value === undefined ? "—" : formatter.format(value);
  }

  function field(container, name) {
    return container.querySelector('[data-field="' + name + '"]');
  }

  function setText(element, text) {
    if (element && element.textContent !== text) element.textContent = text;
  }

  function byData(selector, attribute, value) {
    var nodes = root.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i += 1) {
      if (nodes[i].getAttribute(attribute) === value) return nodes[i];
    }
    return null;
  }

  /** Fetch the whole board again, at most once a second (several unknown names in a burst). */
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = window.setTimeout(function () {
      refreshTimer = null;
      refreshNow();
    }, 1000);
  }

  function refreshNow() {
    if (window.htmx) {
      window.htmx.trigger(document.body, "resync");
      return;
    }
    // Without htmx (it is bundled, so only if it failed to load): a plain fetch and swap.
    window
      .fetch(root.dataset.boardUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (response.headers.get("HX-Redirect")) {
          window.location.href = response.headers.get("HX-Redirect");
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        document.getElementById("board").innerHTML = html;
        boardLoaded();
      })
      .catch(function () {});
  }

  // --- Tiles ---------------------------------------------------------------------------------------

  function applyQueue(tile, queue) {
    var target = Number(tile.dataset.slTarget);
    if (queue.service_level_target !== undefined && Math.abs(queue.service_level_target - target) > 1e-9) {
      refreshSoon(); // the goal changed: its sentence comes from the server
    }
    if (queue.service_level_seconds !== undefined && String(queue.service_level_seconds) !== tile.dataset.slSeconds) {
      refreshSoon();
    }
    setText(field(tile, "waiting"), integer.format(queue.waiting));
    var longest = field(tile, "longest_wait");
    if (queue.longest_wait === null || queue.longest_wait === undefined || !queue.waiting) {
      delete longest.dataset.sinceMs;
      setText(longest, "—");
    } else {
      var at = queue.at ? Date.parse(queue.at) : serverNow();
      longest.dataset.sinceMs = String(Math.round(at - queue.longest_wait * 1000));
    }
    setText(field(tile, "service_level"), rate(queue.service_level, percent0));
    var slBox = tile.querySelector('[data-part="sl-box"]');
    var state = "none";
    if (queue.service_level !== null && queue.service_level !== undefined) {
      state = queue.service_level + 1e-9 >= target ? "ok" : "bad";
    }
    slBox.classList.remove("sl-ok", "sl-bad", "sl-none");
    slBox.classList.add("sl-" + state);
    setText(field(tile, "abandonment_rate"), rate(queue.abandonment_rate, percent1));
    ["offered", "handled", "abandoned"].forEach(function (name) {
      setText(field(tile, name), integer.format(queue[name]));
    });
    var agents = queue.agents || {};
    ["available", "busy", "wrap_up", "break"].forEach(function (status) {
      setText(field(tile, "agents." + status), integer.format(agents[status] || 0));
    });
    tile.dataset.waiting = String(queue.waiting);
    tickTile(tile);
    flash(tile);
  }

  function tickTile(tile) {
    var longest = field(tile, "longest_wait");
    var waiting = Number(tile.dataset.waiting || 0);
    var state = "ok";
    if (longest && longest.dataset.sinceMs) {
      var seconds = (serverNow() - Number(longest.dataset.sinceMs)) / 1000;
      setText(longest, duration(seconds));
      state = seconds > Number(tile.dataset.slSeconds) ? "bad" : "warn";
    } else if (waiting > 0) {
      state = "warn";
    }
    ["waiting-box", "longest-box"].forEach(function (part) {
      var box = tile.querySelector('[data-part="' + part + '"]');
      if (!box) return;
      box.classList.remove("state-ok", "state-warn", "state-bad");
      box.classList.add("state-" + state);
    });
  }

  function onQueueStats(message) {
    (message.queues || []).forEach(function (queue) {
      var tile = byData(".wb-tile", "data-queue", queue.queue);
      if (!tile) {
        refreshSoon();
        return;
      }
      queue.at = message.at;
      applyQueue(tile, queue);
    });
  }

  function flash(element) {
    element.classList.remove("wb-flash");
    void element.offsetWidth; // restart the animation
    element.classList.add("wb-flash");
  }

  // --- Agents ----------------------------------------------------------------------------------------

  function rankOf(status) {
    var index = STATUS_ORDER.indexOf(status);
    return index === -1 ? STATUS_ORDER.length : index;
  }

  function placeAgent(card) {
    var list = document.getElementById("wb-agents");
    if (!list) return;
    var rank = Number(card.dataset.rank);
    var name = card.dataset.agent;
    var cards = list.querySelectorAll(".wb-agent");
    var before = null;
    for (var i = 0; i < cards.length; i += 1) {
      var other = cards[i];
      if (other === card) continue;
      var otherRank = Number(other.dataset.rank);
      if (otherRank > rank || (otherRank === rank && other.dataset.agent > name)) {
        before = other;
        break;
      }
    }
    if (before) {
      if (card.nextElementSibling !== before) list.insertBefore(card, before);
    } else if (list.lastElementChild !== card) {
      list.appendChild(card);
    }
  }

  function countAgents() {
    var counts = {};
    root.querySelectorAll(".wb-agent").forEach(function (card) {
      counts[card.dataset.status] = (counts[card.dataset.status] || 0) + 1;
    });
    root.querySelectorAll("[data-count]").forEach(function (element) {
      setText(element, integer.format(counts[element.dataset.count] || 0));
    });
  }

  function onAgentStatus(message) {
    var card = byData(".wb-agent", "data-agent", message.agent);
    if (!card) {
      refreshSoon();
      return;
    }
    var status = message.status;
    STATUS_ORDER.forEach(function (known) {
      card.classList.remove("status-" + known);
    });
    card.classList.add("status-" + status);
    card.dataset.status = status;
    card.dataset.rank = String(rankOf(status));
    setText(field(card, "status"), labels.statuses[status] || status);
    setText(field(card, "reason"), message.reason ? labels.reasons[message.reason] || message.reason : "");
    var pending = field(card, "pending");
    if (pending) {
      // The sentence for screen readers and the tooltip, "→ Break" to see.
      var pendingText = pendingLabel(message.pending, message.pending_reason);
      setText(pending.querySelector('[data-part="pending-text"]'), pendingText);
      var short = message.pending ? "→ " + (labels.statuses[message.pending] || message.pending) : "";
      setText(pending.querySelector('[data-part="pending-short"]'), short);
      pending.title = pendingText;
    }
    // On a contact: its queue, and the clock counts from the start of its phase (rang, answered, ended).
    var contact = message.contact || null;
    setText(field(card, "queue"), contact ? contact.queue || "" : "");
    var time = field(card, "time");
    var since = Date.parse(contact && contact.since ? contact.since : message.since);
    time.dataset.sinceMs = String(isNaN(since) ? serverNow() : since);
    tickAgent(card);
    placeAgent(card);
    countAgents();
    flash(card);
  }

  function pendingLabel(pending, reason) {
    if (pending === "break") {
      return (labels.pending_break || "").replace("%(reason)s", labels.reasons[reason] || reason || "");
    }
    if (pending === "offline") return labels.pending_offline || "";
    return "";
  }

  function tickAgent(card) {
    var time = field(card, "time");
    if (time && time.dataset.sinceMs) {
      setText(time, duration((serverNow() - Number(time.dataset.sinceMs)) / 1000));
    }
  }

  // --- Ticker -----------------------------------------------------------------------------------------

  function agentName(username) {
    var card = username ? byData(".wb-agent", "data-agent", username) : null;
    if (card) return card.querySelector(".wb-agent-name").textContent;
    return username || labels.unknown_agent || "—";
  }

  // What the ticker last said of each interaction: an interaction is written several times at one
  // stage (the log saved, then the end of its wrap-up, a ticket linked…), and each write is an event;
  // the ticker says each stage once.
  var lastStage = new Map();

  function onInteractionLogged(message) {
    var item = message.interaction || {};
    if (!item.id) return;
    var what = "logged";
    if (item.abandoned) what = "abandoned";
    else if (item.wrapup_ended_at) what = "wrapped_up";
    else if (item.ended_at) what = "ended";
    else if (item.answered_at) what = "answered";
    if (lastStage.get(item.id) === what) return;
    lastStage.set(item.id, what);
    if (lastStage.size > 1000) lastStage.delete(lastStage.keys().next().value);
    var list = document.getElementById("wb-ticker-list");
    if (!list) return;
    var empty = list.querySelector(".wb-ticker-empty");
    if (empty) empty.remove();
    var line = document.createElement("li");
    line.className = "wb-ticker-item wb-ticker-" + what;
    var when = Date.parse(message.at);
    var parts = [
      tickerTime.format(isNaN(when) ? new Date() : new Date(when)),
      item.queue || "—",
      agentName(item.agent),
      labels.events[what] || what,
    ];
    if (what === "answered" && typeof item.wait_seconds === "number" && labels.wait) {
      parts.push(labels.wait.replace("%(duration)s", duration(item.wait_seconds)));
    }
    line.textContent = parts.join(" · ");
    list.insertBefore(line, list.firstChild);
    while (list.children.length > TICKER_LENGTH) list.removeChild(list.lastChild);
  }

  // --- Panels ------------------------------------------------------------------------------------------

  var dialog = document.getElementById("wb-panel");
  var panelBody = document.getElementById("wb-panel-body");
  var opener = null; // the tile's button that opened the panel: focus goes back to it
  var panelTimer = null;

  function panelContent() {
    return panelBody ? panelBody.querySelector(".wb-panel-content") : null;
  }

  function tickPanel() {
    if (!dialog || !dialog.open) return;
    dialog.querySelectorAll("[data-tick-since]").forEach(function (element) {
      setText(element, duration((serverNow() - Number(element.dataset.tickSince)) / 1000));
    });
  }

  function openPanel() {
    if (!dialog) return;
    var wasOpen = dialog.open;
    if (!wasOpen) {
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
    }
    // Opened: its title; answered (a form sent): the answer's message, else the title again.
    var target = (wasOpen && panelBody.querySelector(".notice")) || document.getElementById("wb-panel-title");
    if (target) {
      target.tabIndex = -1;
      target.focus();
    }
    tickPanel();
  }

  function closePanel() {
    if (dialog && dialog.open) dialog.close();
  }

  /** The panel's lists again (its queue or agent changed), at most once a second; the form stays. */
  function refreshPanelSoon() {
    if (panelTimer) return;
    panelTimer = window.setTimeout(function () {
      panelTimer = null;
      var content = panelContent();
      if (!content || !dialog.open) return;
      window
        .fetch(content.dataset.panelUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html === null || panelContent() !== content) return;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          ["wb-panel-live", "wb-panel-day"].forEach(function (id) {
            var now = document.getElementById(id);
            var next = fresh.getElementById(id);
            if (now && next) now.replaceWith(document.importNode(next, true));
          });
          tickPanel();
        })
        .catch(function () {});
    }, 1000);
  }

  function panelFollows(message) {
    var content = panelContent();
    if (!content || !dialog || !dialog.open) return;
    if (message.type === "agent_status" && content.dataset.panelAgent === message.agent) refreshPanelSoon();
    if (message.type === "queue_stats" && content.dataset.panelQueue) {
      (message.queues || []).forEach(function (queue) {
        if (queue.queue === content.dataset.panelQueue) refreshPanelSoon();
      });
    }
  }

  if (dialog) {
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest(".wb-open") : null;
      if (button) opener = button;
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) closePanel(); // a click on the backdrop
      if (event.target.closest && event.target.closest("[data-panel-close]")) closePanel();
    });
    dialog.addEventListener("close", function () {
      if (panelBody) panelBody.innerHTML = "";
      var back = opener;
      if (back && !document.body.contains(back)) {
        // The board was drawn again meanwhile: the same tile's new button.
        back = document.querySelector('.wb-open[hx-get="' + CSS.escape(opener.getAttribute("hx-get")) + '"]');
      }
      if (back) back.focus();
    });
  }

  // --- Board (first paint and every refetch) -----------------------------------------------------------

  function boardLoaded() {
    var board = root.querySelector(".wb-board");
    if (board && board.dataset.nowMs) skew = Number(board.dataset.nowMs) - Date.now();
    tick();
  }

  function tick() {
    root.querySelectorAll(".wb-tile").forEach(tickTile);
    root.querySelectorAll(".wb-agent").forEach(tickAgent);
    // The routed work's oldest wait, per queue and channel (the board brings its figures anew).
    root.querySelectorAll(".wb-routed [data-tick-since]").forEach(function (element) {
      setText(element, duration((serverNow() - Number(element.dataset.tickSince)) / 1000));
    });
    tickPanel();
    var clock = document.getElementById("wb-clock");
    if (clock) {
      var now = new Date();
      clock.dateTime = now.toISOString();
      setText(clock, clockFormat.format(now));
    }
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "board") boardLoaded();
    if (event.target && event.target.id === "wb-panel-body") openPanel();
  });

  boardLoaded();
  window.setInterval(tick, 1000);

  var handlers = {
    queue_stats: onQueueStats,
    agent_status: onAgentStatus,
    interaction_logged: onInteractionLogged,
  };

  window.SwitchboardLive.connect(root.dataset.socket || "/ws/wallboard/", {
    message: function (message) {
      if (message.at) {
        // The message left the server a moment ago (or a little more: the figures wait up to a
        // second), so its time says the server's clock is at least there.
        var at = Date.parse(message.at);
        if (!isNaN(at)) skew = Math.max(skew, at - Date.now());
      }
      var handler = handlers[message.type];
      if (handler) handler(message);
      panelFollows(message);
    },
    resync: function () {
      refreshNow();
    },
  });
})();
