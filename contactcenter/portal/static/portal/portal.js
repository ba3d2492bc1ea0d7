// The customer portal's only script (the Content-Security-Policy allows no inline script): the
// language menu applies the language chosen at once; its button stays for keyboards and for
// browsers without scripts.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-submit-on-change]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
});
