// New offers on the console get noticed: the tab title counts them ("(1) Offer — Console"),
// screen readers hear them (#offer-announcer, aria-live), and a short tone plays when the rep
// turned "Sound for new offers" on (saved in localStorage) and the browser allows audio.
// It only watches the offers region (#console-offers) change, however the console refreshes it
// (polling or push, console.js), so it stays out of the refresh code.
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) return;

  var SOUND_KEY = "presence-console-offer-sound";
  var baseTitle = document.title;
  var announcer = document.getElementById("offer-announcer");
  var toggle = document.getElementById("offer-sound");
  var seen = null; // offer ids already known; null until the first look (no tone on load)
  var audio = null;

  function soundOn() {
    try { return localStorage.getItem(SOUND_KEY) === "on"; } catch (e) { return false; }
  }

  // Browsers start audio only after a user gesture: the context is made (or resumed) on one.
  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended" && audio.resume) audio.resume().catch(function () {});
    return audio;
  }

  function tone() {
    var ctx = audioContext();
    if (!ctx || ctx.state !== "running") return; // not allowed yet: title and announcement only
    var oscillator = ctx.createOscillator();
    var gain = ctx.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.35);
    oscillator.connect(gain);
    gain.connect(ctx.destination);
    oscillator.start();
    oscillator.stop(ctx.currentTime + 0.4);
  }

  function offers() {
    return Array.prototype.slice.call(document.querySelectorAll("#console-offers [data-offer]"));
  }

  function describe(offer) {
    var text = offer.querySelector(".offer-text");
    return (text ? text.textContent : "").replace(/\s+/g, " ").trim();
  }

  function update() {
    var current = offers();
    var n = current.length;
    document.title = n ? "(" + n + ") " + (n === 1 ? "Offer" : "Offers") + " — " + baseTitle : baseTitle;
    var fresh = seen ? current.filter(function (o) { return !seen.has(o.dataset.offer); }) : [];
    seen = new Set(current.map(function (o) { return o.dataset.offer; }));
    if (!fresh.length) return;
    if (announcer) {
      announcer.textContent = (fresh.length === 1 ? "New offer: " : fresh.length + " new offers: ") +
        fresh.map(describe).join("; ");
    }
    if (soundOn()) tone();
  }

  if (toggle) {
    toggle.closest(".offer-sound").hidden = false;
    toggle.checked = soundOn();
    toggle.addEventListener("change", function () {
      try { localStorage.setItem(SOUND_KEY, toggle.checked ? "on" : "off"); } catch (e) { /* private mode */ }
      if (toggle.checked) audioContext(); // this click is the gesture that allows the tone
    });
  }
  // Any click or key on the page also counts as the gesture, once the sound is on.
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () { if (soundOn()) audioContext(); }, { passive: true });
  });

  // The offers card is replaced as a whole (out-of-band swap), so watch its parent.
  var region = document.getElementById("console-offers");
  var parent = region ? region.parentNode : root;
  new MutationObserver(update).observe(parent, { childList: true, subtree: true, characterData: true });
  update();
})();
