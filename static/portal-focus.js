// Focus after in-page navigation (WCAG 2.4.3). A link that swaps a region of the page with htmx
// (a report's tab, a column's sort link, a page link, a boosted link of the historical report)
// replaces the link itself, and the browser would drop focus to the top of the page. Move it
// instead to the new region's heading: the element the link's #anchor names, else the element
// marked data-results-heading, else the region itself (a <section> named by aria-label), made
// focusable with tabindex="-1".
// Only links count: the live refresh (triggered by the region), filter forms and inline saves
// (triggered by a form; htmx gives focus back to the same control by its id) are left alone.
// If a later swap replaces the heading that has focus (a live refresh), focus stays on it.
(function () {
  "use strict";
  const done = new WeakSet();
  let focusedHere = null; // the id of the heading this script focused, while it keeps focus

  function focusHeading(heading, options) {
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus(options);
    focusedHere = document.activeElement === heading ? heading.id || null : null;
  }

  document.addEventListener("focusin", function (event) {
    if (event.target.id !== focusedHere) focusedHere = null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    const detail = event.detail || {};
    if (!detail.xhr || done.has(detail.xhr)) return;
    done.add(detail.xhr);
    const lost = !document.activeElement || document.activeElement === document.body;
    const source = (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
    if (!(source instanceof HTMLAnchorElement)) {
      const again = lost && focusedHere ? document.getElementById(focusedHere) : null;
      if (again) focusHeading(again, { preventScroll: true });
      return;
    }
    const old = detail.target;
    const region = old && old.id ? document.getElementById(old.id) : null;
    // A morphed region (the live reports) may keep the very link that was followed; focus then
    // moves on to the results as well. Any other focused control is htmx giving focus back.
    const kept = document.activeElement === source;
    if (!region || !(lost || kept)) return;
    const anchor = source.hash.length > 1 ? document.getElementById(source.hash.slice(1)) : null;
    const heading =
      (anchor && region.contains(anchor) && anchor) ||
      region.querySelector("[data-results-heading]") ||
      region;
    focusHeading(heading);
  });
})();
