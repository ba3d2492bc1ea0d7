/* Web chat on the agent desktop (contactcenter/desk/chats.py, docs/desktop.md "Web chat").
 *
 * - #chat-tabs holds the agent's open chats (htmx: loaded with the page, again on "chats-changed"
 *   and "resync"); choosing a tab shows that chat's panel in #chat-views (loaded once, kept while
 *   the tab is open, so several chats go on at once).
 * - The socket's chat.* events come from desktop.js as "live-chat": chat.started adds the tab and
 *   opens it; chat.message fetches the chat's new messages (after the last one shown; one fetch at
 *   a time per chat) and counts the visitor's in a tab not in view; chat.typing says the visitor is
 *   typing (for 8 s at most); chat.ended draws the chat again (over) and the tabs.
 * - The message box: Enter sends (Shift+Enter: a new line); while the agent types, "typing" is told
 *   to the server at most every 4 s, and "stopped" after 5 s without a key.
 * - "Put the link in the chat" of a public knowledge article puts its title and address in the
 *   message box of the chat in view.
 * The socket is a hint: after a resync, the tabs and every loaded chat are read again. */
(function () {
  "use strict";

  var panel = document.getElementById("chats-panel");
  if (!panel) return;
  var body = document.body;
  var tabsBox = document.getElementById("chat-tabs");
  var views = document.getElementById("chat-views");
  var base = panel.dataset.chatsBase || "/desk/chats/";
  var csrf = "";
  try {
    csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (error) {
    csrf = "";
  }
  var active = ""; // the chat in view (its id, as a string)
  var opening = ""; // a chat just started: open it once its tab is there
  var fetching = {}; // chat id → {busy, again}
  var typingShown = {}; // chat id → timer hiding the visitor's typing
  var typingSent = {}; // chat id → {on, at, idle}

  function view(pk) {
    return document.getElementById("chat-view-" + pk);
  }

  function tab(pk) {
    return document.getElementById("chat-tab-" + pk);
  }

  function chatOf(pk) {
    var box = view(pk);
    return box ? box.querySelector("[data-chat-panel]") : null;
  }

  function post(url, data) {
    var form = new FormData();
    Object.keys(data).forEach(function (key) {
      form.append(key, data[key]);
    });
    return fetch(url, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
    });
  }

  function refreshShown() {
    var chat = active && chatOf(active);
    var writable = !!(chat && chat.hasAttribute("data-writable"));
    body.classList.toggle("chat-writing", writable);
    panel.hidden = !tabsBox.querySelector("[data-chat]") && !views.children.length;
  }

  function setUnread(pk, count) {
    var badge = tab(pk) && tab(pk).querySelector(".chat-unread");
    if (!badge) return;
    badge.dataset.unread = String(count);
    badge.firstChild.nodeValue = String(count);
    badge.hidden = count <= 0;
  }

  function scrollDown(pk) {
    var chat = chatOf(pk);
    var log = chat && chat.querySelector("[data-chat-log]");
    if (log) log.scrollTop = log.scrollHeight;
  }

  function load(pk) {
    var box = view(pk);
    if (!box) {
      box = document.createElement("div");
      box.id = "chat-view-" + pk;
      box.className = "chat-view";
      box.setAttribute("role", "tabpanel");
      box.setAttribute("aria-labelledby", "chat-tab-" + pk);
      views.appendChild(box);
    }
    return htmx.ajax("GET", base + pk + "/", { target: box, swap: "innerHTML" });
  }

  function activate(pk, focus) {
    active = String(pk);
    Array.prototype.forEach.call(tabsBox.querySelectorAll("[data-chat]"), function (button) {
      var on = button.dataset.chat === active;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
    });
    Array.prototype.forEach.call(views.children, function (box) {
      box.hidden = box.id !== "chat-view-" + active;
    });
    setUnread(active, 0);
    if (!chatOf(active)) {
      load(active);
    } else {
      scrollDown(active);
      if (focus) {
        var text = view(active).querySelector("[data-chat-text]");
        if (text) text.focus();
      }
    }
    refreshShown();
  }

  function dismiss(pk) {
    var box = view(pk);
    if (box) box.remove();
    if (active === String(pk)) {
      active = "";
      var first = tabsBox.querySelector("[data-chat]");
      if (first) activate(first.dataset.chat);
    }
    refreshShown();
  }

  // The chat's messages after the last one shown, appended (never twice: by id).
  function refresh(pk) {
    var chat = chatOf(pk);
    if (!chat) return;
    var state = fetching[pk] || (fetching[pk] = { busy: false, again: false });
    if (state.busy) {
      state.again = true;
      return;
    }
    state.busy = true;
    var after = chat.dataset.last || "0";
    fetch(base + pk + "/messages/?after=" + encodeURIComponent(after), {
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
    })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        var log = chat.querySelector("[data-chat-log]");
        if (!html.trim() || !log) return;
        var holder = document.createElement("template");
        holder.innerHTML = html;
        Array.prototype.forEach.call(holder.content.querySelectorAll("[data-message]"), function (item) {
          var id = Number(item.dataset.message);
          if (!log.querySelector('[data-message="' + id + '"]')) log.appendChild(item);
          if (id > Number(chat.dataset.last || 0)) chat.dataset.last = String(id);
        });
        scrollDown(pk);
      })
      .catch(function () {
        // The next event, or a resync, fetches them.
      })
      .then(function () {
        state.busy = false;
        if (state.again) {
          state.again = false;
          refresh(pk);
        }
      });
  }

  function showTyping(pk, on) {
    var chat = chatOf(pk);
    var line = chat && chat.querySelector("[data-chat-typing]");
    if (!line) return;
    window.clearTimeout(typingShown[pk]);
    line.hidden = !on;
    if (on) {
      typingShown[pk] = window.setTimeout(function () {
        line.hidden = true;
      }, 8000);
    }
  }

  // --- The socket's events ---------------------------------------------------------------------

  body.addEventListener("live-chat", function (event) {
    var message = event.detail || {};
    var pk = String(message.conversation || "");
    if (!pk) return;
    if (message.type === "chat.started") {
      opening = pk;
      htmx.trigger(body, "chats-changed");
    } else if (message.type === "chat.message") {
      var author = message.message && message.message.author;
      if (author === "visitor") showTyping(pk, false);
      if (chatOf(pk)) refresh(pk);
      if (author === "visitor" && pk !== active) {
        var badge = tab(pk) && tab(pk).querySelector(".chat-unread");
        if (badge) setUnread(pk, Number(badge.dataset.unread || 0) + 1);
        else htmx.trigger(body, "chats-changed");
      }
    } else if (message.type === "chat.typing") {
      showTyping(pk, !!message.typing);
    } else if (message.type === "chat.ended") {
      showTyping(pk, false);
      if (view(pk)) load(pk);
      htmx.trigger(body, "chats-changed");
    }
  });

  body.addEventListener("resync", function () {
    Array.prototype.forEach.call(views.children, function (box) {
      var pk = box.id.replace("chat-view-", "");
      if (chatOf(pk)) refresh(pk);
    });
  });

  body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target === tabsBox) {
      var ids = Array.prototype.map.call(tabsBox.querySelectorAll("[data-chat]"), function (button) {
        return button.dataset.chat;
      });
      if (opening && ids.indexOf(opening) >= 0) {
        var pk = opening;
        opening = "";
        activate(pk, true);
      } else if (active && (ids.indexOf(active) >= 0 || view(active))) {
        activate(active);
      } else if (ids.length) {
        activate(ids[0]);
      }
      // A chat still drawn as on that left the tabs meanwhile (ended or moved while the socket was
      // away): drawn again as it is now.
      Array.prototype.forEach.call(views.children, function (box) {
        var shown = box.id.replace("chat-view-", "");
        var chat = chatOf(shown);
        if (chat && chat.hasAttribute("data-writable") && ids.indexOf(shown) < 0) load(shown);
      });
      refreshShown();
    } else if (target.id && target.id.indexOf("chat-view-") === 0) {
      var shown = target.id.replace("chat-view-", "");
      scrollDown(shown);
      refreshShown();
    }
  });

  // --- Tabs, dismiss, tools ----------------------------------------------------------------------

  panel.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-chat]");
    if (button && tabsBox.contains(button)) {
      activate(button.dataset.chat, true);
      return;
    }
    var done = event.target.closest && event.target.closest("[data-chat-dismiss]");
    if (done) {
      dismiss(done.getAttribute("data-chat-dismiss"));
      return;
    }
    var cancel = event.target.closest && event.target.closest("[data-chat-tool-cancel]");
    if (cancel) {
      var tool = cancel.closest(".chat-tool");
      if (tool) tool.replaceChildren();
    }
  });

  // Arrow keys move between the tabs (the tab pattern).
  tabsBox.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    var buttons = Array.prototype.slice.call(tabsBox.querySelectorAll("[data-chat]"));
    var index = buttons.indexOf(document.activeElement);
    if (index < 0) return;
    var next = buttons[(index + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length];
    event.preventDefault();
    next.focus();
    activate(next.dataset.chat);
  });

  // --- The message box ---------------------------------------------------------------------------

  function stopTyping(pk, url, tell) {
    var state = typingSent[pk];
    if (!state) return;
    window.clearTimeout(state.idle);
    if (state.on && tell) post(url, { typing: "0" });
    state.on = false;
  }

  panel.addEventListener("input", function (event) {
    var text = event.target;
    if (!text.matches || !text.matches("[data-chat-text]")) return;
    var form = text.form;
    var pk = text.closest("[data-chat-panel]").dataset.chatPanel;
    var url = form.dataset.typingUrl;
    var state = typingSent[pk] || (typingSent[pk] = { on: false, at: 0, idle: null });
    var now = Date.now();
    if (text.value.trim() && (!state.on || now - state.at > 4000)) {
      state.on = true;
      state.at = now;
      post(url, { typing: "1" });
    }
    window.clearTimeout(state.idle);
    state.idle = window.setTimeout(function () {
      stopTyping(pk, url, true);
    }, 5000);
  });

  panel.addEventListener("keydown", function (event) {
    var text = event.target;
    if (!text.matches || !text.matches("[data-chat-text]")) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (text.form.requestSubmit) text.form.requestSubmit();
      else text.form.dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
    }
  });

  panel.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-chat-form]")) return;
    event.preventDefault();
    var text = form.querySelector("[data-chat-text]");
    var error = form.querySelector("[data-chat-error]");
    var pk = form.closest("[data-chat-panel]").dataset.chatPanel;
    var value = text.value;
    if (!value.trim() || form.dataset.sending) return;
    form.dataset.sending = "1";
    post(form.action, { text: value })
      .then(function (response) {
        if (response.ok) {
          if (text.value === value) text.value = "";
          error.hidden = true;
          stopTyping(pk, form.dataset.typingUrl, true); // the visitor's "typing…" goes with the message
          refresh(pk);
          return null;
        }
        return response.text().then(function (reason) {
          error.textContent = reason;
          error.hidden = false;
        });
      })
      .catch(function () {
        if (window.SwitchboardLive) window.SwitchboardLive.showNote("failed");
      })
      .then(function () {
        delete form.dataset.sending;
        text.focus();
      });
  });

  // --- Knowledge links ------------------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-chat-insert]");
    if (!button) return;
    var chat = active && chatOf(active);
    var text = chat && chat.querySelector("[data-chat-text]");
    if (!text) return;
    var link = button.dataset.title + ": " + button.dataset.url;
    var start = text.selectionStart || 0;
    var end = text.selectionEnd || 0;
    if (text.value.trim()) {
      var before = text.value.slice(0, start);
      var spaced = before && !/\s$/.test(before) ? " " + link : link;
      text.value = before + spaced + text.value.slice(end);
    } else {
      text.value = link;
    }
    text.focus();
  });

  refreshShown();
})();
