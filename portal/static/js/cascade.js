/*
 * The region cascade on /cek: each select loads the next one's options from
 * /wilayah/<kode>/opsi through htmx. htmx cannot put the chosen code into a path without eval
 * (switched off for the CSP), so this file does it in htmx:configRequest. It also empties the
 * levels below the one that changed and enables a select once its options arrived.
 * Without htmx (not loaded, or JavaScript off) it does nothing and the "Lanjut" buttons work.
 */
(function () {
  "use strict";
  if (!window.htmx) {
    return;
  }
  var SELECTS = "select[data-cascade-level]";
  document.documentElement.classList.add("cascade-htmx");

  function level(select) {
    return Number(select.getAttribute("data-cascade-level"));
  }

  function resetBelow(select) {
    document.querySelectorAll(SELECTS).forEach(function (other) {
      if (level(other) > level(select)) {
        while (other.options.length > 1) {
          other.remove(1);
        }
        other.value = "";
        other.disabled = true;
      }
    });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var select = event.detail.elt;
    if (!select.matches || !select.matches(SELECTS)) {
      return;
    }
    resetBelow(select);
    if (!select.value) {
      event.preventDefault();
      return;
    }
    event.detail.path = select.getAttribute("hx-get").replace("KODE", encodeURIComponent(select.value));
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.matches && target.matches(SELECTS)) {
      target.disabled = target.options.length < 2;
    }
  });
})();
