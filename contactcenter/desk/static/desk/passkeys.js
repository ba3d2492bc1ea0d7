/* Passkeys (WebAuthn), for the two pages that use them: adding one (data-passkey="register", on the
 * two-factor page) and logging in with one at the second step (data-passkey="login").
 *
 * A static file, as the Content-Security-Policy wants: the button carries the two addresses to call
 * (data-begin, data-complete), the CSRF token and its messages. "Begin" answers the options of
 * navigator.credentials (binary fields in base64url); the browser's answer goes to "complete" as
 * JSON. An error answer carries {"detail": message}; a success may carry {"redirect": url}.
 * Browsers without passkeys keep the panel hidden: the page works without it. */
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBytes(item.id) });
    });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      user: Object.assign({}, options.user, { id: toBytes(options.user.id) }),
      excludeCredentials: withIds(options.excludeCredentials),
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      allowCredentials: withIds(options.allowCredentials),
    });
  }

  function credentialJson(credential) {
    var answer = credential.response;
    var response = { clientDataJSON: toText(answer.clientDataJSON) };
    if (answer.attestationObject) {
      response.attestationObject = toText(answer.attestationObject);
      if (answer.getTransports) response.transports = answer.getTransports();
    } else {
      response.authenticatorData = toText(answer.authenticatorData);
      response.signature = toText(answer.signature);
      if (answer.userHandle) response.userHandle = toText(answer.userHandle);
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    };
  }

  function post(button, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": button.getAttribute("data-csrf") },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(
        function (data) {
          return { ok: response.ok, data: data };
        },
        function () {
          return { ok: false, data: {} };
        }
      );
    });
  }

  /* An error to show as it is (the server's message, or the button's for a cancelled ceremony). */
  function Refusal(message) {
    this.message = message;
  }

  function answer(button) {
    return function (result) {
      if (!result.ok) throw new Refusal(result.data.detail || button.getAttribute("data-text-failed"));
      return result.data;
    };
  }

  function ceremony(button) {
    var register = button.getAttribute("data-passkey") === "register";
    return post(button, button.getAttribute("data-begin"))
      .then(answer(button))
      .then(function (options) {
        var asked = register
          ? navigator.credentials.create({ publicKey: creationOptions(options) })
          : navigator.credentials.get({ publicKey: requestOptions(options) });
        return asked.catch(function () {
          throw new Refusal(button.getAttribute("data-text-cancelled"));
        });
      })
      .then(function (credential) {
        var body = credentialJson(credential);
        if (register) {
          var name = document.getElementById(button.getAttribute("data-name-field"));
          body = { name: name ? name.value : "", credential: body };
        }
        return post(button, button.getAttribute("data-complete"), body).then(answer(button));
      });
  }

  function run(button) {
    var error = document.getElementById("passkey-error");
    var label = button.textContent;
    error.hidden = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.textContent = button.getAttribute("data-text-busy");
    ceremony(button)
      .then(function (data) {
        window.location.assign(data.redirect || window.location.href);
      })
      .catch(function (problem) {
        error.textContent = problem instanceof Refusal ? problem.message : button.getAttribute("data-text-failed");
        error.hidden = false;
        button.disabled = false;
        button.removeAttribute("aria-busy");
        button.textContent = label;
      });
  }

  document.querySelectorAll("[data-passkey-panel]").forEach(function (panel) {
    panel.hidden = false;
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-passkey]");
    if (button && !button.disabled) run(button);
  });
})();
