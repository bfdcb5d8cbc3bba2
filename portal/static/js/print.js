// Progressive enhancement: a print button where scripts run; the browser's own print works anyway.
(function () {
  "use strict";
  var button = document.getElementById("print-page");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
