/* Switchboard's live socket for the pages (docs/live.md).
 *
 * The socket is a hint, the database is the truth: when the socket reconnects, when a message's
 * `seq` skips a number, or when the server says `resync` (its live events were cut off for a moment:
 * Redis restarted, a message was lost on the way), the page is asked to refetch its state over HTTP
 * (`resync`), and a discreet note says so after a reconnection. Reconnects back off from 0.5 s to 15 s; 4401 (session over) reloads the page, which
 * leads to the login page; 4403 (role may not) stops for good.
 */
(function () {
  "use strict";

  var note = null;
  var noteTimer = null;

  function showNote(kind, keep) {
    note = note || document.getElementById("live-note");
    if (!note) return;
    note.textContent = note.dataset["text" + kind.charAt(0).toUpperCase() + kind.slice(1)] || "";
    note.className = "live-note live-note-" + kind;
    note.hidden = false;
    window.clearTimeout(noteTimer);
    if (!keep) {
      noteTimer = window.setTimeout(function () { note.hidden = true; }, 4000);
    }
  }

  function hideNote() {
    note = note || document.getElementById("live-note");
    if (note && note.classList.contains("live-note-lost")) note.hidden = true;
  }

  /**
   * connect("/ws/agent/", {message: fn(msg), resync: fn(reason)}) → {send(obj), close()}
   * `message` gets every parsed message; `resync` is called after a reconnect ("reconnected"), a
   * gap in `seq` ("gap") or the server's `resync` message ("server"), never on the first connection.
   */
  var sockets = [];

  function connect(path, handlers) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + path;
    var socket = null;
    var expected = 1;
    var attempts = 0;
    var everOpened = false;
    var stopped = false;
    var lostShown = false;

    function open() {
      socket = new WebSocket(url);
      socket.onopen = function () {
        expected = 1;
        attempts = 0;
        document.documentElement.dataset.live = "open";
        if (everOpened) {
          lostShown = false;
          showNote("reconnected");
          if (handlers.resync) handlers.resync("reconnected");
        }
        everOpened = true;
      };
      socket.onmessage = function (event) {
        var message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        var gap = typeof message.seq === "number" && message.seq !== expected;
        if (typeof message.seq === "number") expected = message.seq + 1;
        if (handlers.message) handlers.message(message);
        // A `resync` comes with a gap in `seq` too: one refetch for both.
        if ((gap || message.type === "resync") && handlers.resync) {
          handlers.resync(message.type === "resync" ? "server" : "gap");
        }
      };
      socket.onclose = function (event) {
        document.documentElement.dataset.live = "closed";
        if (stopped) return;
        if (event.code === 4401) {
          window.location.reload();
          return;
        }
        if (event.code === 4403) {
          showNote("forbidden", true);
          return;
        }
        if (everOpened && !lostShown) {
          lostShown = true;
          showNote("lost", true);
        }
        attempts += 1;
        var delay = Math.min(15000, 500 * Math.pow(2, Math.min(attempts - 1, 5)));
        window.setTimeout(open, delay * (0.75 + Math.random() * 0.5));
      };
    }

    open();
    window.addEventListener("online", function () {
      if (socket && socket.readyState === WebSocket.CLOSED) hideNote();
    });
    var handle = {
      send: function (payload) {
        if (socket && socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify(payload));
          return true;
        }
        return false;
      },
      close: function () {
        stopped = true;
        if (socket) socket.close();
      },
      // Cut the connection as a network failure would (then it reconnects): for tests and drills.
      drop: function () {
        if (socket) socket.close(4000, "dropped");
      },
    };
    sockets.push(handle);
    return handle;
  }

  window.SwitchboardLive = { connect: connect, showNote: showNote, sockets: sockets };
})();
