/* coform progressive enhancement. Every page works without this file; it only makes pages easier:
   focus on the error summary, conditional reveal, character count, exit this page, and the CSRF
   header for htmx requests that send no form. Loaded in <head> (not deferred) so the "js" class is
   set before first paint; everything else waits for the DOM and runs again after each htmx swap. */
(function () {
  "use strict";
  document.documentElement.classList.remove("no-js");
  document.documentElement.classList.add("js");

  function each(root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  // Error summary: take focus once so screen readers announce it; its links focus the field and
  // scroll the field's label or legend into view (the browser would hide it under the fold).
  function initErrorSummary(root) {
    each(root, '[data-module="error-summary"]', function (summary) {
      if (summary.dataset.ready) { return; }
      summary.dataset.ready = "1";
      summary.addEventListener("blur", function () { summary.removeAttribute("tabindex"); }, { once: true });
      summary.focus();
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        var input = link && document.getElementById(link.getAttribute("href").slice(1));
        if (!input) { return; }
        event.preventDefault();
        var fieldset = input.closest("fieldset");
        var legend = fieldset && fieldset.querySelector("legend");
        var label = document.querySelector("label[for='" + CSS.escape(input.id) + "']");
        var heading = legend && (input.type === "radio" || input.type === "checkbox" || input.closest(".date-input")) ? legend : (label || legend);
        if (heading) { heading.scrollIntoView(); }
        input.focus({ preventScroll: true });
      });
    });
  }

  // Conditional reveal: the server renders every follow-up visibly; here each option that has one
  // gets aria-controls, and unchosen options' follow-ups are hidden. No aria-expanded: ARIA does
  // not allow it on radios or checkboxes (axe's aria-allowed-attr), as GOV.UK Frontend found.
  function syncConditionals(form, name) {
    each(form, "input[data-aria-controls]", function (input) {
      if (name && input.name !== name) { return; }
      var target = document.getElementById(input.dataset.ariaControls);
      if (!target) { return; }
      input.setAttribute("aria-controls", target.id);
      var kind = input.type === "radio" ? "radios" : "checkboxes";
      target.classList.toggle(kind + "__conditional--hidden", !input.checked);
    });
  }

  function initChoices(root) {
    each(root, '[data-module="radios"], [data-module="checkboxes"]', function (group) {
      if (group.dataset.ready) { return; }
      group.dataset.ready = "1";
      syncConditionals(group, null);
      group.addEventListener("change", function (event) {
        var input = event.target;
        if (!input.name) { return; }
        // "None of these" and the other options cannot both be ticked.
        if (input.type === "checkbox" && input.checked) {
          var exclusive = input.dataset.behaviour === "exclusive";
          each(group, "input[type=checkbox]", function (other) {
            if (other !== input && other.name === input.name && (exclusive || other.dataset.behaviour === "exclusive")) {
              other.checked = false;
            }
          });
        }
        syncConditionals(group, input.name);
      });
    });
  }

  // Character count: the visible message says how many are left as people type; the polite live
  // region repeats it only once typing pauses, so screen readers are not interrupted per key.
  function initCharacterCount(root) {
    each(root, '[data-module="character-count"]', function (wrapper) {
      if (wrapper.dataset.ready) { return; }
      wrapper.dataset.ready = "1";
      var field = wrapper.querySelector("textarea");
      var message = wrapper.querySelector(".character-count__message");
      var status = wrapper.querySelector(".character-count__status");
      var words = wrapper.dataset.maxwords;
      var limit = parseInt(words || wrapper.dataset.maxlength, 10);
      var timer = null;
      function wording() {
        var used = words ? (field.value.match(/\S+/g) || []).length : field.value.length;
        var left = limit - used;
        var count = Math.abs(left);
        var key = left < 0 ? "over" : "remaining";
        var text = count === 1 ? wrapper.dataset[key + "One"] : wrapper.dataset[key].replace("%n", String(count));
        return { text: text, over: left < 0 };
      }
      function update() {
        var now = wording();
        message.textContent = now.text;
        message.classList.toggle("character-count__message--over", now.over);
        clearTimeout(timer);
        timer = setTimeout(function () { status.textContent = wording().text; }, 1000);
      }
      field.addEventListener("input", update);
      if (field.value) { update(); }
    });
  }

  // Exit this page: leave at once for a neutral site, replacing this page in the history so the
  // back button does not return to it. Also pressing Shift three times within five seconds.
  function exitPage(href) {
    document.title = "Loading";
    each(document, "main", function (main) { main.textContent = ""; });
    window.location.replace(href);
  }

  function initExitThisPage() {
    var button = document.querySelector("[data-exit-this-page]");
    if (!button || button.dataset.ready) { return; }
    button.dataset.ready = "1";
    button.addEventListener("click", function (event) {
      event.preventDefault();
      exitPage(button.href);
    });
    var presses = [];
    document.addEventListener("keyup", function (event) {
      if (event.key !== "Shift") { presses = []; return; }
      var now = Date.now();
      presses = presses.filter(function (time) { return now - time < 5000; });
      presses.push(now);
      if (presses.length >= 3) { exitPage(button.href); }
    });
  }

  // A second press of a submit button within a second is ignored, so a double click sends once.
  function initButtons(root) {
    each(root, "[data-prevent-double-click]", function (button) {
      if (button.dataset.ready) { return; }
      button.dataset.ready = "1";
      var last = 0;
      button.addEventListener("click", function (event) {
        var now = Date.now();
        if (now - last < 1000) { event.preventDefault(); }
        last = now;
      });
    });
  }

  // Autosave: as answers change, the page's answers are sent to its autosave address, which keeps
  // the valid ones and says which of the page's questions the answers now make visible; those are
  // shown and the others hidden (show_if on the same page). Files go only with Continue.
  function initAutosave(root) {
    each(root, "form[data-autosave]", function (form) {
      if (form.dataset.ready) { return; }
      form.dataset.ready = "1";
      var status = form.querySelector("[data-autosave-status]");
      var timer = null;
      function save() {
        var data = new FormData(form);
        each(form, "input[type=file]", function (input) { data.delete(input.name); });
        fetch(form.dataset.autosave, { method: "POST", body: data, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (result) {
            if (!result) { return; }
            each(form, "[data-question]", function (question) {
              question.hidden = result.visible.indexOf(question.dataset.question) === -1;
            });
            if (status && result.saved) {
              // Emptied first so the same words are announced again after the next change.
              status.textContent = "";
              setTimeout(function () { status.textContent = form.dataset.saved; }, 50);
            }
          })
          .catch(function () { /* Continue still saves everything; nothing is lost. */ });
      }
      form.addEventListener("change", function () {
        clearTimeout(timer);
        timer = setTimeout(save, 300);
      });
    });
  }

  // A print button on the copy of the answers; without JavaScript people use the browser's menu.
  function initPrint(root) {
    each(root, '[data-module="print"]', function (button) {
      if (button.dataset.ready) { return; }
      button.dataset.ready = "1";
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function init(root) {
    initErrorSummary(root);
    initChoices(root);
    initCharacterCount(root);
    initButtons(root);
    initExitThisPage();
    initAutosave(root);
    initPrint(root);
  }

  // After htmx swaps in a new page, put focus where a screen reader user needs it, as on a fresh
  // page: the error summary takes it itself (initErrorSummary); otherwise a notice, else the h1.
  function focusPage() {
    if (document.querySelector('[data-module="error-summary"]')) { return; }
    var target = document.querySelector('[data-module="notice"]') || document.querySelector("main h1");
    if (!target) { return; }
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.focus();
  }

  // htmx requests that carry no form (hx-delete does not send the enclosing form in htmx 4) still
  // need the CSRF token: send the page's token as a header.
  document.addEventListener("htmx:config:request", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var headers = event.detail && event.detail.ctx && event.detail.ctx.request.headers;
    if (!meta || !headers) { return; }
    if (typeof headers.set === "function") { headers.set("X-CSRF-Token", meta.content); }
    else { headers["X-CSRF-Token"] = meta.content; }
  });
  document.addEventListener("htmx:after:swap", function () {
    init(document);
    focusPage();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
