/* sellm — progressive enhancement only; every page works without this file.
   Written for sellm (MIT). No dependencies. */
(function () {
  "use strict";

  // Facet and filter forms apply as soon as a choice changes (the Apply button stays for
  // keyboard and no-JS users); a data-live form catches the submission and updates in place.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.matches('input[type="checkbox"], input[type="radio"], select')) {
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    });
  });

  // Live search and in-place facet updates on a form marked data-live: the same URL a plain
  // submission would load is fetched whole (so the page cache only ever holds full pages),
  // and the elements marked data-live-region are swapped for their fresh copies. The address
  // bar follows, so the URL stays shareable and Back works; on any failure the browser simply
  // navigates to that URL, as it would without this code.
  var liveForm = document.querySelector("form[data-live]");
  if (liveForm && window.fetch && window.AbortController && window.DOMParser &&
      window.URLSearchParams && window.FormData && window.history && history.pushState) {
    enableLiveUpdates(liveForm);
  }

  function enableLiveUpdates(form) {
    var TYPING_DELAY_MS = 250;
    var status = document.createElement("p");  // one persistent live region for screen readers
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.parentNode.insertBefore(status, form);
    var controller = null;
    var typingTimer = null;
    var shown = location.pathname + location.search;  // what the regions show now

    function formUrl() {
      var url = new URL(form.action, location.href);
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string" && value.trim() !== "") { params.append(name, value); }
      });
      url.search = params.toString();
      return url;
    }

    // The focused control, if a swap is about to replace it, named so that its fresh copy can
    // take the focus back (a keyboard user ticking a facet keeps their place).
    function focusedKey() {
      var active = document.activeElement;
      var region = active && active.closest && active.closest("[data-live-region]");
      if (!region) { return null; }
      return { region: region.id, id: active.id, name: active.name, value: active.value };
    }

    function restoreFocus(key) {
      if (!key) { return; }
      var target = key.id ? document.getElementById(key.id) : null;
      var region = document.getElementById(key.region);
      if (!target && region && key.name) {
        target = region.querySelector('[name="' + CSS.escape(key.name) + '"][value="' +
                                      CSS.escape(key.value || "") + '"]');
      }
      if (target) { target.focus({ preventScroll: true }); }
    }

    function swapRegions(fresh) {
      var pairs = [];
      var current = document.querySelectorAll("[data-live-region][id]");
      for (var i = 0; i < current.length; i++) {
        var replacement = fresh.getElementById(current[i].id);
        if (!replacement || !replacement.hasAttribute("data-live-region")) { return false; }
        pairs.push([current[i], replacement]);
      }
      if (!pairs.length) { return false; }
      var key = focusedKey();
      pairs.forEach(function (pair) { pair[0].replaceWith(document.adoptNode(pair[1])); });
      restoreFocus(key);
      return true;
    }

    // After Back or Forward the controls outside the regions (the search box) must show what
    // the URL says, as they would on a fresh load.
    function syncControls(fresh) {
      Array.prototype.forEach.call(form.elements, function (control) {
        if (!control.id || control.closest("[data-live-region]")) { return; }
        var source = fresh.getElementById(control.id);
        if (source && "value" in source && control.value !== source.value) {
          control.value = source.value;
        }
      });
    }

    function announce() {
      var count = document.querySelector("[data-live-count]");
      status.textContent = count ? count.textContent.replace(/\s+/g, " ").trim() : "";
    }

    // mode: "push" (a new history entry), "typing" (one entry per burst of typing, replaced
    // while the reader keeps typing) or "restore" (Back/Forward: history is already right).
    function update(url, mode) {
      if (controller) { controller.abort(); }
      var ownController = controller = new AbortController();
      form.setAttribute("aria-busy", "true");
      fetch(url.href, {
        signal: ownController.signal,
        credentials: "same-origin",
        headers: { Accept: "text/html" }
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("text/html") !== 0) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      }).then(function (html) {
        if (ownController.signal.aborted) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        if (!swapRegions(fresh)) { throw new Error("the response lacks the live regions"); }
        if (mode === "restore") { syncControls(fresh); }
        if (fresh.title) { document.title = fresh.title; }
        var state = { sellmLive: true, typing: mode === "typing" };
        if (mode === "push" || (mode === "typing" && !(history.state && history.state.typing))) {
          history.pushState(state, "", url.href);
        } else if (mode === "typing") {
          history.replaceState(state, "", url.href);
        }
        shown = url.pathname + url.search;
        form.removeAttribute("aria-busy");
        announce();
      }).catch(function () {
        if (ownController.signal.aborted) { return; }  // a newer request took over
        if (mode === "restore") { location.replace(url.href); } else { location.assign(url.href); }
      });
    }

    function updateIfChanged(mode) {
      clearTimeout(typingTimer);
      var url = formUrl();
      if (url.pathname + url.search !== shown) { update(url, mode); }
    }

    // Facet changes reach here too: the autosubmit handler above calls requestSubmit().
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      updateIfChanged("push");
    });

    form.addEventListener("input", function (event) {
      if (!event.target.matches('input[type="search"], input[type="text"]')) { return; }
      clearTimeout(typingTimer);
      var length = event.target.value.trim().length;
      if (length === 1) { return; }  // one letter matches nearly everything: wait for more
      typingTimer = setTimeout(function () { updateIfChanged("typing"); }, TYPING_DELAY_MS);
    });

    window.addEventListener("popstate", function () {
      // Hash-only moves (skip links) keep the same results.
      if (location.pathname + location.search === shown) { return; }
      update(new URL(location.href), "restore");
    });
  }

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
