/* Switchboard web chat widget (docs/chat.md). Embed with one tag:
 *   <script src="https://SWITCHBOARD/chat/widget.js" data-key="WIDGET_KEY" async></script>
 * No third-party code, no cookie: the visitor's token is kept in localStorage, so a reload carries
 * on with the conversation. Every word shown comes from the server, in the visitor's language. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.SwitchboardChat) return;
  var key = script.getAttribute("data-key");
  if (!key) return;
  var base = new URL(script.src, document.baseURI);
  var storeKey = "switchboard-chat:" + key;
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "";
  var state = { socket: null, open: false, strings: {}, convState: "bot", feedback: null, retries: 0, ended: false };

  var host = document.createElement("div");
  host.setAttribute("data-switchboard-chat", "");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("/chat/widget.css", base).href;
  root.appendChild(css);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }
  function t(name, values) {
    var text = state.strings[name] || "";
    Object.keys(values || {}).forEach(function (k) { text = text.replace("%(" + k + ")s", values[k]); });
    return text;
  }

  var launcher = el("button", "sb-launcher", "💬");
  launcher.type = "button";
  var panel = el("section", "sb-panel");
  panel.hidden = true;
  var header = el("header", "sb-header");
  var title = el("span", "sb-title");
  var closeBtn = el("button", "sb-x", "×");
  closeBtn.type = "button";
  header.appendChild(title);
  header.appendChild(closeBtn);
  var log = el("div", "sb-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var status = el("div", "sb-status");
  var actions = el("div", "sb-actions");
  var form = el("form", "sb-form");
  var input = el("textarea", "sb-input");
  input.rows = 2;
  input.maxLength = 2000;
  var sendBtn = el("button", "sb-send");
  sendBtn.type = "submit";
  form.appendChild(input);
  form.appendChild(sendBtn);
  [header, log, status, actions, form].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(launcher);
  root.appendChild(panel);

  function send(data) {
    if (state.socket && state.socket.readyState === 1) state.socket.send(JSON.stringify(data));
  }

  function label() {
    launcher.setAttribute("aria-label", t("open") || "Chat");
    title.textContent = t("title");
    closeBtn.setAttribute("aria-label", t("close"));
    input.placeholder = t("placeholder");
    input.setAttribute("aria-label", t("placeholder"));
    sendBtn.textContent = t("send");
  }

  function addMessage(m) {
    if (log.querySelector('[data-id="' + m.id + '"]')) return;
    var row = el("div", "sb-msg sb-" + m.author);
    row.setAttribute("data-id", m.id);
    var who = m.author === "visitor" ? t("you") : m.author === "agent" ? m.agent_name : m.author === "bot" ? t("bot") : "";
    if (who) row.appendChild(el("div", "sb-who", who));
    row.appendChild(el("div", "sb-text", m.text));
    if (m.article) {
      var link = el("a", "sb-link", t("read_article") + " — " + m.article.title);
      link.href = new URL(m.article.url, base).href;
      link.target = "_blank";
      link.rel = "noopener";
      row.appendChild(link);
    }
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function button(text, onClick, cls) {
    var b = el("button", cls || "sb-btn", text);
    b.type = "button";
    b.addEventListener("click", onClick);
    actions.appendChild(b);
    return b;
  }

  function renderActions() {
    actions.textContent = "";
    form.hidden = state.ended;
    if (state.ended) return;
    if (state.feedback) {
      var answer = state.feedback;
      button(t("helped"), function () { state.feedback = null; send({ type: "feedback", answer: answer, helped: true }); renderActions(); });
      button(t("not_helped"), function () { state.feedback = null; send({ type: "feedback", answer: answer, helped: false }); renderActions(); });
    }
    if (state.convState === "bot") button(t("agent"), function () { send({ type: "agent" }); });
    button(t("end"), function () { send({ type: "close" }); }, "sb-btn sb-end");
  }

  function showPlace(p) {
    if (state.convState !== "waiting") { status.textContent = ""; return; }
    var parts = [t("waiting")];
    if (p && p.position) parts.push(t("position", { position: p.position }));
    if (p && p.estimated_wait_seconds != null) parts.push(t("wait", { minutes: Math.max(1, Math.round(p.estimated_wait_seconds / 60)) }));
    status.textContent = parts.join(" · ");
  }

  function leaveForm() {
    actions.textContent = "";
    form.hidden = true;
    var f = el("form", "sb-leave");
    f.appendChild(el("strong", "", t("leave_title")));
    var fields = {};
    [["name", "input"], ["email", "input"], ["message", "textarea"]].forEach(function (spec) {
      var field = el(spec[1], "sb-input");
      field.setAttribute("aria-label", t(spec[0]));
      field.placeholder = t(spec[0]);
      field.required = true;
      if (spec[0] === "email") field.type = "email";
      fields[spec[0]] = field;
      f.appendChild(field);
    });
    var go = el("button", "sb-btn", t("leave_send"));
    go.type = "submit";
    f.appendChild(go);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      send({ type: "leave_message", name: fields.name.value, email: fields.email.value, text: fields.message.value });
    });
    actions.appendChild(f);
  }

  function csatForm() {
    actions.textContent = "";
    var box = el("div", "sb-csat");
    box.appendChild(el("div", "", t("csat")));
    [1, 2, 3, 4, 5].forEach(function (n) {
      var star = el("button", "sb-star", "★");
      star.type = "button";
      star.setAttribute("aria-label", String(n));
      star.addEventListener("click", function () { send({ type: "csat", score: n }); });
      box.appendChild(star);
    });
    actions.appendChild(box);
  }

  function ended(askCsat) {
    state.ended = true;
    status.textContent = t("ended");
    form.hidden = true;
    if (askCsat) csatForm(); else actions.textContent = "";
    button(t("new_chat"), function () {
      localStorage.removeItem(storeKey);
      log.textContent = "";
      state.ended = false;
      state.convState = "bot";
      if (state.socket) state.socket.close();
      connect();
    });
  }

  var handlers = {
    welcome: function (m) {
      state.strings = m.strings || {};
      if (m.token) localStorage.setItem(storeKey, m.token);
      host.style.setProperty("--sb-colour", m.colour || "#1f6feb");
      label();
      state.convState = m.state;
      state.feedback = m.feedback;
      log.textContent = "";
      (m.messages || []).forEach(addMessage);
      renderActions();
      showPlace(m);
      if (m.state === "closed" || m.state === "message_left") ended(m.csat == null && m.state === "closed");
    },
    message: function (m) {
      addMessage(m.message);
      if (m.feedback) { state.feedback = m.feedback; renderActions(); }
    },
    typing: function (m) { status.textContent = m.typing ? t("typing") : ""; },
    state: function (m) { state.convState = m.state; state.feedback = null; renderActions(); showPlace(m); },
    queue: function (m) { showPlace(m); },
    leave_message: function () { leaveForm(); },
    ended: function (m) { ended(m.csat); },
    csat_recorded: function () { localStorage.removeItem(storeKey); ended(false); status.textContent = t("csat_thanks"); },
    error: function (m) {
      var errors = m.errors || {};
      status.textContent = Object.keys(errors).map(function (k) { return errors[k].join(" "); }).join(" ");
    },
  };

  function connect() {
    var url = new URL("/ws/chat/", base);
    url.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("key", key);
    url.searchParams.set("lang", lang);
    var socket = new WebSocket(url.href);
    state.socket = socket;
    socket.onopen = function () {
      state.retries = 0;
      send({ type: "start", token: localStorage.getItem(storeKey) });
    };
    socket.onmessage = function (event) {
      var m = JSON.parse(event.data);
      if (handlers[m.type]) handlers[m.type](m);
    };
    socket.onclose = function (event) {
      if (state.socket !== socket || event.code === 4429) return;
      state.socket = null;
      if (state.strings.offline) status.textContent = t("offline");
      state.retries += 1;
      setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, state.retries)));
    };
  }

  var typingSent = 0;
  input.addEventListener("input", function () {
    var now = Date.now();
    if (now - typingSent > 3000 && state.convState === "active") { typingSent = now; send({ type: "typing", typing: true }); }
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    send({ type: "message", text: text });
    input.value = "";
  });
  function toggle(open) {
    state.open = open;
    panel.hidden = !open;
    launcher.hidden = open;
    if (open && !state.socket) connect();
    if (open) input.focus();
  }
  launcher.addEventListener("click", function () { toggle(true); });
  closeBtn.addEventListener("click", function () { toggle(false); });

  function mount() {
    document.body.appendChild(host);
    if (localStorage.getItem(storeKey)) toggle(true);
  }
  window.SwitchboardChat = { open: function () { toggle(true); } };
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
