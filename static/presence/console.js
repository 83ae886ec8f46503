// The console's client lifecycle (rules S1-S4): connect on load, heartbeat every 20 s,
// goodbye when the tab closes. The status regions refresh themselves with htmx (S2).
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
  var every = (Number(root.dataset.heartbeatSeconds) || 20) * 1000;
  var csrf = root.dataset.csrf;
  var indicator = document.getElementById("console-connection");
  var timer = null;

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

  function show(state, text) {
    if (!indicator) return;
    indicator.dataset.state = state;
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

  function refresh() {
    document.body.dispatchEvent(new CustomEvent("console-refresh"));
  }

  function signedOutOfPortal(response) {
    // The session ended: the permission check answered with the login page.
    if (response.redirected || response.status === 403) {
      show("lost", "Signed out of the portal: reload the page");
      stop();
      return true;
    }
    return false;
  }

  function connect() {
    return post(root.dataset.connectUrl)
      .then(function (response) {
        if (signedOutOfPortal(response)) return;
        if (response.ok) show("connected", "Connected");
        else show("lost", "Not connected: retrying");
        refresh();
      })
      .catch(function () { show("lost", "Connection lost: retrying"); });
  }

  function heartbeat() {
    return post(root.dataset.heartbeatUrl)
      .then(function (response) {
        if (signedOutOfPortal(response)) return;
        if (response.status === 404) return connect(); // S4: timed out, connect again
        if (response.ok) show("connected", "Connected");
        else show("lost", "Not connected: retrying");
        refresh();
      })
      .catch(function () { show("lost", "Connection lost: retrying"); });
  }

  function start() {
    stop();
    timer = window.setInterval(heartbeat, every);
  }

  function stop() {
    if (timer) window.clearInterval(timer);
    timer = null;
  }

  // S4: the tab closes (or navigates away): say goodbye. sendBeacon outlives the page;
  // the CSRF token travels in the body as csrfmiddlewaretoken.
  window.addEventListener("pagehide", function () {
    sessionStorage.setItem(KEY, clientId);
    stop();
    navigator.sendBeacon(root.dataset.goodbyeUrl, body());
  });

  // Back-forward cache: the page comes back alive after its goodbye; connect again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      sessionStorage.removeItem(KEY);
      connect().then(start);
    }
  });

  connect().then(start);
})();
