// Live reports (agents, ongoing conversations, drill-down): pause / resume of the htmx polling,
// and the grid's horizontal scroll kept across swaps. Polling itself is declared in the
// templates: hx-trigger="every Ns, reports-refresh" on the [data-live-region]; the pause is a
// listener here, not an htmx trigger filter, which htmx would eval (the CSP forbids eval).
(function () {
  "use strict";
  let paused = false;

  // The polling filter: no request while paused or while the tab is hidden.
  window.reportsLive = function () {
    return !paused && !document.hidden;
  };

  function region() {
    return document.querySelector("[data-live-region]");
  }

  function setPaused(value, controls) {
    paused = value;
    const button = controls.querySelector("[data-live-toggle]");
    const label = controls.querySelector("[data-live-label]");
    button.textContent = paused ? "Resume" : "Pause";
    button.setAttribute("aria-pressed", String(paused));
    label.textContent = paused
      ? "Paused · figures are not updated"
      : "Live · updates every " + controls.dataset.refreshSeconds + " s";
    controls.classList.toggle("is-paused", paused);
    const live = region();
    if (!live || !window.htmx) return;
    if (paused) {
      htmx.trigger(live, "htmx:abort"); // a poll already on its way must not land after Pause
    } else {
      htmx.trigger(live, "reports-refresh"); // Resume shows the current figures at once
    }
  }

  function setup() {
    const controls = document.querySelector("[data-live-controls]");
    if (!controls) return;
    controls.hidden = false;
    controls.querySelector("[data-live-toggle]").addEventListener("click", function () {
      setPaused(!paused, controls);
    });
  }

  // No request of the live region itself while paused or while the tab is hidden (the filter of
  // its polling; links and forms inside it still work).
  document.addEventListener("htmx:beforeRequest", function (event) {
    const elt = event.detail.elt;
    if (elt && elt.matches && elt.matches("[data-live-region]") && !window.reportsLive()) {
      event.preventDefault();
    }
  });

  // Keep the horizontal scroll of wide grids (phones) when the region is swapped.
  const scrolls = {};
  document.addEventListener("htmx:beforeSwap", function () {
    document.querySelectorAll("[data-keep-scroll]").forEach(function (el) {
      scrolls[el.dataset.keepScroll] = el.scrollLeft;
    });
  });
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("[data-keep-scroll]").forEach(function (el) {
      const left = scrolls[el.dataset.keepScroll];
      if (left) el.scrollLeft = left;
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
