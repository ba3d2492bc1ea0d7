// The scorecard form (docs/quality.md "On the desk"): a live preview of the score as criteria are
// answered, with the server's formula — 100 × Σ(weight × value / max) / Σ(weight) over the criteria
// answered and not "N/A"; a critical criterion answered 0 ("No") scores the whole evaluation 0; no
// score when every answer is "N/A". A preview only: the server computes the score that is kept.
// On the dispute page the criteria show once "Overturn with a new scoring" is ticked.
(function () {
  "use strict";

  function chosen(fieldset) {
    var checked = fieldset.querySelector("input[type=radio]:checked");
    return checked ? checked.value : "";
  }

  // The preview of `form`: {score: number|null, criticalFailed: bool, unanswered: [titles]}.
  function preview(form) {
    var total = 0;
    var weights = 0;
    var criticalFailed = false;
    var answered = 0;
    var unanswered = [];
    form.querySelectorAll("[data-criterion]").forEach(function (fieldset) {
      var value = chosen(fieldset);
      if (value === "") {
        var legend = fieldset.querySelector("legend");
        unanswered.push(legend ? legend.firstChild.textContent.trim() : fieldset.dataset.key);
        return;
      }
      answered += 1;
      if (value === "na") return;
      var points = parseInt(value, 10);
      var max = parseInt(fieldset.dataset.max, 10) || 1;
      var weight = parseInt(fieldset.dataset.weight, 10) || 0;
      if (fieldset.hasAttribute("data-critical") && points === 0) criticalFailed = true;
      total += (weight * points) / max;
      weights += weight;
    });
    var score = null;
    if (criticalFailed) score = 0;
    else if (weights > 0) score = (100 * total) / weights;
    return { score: score, criticalFailed: criticalFailed, unanswered: unanswered, answered: answered };
  }

  function show(form) {
    var output = form.querySelector("#score-preview");
    var note = form.querySelector("#score-note");
    if (!output) return;
    var result = preview(form);
    output.textContent = result.score === null ? "—" : result.score.toFixed(0) + " %";
    output.classList.toggle("failed", result.criticalFailed);
    var notes = [];
    if (result.criticalFailed) notes.push(form.dataset.textCritical);
    else if (result.score === null && result.answered > 0) notes.push(form.dataset.textAllNa);
    if (result.unanswered.length) notes.push(form.dataset.textUnanswered + " " + result.unanswered.length);
    if (note) note.textContent = notes.join(" ");
    output.dataset.score = result.score === null ? "" : result.score.toFixed(2);
  }

  function toggleRescore(form) {
    var toggle = form.querySelector("[data-rescore-toggle]");
    var fields = form.querySelector("[data-rescore-fields]");
    if (!toggle || !fields) return;
    fields.hidden = !toggle.checked;
    if (toggle.checked) {
      var overturn = form.querySelector("input[name=decision][value=overturned]");
      if (overturn) overturn.checked = true;
    }
  }

  function start() {
    document.querySelectorAll("form[data-scorecard]").forEach(function (form) {
      form.addEventListener("change", function (event) {
        if (event.target.matches("[data-rescore-toggle]")) toggleRescore(form);
        show(form);
      });
      toggleRescore(form);
      show(form);
    });
  }

  window.SwitchboardScore = { preview: preview };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
