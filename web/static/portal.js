// Progressive enhancement for the admin portal; every page also works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Copy buttons: <button class="copy" data-copy-target="id"> copies the text of the element with that id.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button.copy");
    if (!b) return;
    var el = document.getElementById(b.getAttribute("data-copy-target"));
    if (!el) return;
    var text = el.value !== undefined && el.tagName !== "BUTTON" && el.tagName !== "CODE" ? el.value : el.textContent;
    var done = function () {
      var label = b.textContent;
      b.textContent = "Copied";
      b.classList.add("copied");
      setTimeout(function () { b.textContent = label; b.classList.remove("copied"); }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text.trim()).then(done, function () { select(el); });
    } else {
      select(el);
    }
  });
  function select(el) {
    var r = document.createRange();
    r.selectNodeContents(el);
    var s = window.getSelection();
    s.removeAllRanges();
    s.addRange(r);
  }

  // Selects marked data-autosubmit submit their form on change (the directory switcher, the preview's user).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });

  // Forms marked data-guard warn before the page is left with edits they have not saved: a line beside their
  // buttons says so as soon as a field changes, and leaving the page (a link, another card's Edit, closing the tab)
  // asks first. Saving or cancelling the form is not leaving it.
  var guarded = Array.prototype.slice.call(document.querySelectorAll("form[data-guard]"));
  var state = function (form) {
    return Array.prototype.map.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit") return "";
      if (el.type === "checkbox" || el.type === "radio") return el.name + "=" + el.checked;
      if (el.type === "file") return el.name + "=" + el.files.length;
      return el.name + "=" + el.value;
    }).join("\n");
  };
  var leaving = false;
  guarded.forEach(function (form) {
    var initial = state(form);
    var note = form.querySelector("[data-unsaved]");
    var check = function () {
      form.dirty = state(form) !== initial;
      if (note) note.hidden = !form.dirty;
    };
    form.addEventListener("input", check);
    form.addEventListener("change", check);
    form.addEventListener("submit", function () { leaving = true; });
    form.querySelectorAll("[data-cancel]").forEach(function (a) {
      a.addEventListener("click", function () { leaving = true; });
    });
  });
  window.addEventListener("beforeunload", function (e) {
    if (leaving || !guarded.some(function (f) { return f.dirty; })) return;
    e.preventDefault();
    e.returnValue = "";
  });
  // On a narrow screen the sections of the navigation scroll sideways: show the current one.
  var current = document.querySelector(".portal-nav [aria-current=page]");
  if (current) {
    var list = current.closest("ul");
    if (list.scrollWidth > list.clientWidth) list.scrollLeft = current.offsetLeft - 16; // the list is the link's offset parent there
  }

  // A link to a field ("Fix it" on an error page) puts the cursor in it.
  var target = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) target.focus();

  // The gallery filters its tiles as you type; the form still searches on the server without JavaScript.
  var search = document.getElementById("gallery-search");
  if (search) {
    var tiles = Array.prototype.slice.call(document.querySelectorAll("[data-gallery-text]"));
    var none = document.getElementById("gallery-none");
    var filter = function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      tiles.forEach(function (t) {
        var text = t.getAttribute("data-gallery-text");
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        t.hidden = !ok;
        if (ok) shown++;
      });
      if (none) none.hidden = shown > 0;
    };
    search.addEventListener("input", filter);
    filter();
  }

  // Test connection keeps what was typed: its result replaces #test-result without reloading the page. Without
  // JavaScript the button posts the form and the page comes back with the result.
  var test = document.getElementById("test-connection");
  if (test && window.fetch && window.DOMParser && window.FormData) {
    test.addEventListener("click", function (e) {
      e.preventDefault();
      var box = document.getElementById("test-result");
      box.removeAttribute("data-ok");
      box.textContent = "Testing the connection…";
      fetch(test.getAttribute("formaction"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(test.form))
      }).then(function (r) { return r.text(); }).then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("test-result");
        if (fresh) {
          box.replaceWith(fresh);
        } else {
          box.textContent = "The test could not be run; reload the page and try again.";
          box.setAttribute("data-ok", "false");
        }
      }, function () {
        box.textContent = "Gatehouse did not answer; try again.";
        box.setAttribute("data-ok", "false");
      });
    });
  }
})();
