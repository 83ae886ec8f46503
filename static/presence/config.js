// Configuration pages. A form marked data-submit-on-enter saves when Enter is pressed in its
// <select> (a select alone would not submit its form), and only then or on its Save button:
// never on a change, since arrow keys browse the options (WCAG 3.2.2). A listener here, not an
// htmx trigger filter, because the Content-Security-Policy refuses the eval those filters need.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.target instanceof HTMLSelectElement)) return;
    const form = event.target.closest("form[data-submit-on-enter]");
    if (!form) return;
    event.preventDefault();
    form.requestSubmit();
  });
})();
