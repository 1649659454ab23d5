/* Clinix page behaviour on top of htmx. Everything works without it; this makes it kinder. */
(function () {
  "use strict";

  // These error answers carry the fragment to show (taken, invalid form, not allowed yet,
  // busy): swap them like successes. Any other error keeps the page and is announced.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "403", swap: true, error: false },
    { code: "409", swap: true, error: false },
    { code: "422", swap: true, error: false },
    { code: "503", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ];
  // Only show loading indicators after 150 ms (see .htmx-indicator in clinix.css).
  htmx.config.defaultSettleDelay = 20;

  function announce(text) {
    const region = document.getElementById("live-region");
    if (!region || !text) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  // After a swap: move focus where the new content asks for it and announce it. Polling
  // refreshes (data-quiet) must not steal focus from what the person is doing.
  document.addEventListener("htmx:afterSwap", function (event) {
    // outerHTML swaps replace the target: look the new element up again by its id.
    let target = event.detail.target;
    if (target && !target.isConnected && target.id) target = document.getElementById(target.id);
    const source = event.detail.requestConfig && event.detail.requestConfig.elt;
    // A select or form that asked for the update keeps the focus; only announce. When the
    // form itself was replaced (a "done" panel instead of the form), focus moves on below.
    if (source && source.matches && source.matches("select, input, form") && source.isConnected) {
      const note = target && target.querySelector("[data-announce]");
      if (note) announce(note.dataset.announce);
      return;
    }
    // Polling and other self-refreshing regions (data-quiet) never move the focus.
    if (!target || (source && source.hasAttribute && source.hasAttribute("data-quiet"))) return;
    const focus = target.querySelector("[data-autofocus]") || target.querySelector(".error-summary") ||
      target.querySelector("h1, h2, h3");
    if (focus) {
      if (!focus.hasAttribute("tabindex")) focus.setAttribute("tabindex", "-1");
      focus.focus({ preventScroll: false });
    }
    const message = target.querySelector("[data-announce]");
    if (message) announce(message.dataset.announce);
  });

  // The bell refreshes itself quietly; say the new count only when it changes (not when
  // the page first fills it in).
  document.addEventListener("htmx:afterSwap", function (event) {
    const slot = event.detail.target;
    if (!slot || slot.id !== "notification-bell") return;
    const bell = slot.querySelector("[data-unread]");
    if (!bell) return;
    const previous = slot.dataset.unread;
    slot.dataset.unread = bell.dataset.unread;
    if (previous !== undefined && previous !== bell.dataset.unread) announce(bell.getAttribute("aria-label"));
  });

  // A network failure or server error: say so instead of doing nothing.
  document.addEventListener("htmx:responseError", function () {
    announce(document.body.dataset.errorText || "Something went wrong. Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    announce(document.body.dataset.offlineText || "No connection. Please check your network and try again.");
  });

  // Typed text in [data-persist] fields survives a refresh or a detour (sign-in, back).
  function persistKey(field) { return "clinix:" + location.pathname + location.search + ":" + field.name; }
  document.querySelectorAll("[data-persist]").forEach(function (field) {
    try {
      const saved = sessionStorage.getItem(persistKey(field));
      if (saved && !field.value) field.value = saved;
      field.addEventListener("input", function () { sessionStorage.setItem(persistKey(field), field.value); });
    } catch (error) { /* storage disabled: the field simply starts empty */ }
  });

  // Copy buttons: [data-copy] names the field whose text to copy. They start hidden and
  // appear only where the page may write to the clipboard (HTTPS or localhost).
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = false; });
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-copy]");
    const field = button && document.getElementById(button.dataset.copy);
    if (!field) return;
    field.select();
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = button.dataset.copiedText;
      announce(button.dataset.copiedText);
    }, function () {
      announce(button.dataset.copyFailedText);
    });
  });

  // Print buttons (receipts).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  // The language picker submits on change when scripts run.
  document.addEventListener("change", function (event) {
    if (event.target.id === "language-select") event.target.form.submit();
  });
})();
