// The console's client lifecycle (rules S1-S4) over one live stream per tab (issue 13):
// opening the stream connects the client, the open stream keeps it alive, closing it (the tab
// closes) is its goodbye. Each "changed" event fetches the regions its kinds touch, once (htmx).
// When the stream cannot open or drops, the page says "Reconnecting…", falls back to what it
// did before (connect and heartbeat over HTTP, poll every few seconds) and tries the stream again
// with backoff and jitter; once back, it fetches once to catch up. Offers count down locally.
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) return;

  // A status set through htmx clears its form again (was an hx-on attribute: the CSP forbids the
  // eval that htmx needs for it).
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form && form.matches && form.matches("form[data-reset-after-success]")) {
      form.reset();
    }
  });

  var KEY = "presence-console-client-id";
  var heartbeatEvery = (Number(root.dataset.heartbeatSeconds) || 20) * 1000;
  var pollEvery = (Number(root.dataset.pollSeconds) || 3) * 1000;
  var csrf = root.dataset.csrf;
  var indicator = document.getElementById("console-connection");
  var stream = null;
  var retryDelay = 1000;
  var retryTimer = null;
  var fallbackTimers = [];
  var ended = false;
  // Whether the client's connection is the HTTP one (the fallback's connect answered) rather
  // than the stream's: only then does the tab say goodbye with a beacon when it closes.
  var overHttp = false;

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // S3: a refresh reuses the id (sessionStorage survives it), so it is a reconnect inside the
  // grace period. The id is taken out while the page lives and put back on pagehide, so that
  // a duplicated tab gets an id of its own instead of sharing this one (S2).
  var clientId = sessionStorage.getItem(KEY) || newId();
  sessionStorage.removeItem(KEY);

  function show(state, text, mode) {
    if (!indicator) return;
    indicator.dataset.state = state;
    indicator.dataset.live = mode || "";
    indicator.querySelector(".connection-text").textContent = text;
  }

  function body() {
    var data = new FormData();
    data.append("client_id", clientId);
    data.append("csrfmiddlewaretoken", csrf);
    return data;
  }

  function post(url) {
    return fetch(url, {
      method: "POST",
      body: body(),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf },
    });
  }

  // What changed since the last fetch: the fetch asks for those regions only (`kinds`; "all"
  // after a hello, a resync or a poll). Gathered until the fetch leaves, so a change that comes
  // while one is on its way is in the queued one.
  var pendingKinds = {};
  var live = document.getElementById("console-live");

  function refresh(kinds) {
    (kinds || ["all"]).forEach(function (kind) { pendingKinds[kind] = true; });
    document.body.dispatchEvent(new CustomEvent("console-refresh"));
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt !== live) return;
    var kinds = Object.keys(pendingKinds);
    pendingKinds = {};
    event.detail.parameters.kinds = !kinds.length || kinds.indexOf("all") >= 0 ? "all" : kinds.sort().join(",");
  });

  function changed(event) {
    var data = {};
    try { data = JSON.parse(event.data || "{}"); } catch (error) { data = {}; }
    refresh(data.resync || !data.kinds || !data.kinds.length ? null : data.kinds);
  }

  function signedOutOfPortal(response) {
    // The session ended: the permission check answered with the login page.
    if (response.redirected || response.status === 403) {
      show("lost", "Signed out of the portal: reload the page");
      end();
      return true;
    }
    return false;
  }

  // --- Fallback: today's HTTP client (connect, heartbeat every 20 s, poll every 3 s) ---------

  function polling() {
    return "Reconnecting… (updates every " + Math.round(pollEvery / 1000) + " s meanwhile)";
  }

  function connect() {
    return post(root.dataset.connectUrl)
      .then(function (response) {
        if (signedOutOfPortal(response)) return;
        if (response.ok) {
          overHttp = true;
          show("connected", polling(), "polling");
        } else show("lost", "Not connected: retrying");
        refresh();
      })
      .catch(function () { show("lost", "Connection lost: retrying"); });
  }

  function heartbeat() {
    return post(root.dataset.heartbeatUrl)
      .then(function (response) {
        if (signedOutOfPortal(response)) return;
        if (response.status === 404) return unlessSignedOut(response, connect); // S4: timed out
        if (response.ok) show("connected", polling(), "polling");
        else show("lost", "Not connected: retrying");
      })
      .catch(function () { show("lost", "Connection lost: retrying"); });
  }

  // S5 (by a supervisor, issue 16, or in another tab): a 404 that says the rep was signed out
  // ends this client, and the console stays signed out: connecting again would sign the rep in,
  // which is theirs to choose ("Sign in again", which the status region then shows with who
  // signed them out). Asked of the server, not of the page, which may not show the sign-out yet.
  // Any other 404 (the client timed out) runs `otherwise`.
  function unlessSignedOut(response, otherwise) {
    return response.json()
      .catch(function () { return {}; })
      .then(function (data) {
        if (data.state !== "signed_out" && !document.querySelector("[data-signed-out-by]")) {
          return otherwise();
        }
        end();
        show("lost", "Signed out of presence");
        refresh();
      });
  }

  function startFallback() {
    if (fallbackTimers.length || ended) return;
    fallbackTimers = [window.setInterval(heartbeat, heartbeatEvery), window.setInterval(function () { refresh(); }, pollEvery)];
    connect();
  }

  function stopFallback() {
    fallbackTimers.forEach(window.clearInterval);
    fallbackTimers = [];
  }

  // --- The live stream ------------------------------------------------------------------------

  function openStream() {
    retryTimer = null;
    if (ended) return;
    if (!window.EventSource || !root.dataset.streamUrl) {
      startFallback();
      return;
    }
    var source = new EventSource(root.dataset.streamUrl + "?client_id=" + encodeURIComponent(clientId));
    stream = source;
    source.addEventListener("hello", function () {
      retryDelay = 1000;
      overHttp = false; // the stream's connect took the client over
      stopFallback();
      show("connected", "Connected · live", "stream");
      refresh(); // catch up on what happened while the stream was down
    });
    source.addEventListener("changed", changed);
    source.addEventListener("gone", function () {
      // Timed out, or signed out: the heartbeat's answer tells which (the client is gone both ways).
      source.close();
      stream = null;
      post(root.dataset.heartbeatUrl)
        .then(function (response) {
          if (signedOutOfPortal(response)) return;
          return unlessSignedOut(response, function () { dropped(source); });
        })
        .catch(function () { dropped(source); });
    });
    source.onerror = function () { dropped(source); };
  }

  function dropped(source) {
    source.close();
    if (stream === source) stream = null;
    if (ended) return;
    show(fallbackTimers.length ? indicator.dataset.state : "connecting", polling(), "polling");
    startFallback();
    if (!retryTimer) {
      var wait = retryDelay * (0.5 + Math.random()); // jitter: a restarted server is not hit at once
      retryDelay = Math.min(retryDelay * 2, 30000);
      retryTimer = window.setTimeout(openStream, wait);
    }
  }

  // The client's end: no stream, no fallback, no retry (signed out of presence or the portal).
  function end() {
    ended = true;
    stopFallback();
    if (retryTimer) window.clearTimeout(retryTimer);
    retryTimer = null;
    if (stream) stream.close();
    stream = null;
  }

  // --- Offers count down from their expiry, without asking the server -----------------------

  window.setInterval(function () {
    document.querySelectorAll("[data-expires-at]").forEach(function (el) {
      // Whole seconds left, rounded down as the server renders them (never counts up).
      var left = Math.max(0, Math.floor((Date.parse(el.dataset.expiresAt) - Date.now()) / 1000));
      el.textContent = left > 0 ? "Expires in " + left + " s" : "Expired";
    });
    // K3: a `minutes` wrap-up counts down to the release of its capacity (issue 15).
    document.querySelectorAll("[data-release-at]").forEach(function (el) {
      var left = Math.max(0, Math.floor((Date.parse(el.dataset.releaseAt) - Date.now()) / 1000));
      var text = left >= 60 ? Math.floor(left / 60) + " min " + (left % 60) + " s" : left + " s";
      el.textContent = left > 0 ? "Capacity released in " + text : "Capacity released";
    });
    // "Busy for 12 min": the time in the current status, in portal.formatting.duration's words.
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var out = el.querySelector("[data-duration]");
      if (out) out.textContent = duration((Date.now() - Date.parse(el.dataset.since)) / 1000);
    });
  }, 1000);

  function duration(seconds) {
    var minutes = Math.floor(Math.max(0, seconds) / 60);
    if (minutes < 1) return "less than a minute";
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    if (hours < 24) return hours + " h " + String(minutes % 60).padStart(2, "0") + " min";
    return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
  }

  // S4: the tab closes (or navigates away): say goodbye. With the stream's connection, its close
  // is the goodbye (the server ends that connection only, so a refresh that is already
  // connecting again keeps the rep, S3); a beacon could land after the refresh's connect and end
  // it. Only a client connected over HTTP (the fallback) says it with sendBeacon (it outlives the
  // page; CSRF token in the body). Not "is the stream open now": the browser may close the stream
  // (its error event) before pagehide when the page reloads, and the beacon then ended the
  // refreshed page's client.
  window.addEventListener("pagehide", function () {
    sessionStorage.setItem(KEY, clientId);
    end();
    if (overHttp) navigator.sendBeacon(root.dataset.goodbyeUrl, body());
  });

  // Back-forward cache: the page comes back alive after its goodbye; connect again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      sessionStorage.removeItem(KEY);
      ended = false;
      openStream();
    }
  });

  openStream();
})();
