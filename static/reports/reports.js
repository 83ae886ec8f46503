// Live reports (agents, ongoing conversations, drill-down), issue 13 and review finding 22.
//
// - One live stream per tab (server-sent events, reports/views_live.py): the server says when
//   something in this page's scope changed, at most once per REPORT_REFRESH_SECONDS; the page
//   then fetches its live region once ("reports-refresh").
// - Each update is morphed into the page (idiomorph, hx-swap="morph"): the rows keep their ids,
//   so keyboard focus, scroll and open <details> survive it.
// - When the stream cannot open or drops, the page says "Reconnecting…", polls as before
//   (hx-trigger="every Ns", held back by the htmx:beforeRequest listener below while the
//   stream pushes: a listener, not an htmx trigger filter, which htmx would eval and the CSP
//   forbids), and tries again with backoff and jitter; back on the stream it fetches once.
// - Pause stops updates (and the fetches); Resume shows the current figures at once.
// - A hidden tab closes its stream and opens it again when shown (six connections per host
//   over HTTP/1.1); the console keeps its stream, which is its presence client.
(function () {
  "use strict";
  let paused = false;
  let streaming = false;
  let retryDelay = 1000;
  let retryTimer = null;

  // Whether the region polls: not while paused, hidden, or while the stream pushes.
  window.reportsLive = function () {
    return !paused && !document.hidden && !streaming;
  };

  // Morphing must not close a <details> the reader opened (the server renders it closed).
  if (window.Idiomorph) {
    Idiomorph.defaults.callbacks.beforeAttributeUpdated = function (name, node) {
      return !(name === "open" && node.tagName === "DETAILS");
    };
  }

  function region() {
    return document.querySelector("[data-live-region]");
  }

  function controls() {
    return document.querySelector("[data-live-controls]");
  }

  function label() {
    const box = controls();
    if (!box) return;
    const text = box.querySelector("[data-live-label]");
    const seconds = box.dataset.refreshSeconds;
    let words;
    if (paused) words = "Paused · figures are not updated";
    else if (streaming) words = "Live · updates as they happen, at most every " + seconds + " s";
    else words = "Reconnecting… (updates every " + box.dataset.pollSeconds + " s meanwhile)";
    if (text.textContent !== words) text.textContent = words; // the same words are not re-read
    box.dataset.live = streaming ? "stream" : "polling";
  }

  // The live region's fetches on their way (its own and the filters', which target it). A
  // refresh asked meanwhile is made once they are back: htmx would drop it (hx-sync="this:drop"),
  // and the fetch on its way may have been rendered before the change (the lost push, issue 13).
  let inFlight = 0;
  let again = false;

  function concernsRegion(detail) {
    const live = region();
    return Boolean(live) && (detail.elt === live || detail.target === live);
  }

  document.addEventListener("htmx:beforeSend", function (event) {
    if (concernsRegion(event.detail)) inFlight += 1;
  });
  // After every answer, error or abort (htmx sends afterRequest for each of them).
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!concernsRegion(event.detail)) return;
    inFlight = Math.max(0, inFlight - 1);
    if (inFlight === 0 && again) {
      again = false;
      window.setTimeout(refresh, 0); // once htmx has let go of this request (its sync lock)
    }
  });

  function refresh() {
    const live = region();
    if (!live || !window.htmx) return;
    if (paused || document.hidden) return; // Resume, or the stream's hello when shown, catch up
    if (inFlight) {
      again = true;
      return;
    }
    htmx.trigger(live, "reports-refresh");
  }

  function setPaused(value) {
    paused = value;
    const box = controls();
    const button = box.querySelector("[data-live-toggle]");
    button.textContent = paused ? "Resume" : "Pause";
    button.setAttribute("aria-pressed", String(paused));
    box.classList.toggle("is-paused", paused);
    label();
    const live = region();
    if (!live || !window.htmx) return;
    if (paused) {
      htmx.trigger(live, "htmx:abort"); // a fetch already on its way must not land after Pause
    } else {
      refresh(); // Resume shows the current figures at once
    }
  }

  let source = null;

  function closeStream() {
    if (source) source.close();
    source = null;
    streaming = false;
  }

  // The poll of the live region (a request with no triggering event: htmx's "every") waits
  // while paused, hidden or streaming; "reports-refresh" (the stream's, Resume's) goes through.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const detail = event.detail;
    const elt = detail.elt;
    const config = detail.requestConfig || {};
    if (elt && elt.matches && elt.matches("[data-live-region]") && !config.triggeringEvent
        && !window.reportsLive()) {
      event.preventDefault();
    }
  });

  function openStream() {
    retryTimer = null;
    const live = region();
    if (!live || !live.dataset.liveStream || !window.EventSource || source) return;
    source = new EventSource(live.dataset.liveStream);
    source.addEventListener("hello", function () {
      streaming = true;
      retryDelay = 1000;
      label();
      refresh(); // catch up on what changed before the stream opened, or while it was down
    });
    source.addEventListener("changed", refresh);
    source.onerror = function () {
      closeStream();
      label();
      if (!retryTimer) {
        const wait = retryDelay * (0.5 + Math.random()); // jitter: not every tab at once
        retryDelay = Math.min(retryDelay * 2, 30000);
        retryTimer = window.setTimeout(openStream, wait);
      }
    };
  }

  function setup() {
    const box = controls();
    if (box) {
      box.hidden = false;
      box.querySelector("[data-live-toggle]").addEventListener("click", function () {
        setPaused(!paused);
      });
    }
    // A hidden tab gives its stream back (browsers allow six connections per host over
    // HTTP/1.1, and a supervisor opens many tabs); shown again, it reconnects and catches up.
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) {
        closeStream();
        if (retryTimer) window.clearTimeout(retryTimer);
        retryTimer = null;
      } else {
        openStream();
      }
    });
    window.addEventListener("pagehide", function () {
      if (retryTimer) window.clearTimeout(retryTimer);
    });
    openStream();
  }

  // Keep the horizontal scroll of wide grids (phones) when the region is replaced by a filter
  // change (a morph keeps the element, and so its scroll, by itself).
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
