// Passkeys: the browser's side of WebAuthn for forms marked data-passkey.
//
// A form with data-passkey="get" signs in with a passkey, one with data-passkey="create" adds one. data-options
// holds the server's options for navigator.credentials ({"publicKey": {...}}, binary values in base64url). On
// submit, the script runs the ceremony, puts the browser's answer as JSON into the form's "credential" field and
// submits the form; the server checks it. A form that also has data-passkey-autofill offers the passkeys in the
// user-name field's autofill (conditional mediation) where the browser supports it, and the page's root element
// then carries data-passkey-autofill="waiting".
(function () {
  "use strict";

  function fromB64url(s) {
    var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) {
      b64 += "=";
    }
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }

  function toB64url(buf) {
    if (!buf) {
      return undefined;
    }
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function listIDs(list) {
    (list || []).forEach(function (c) {
      c.id = fromB64url(c.id);
    });
  }

  // publicKeyOptions decodes the server's options for navigator.credentials.
  function publicKeyOptions(json) {
    var o = JSON.parse(json).publicKey;
    o.challenge = fromB64url(o.challenge);
    if (o.user) {
      o.user.id = fromB64url(o.user.id);
    }
    listIDs(o.allowCredentials);
    listIDs(o.excludeCredentials);
    return o;
  }

  // credentialJSON encodes the browser's answer as the server reads it.
  function credentialJSON(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : undefined;
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      out.response.userHandle = toB64url(r.userHandle);
    }
    return JSON.stringify(out);
  }

  function problem(form, text) {
    var p = form.querySelector(".problem");
    if (p) {
      p.textContent = text;
      p.hidden = false;
    }
  }

  function explain(err) {
    if (err && err.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out. Try again.";
    }
    if (err && err.name === "InvalidStateError") {
      return "This authenticator already holds a passkey for your account.";
    }
    return "Your browser could not use a passkey" + (err && err.message ? ": " + err.message : ".");
  }

  function finish(form, cred) {
    form.elements.credential.value = credentialJSON(cred);
    form.submit();
  }

  var supported = !!(window.PublicKeyCredential && navigator.credentials);
  var autofill = null; // the AbortController of a pending conditional request

  Array.prototype.forEach.call(document.querySelectorAll("form[data-passkey]"), function (form) {
    if (!supported) {
      problem(form, "This browser does not support passkeys.");
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) {
        b.disabled = true;
      });
      return;
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!form.reportValidity()) {
        return;
      }
      if (autofill) {
        autofill.abort(); // one request at a time
        autofill = null;
      }
      var opts = publicKeyOptions(form.getAttribute("data-options"));
      var call = form.getAttribute("data-passkey") === "create"
        ? navigator.credentials.create({ publicKey: opts })
        : navigator.credentials.get({ publicKey: opts });
      call.then(function (cred) {
        finish(form, cred);
      }, function (err) {
        problem(form, explain(err));
      });
    });
  });

  var auto = document.querySelector("form[data-passkey-autofill]");
  if (supported && auto && PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (!ok) {
        document.documentElement.setAttribute("data-passkey-autofill", "unsupported");
        return;
      }
      autofill = new AbortController();
      document.documentElement.setAttribute("data-passkey-autofill", "waiting");
      navigator.credentials.get({
        mediation: "conditional",
        publicKey: publicKeyOptions(auto.getAttribute("data-options")),
        signal: autofill.signal
      }).then(function (cred) {
        finish(auto, cred);
      }, function (err) {
        if (err && err.name !== "AbortError") {
          problem(auto, explain(err));
        }
      });
    });
  } else if (auto) {
    document.documentElement.setAttribute("data-passkey-autofill", "unsupported");
  }
})();
