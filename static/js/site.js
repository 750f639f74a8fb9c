/* sellm — progressive enhancement only; every page works without this file.
   Written for sellm (MIT). No dependencies. */
(function () {
  "use strict";

  // Facet and filter forms apply as soon as a choice changes (the Apply button stays for
  // keyboard and no-JS users).
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.matches('input[type="checkbox"], input[type="radio"], select')) {
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    });
  });

  // "Copy BibTeX" buttons: hidden without JavaScript, where the text is simply selectable.
  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source || !navigator.clipboard) { return; }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        button.textContent = "Select the text to copy";
      });
    });
  });

  // On narrow screens the filter panel starts folded so that results come first.
  if (window.matchMedia && window.matchMedia("(max-width: 56rem)").matches) {
    document.querySelectorAll("details.facets-toggle").forEach(function (details) {
      if (!details.querySelector("input:checked:not([value=''])")) { details.open = false; }
    });
  }
})();
