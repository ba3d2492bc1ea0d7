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
