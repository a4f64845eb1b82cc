/*
 * The receipt's "print" button: shown only when JavaScript runs (it is `hidden` in the HTML,
 * since without a script it could do nothing); the browser's own print command works anyway.
 */
(function () {
  "use strict";
  document.querySelectorAll("[data-cetak]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
