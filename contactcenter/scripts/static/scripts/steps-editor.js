// The step editor's "move up" and "move down" buttons: they swap a step row with its
// neighbour and renumber the position fields. Without JavaScript the position fields still work.
(function () {
  "use strict";
  function renumber(form) {
    form.querySelectorAll("[data-step-row] .step-order").forEach(function (input, index) {
      input.value = index + 1;
    });
  }
  function addButtons(form) {
    form.querySelectorAll("[data-step-row]").forEach(function (row) {
      var head = row.querySelector(".step-head");
      if (!head) return;
      var holder = document.createElement("span");
      holder.className = "step-moves";
      [["↑", -1, form.dataset.up], ["↓", 1, form.dataset.down]].forEach(function (spec) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = spec[0];
        button.title = spec[2] || "";
        button.setAttribute("aria-label", spec[2] || spec[0]);
        button.addEventListener("click", function () {
          var sibling = spec[1] < 0 ? row.previousElementSibling : row.nextElementSibling;
          if (!sibling || !sibling.hasAttribute("data-step-row")) return;
          if (spec[1] < 0) row.parentNode.insertBefore(row, sibling);
          else row.parentNode.insertBefore(sibling, row);
          renumber(form);
        });
        holder.appendChild(button);
      });
      head.appendChild(holder);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("script-editor");
    if (form) addButtons(form);
  });
})();
