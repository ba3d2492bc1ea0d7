/* Every Switchboard page: how htmx treats answers. A form answered with 400 (invalid input) or 409
 * (someone else changed it) carries the form again with its messages: swap it in. Other errors
 * leave the page as it is and say so. */
(function () {
  "use strict";
  if (!window.htmx) return;
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "40[09]", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ];
  document.addEventListener("htmx:responseError", function () {
    if (window.SwitchboardLive) window.SwitchboardLive.showNote("failed");
  });
  document.addEventListener("htmx:sendError", function () {
    if (window.SwitchboardLive) window.SwitchboardLive.showNote("failed");
  });
})();

/* Behaviour declared by data attributes, so that no page needs an inline handler (the
 * Content-Security-Policy allows none):
 * - data-submit-on-change on a field: choosing a value submits its form (the language selector);
 * - data-arrow-to="selector" on a field: ArrowDown moves to the first element matching it;
 * - data-arrow-list on a list: ArrowDown/ArrowUp move between its links, and from the ends back to
 *   the element whose id is in data-arrow-home;
 * - data-escape-clicks="selector" on a region: Escape inside it clicks that element of it. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-submit-on-change]") && field.form) field.form.submit();
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target.closest) return;
    if (event.key === "ArrowDown" && target.matches("[data-arrow-to]")) {
      var first = document.querySelector(target.getAttribute("data-arrow-to"));
      if (first) {
        event.preventDefault();
        first.focus();
      }
      return;
    }
    var list = target.closest("[data-arrow-list]");
    if (list && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      var links = Array.prototype.slice.call(list.querySelectorAll("a"));
      var next = links[links.indexOf(document.activeElement) + (event.key === "ArrowDown" ? 1 : -1)];
      event.preventDefault();
      (next || document.getElementById(list.getAttribute("data-arrow-home")) || target).focus();
    }
  });
  document.addEventListener("keyup", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var region = event.target.closest("[data-escape-clicks]");
    var button = region && region.querySelector(region.getAttribute("data-escape-clicks"));
    if (button) button.click();
  });
})();
