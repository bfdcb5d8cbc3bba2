// Progressive enhancement only: every form works without this script.
(function () {
  "use strict";

  // Error summary: move focus to it so screen readers announce it, and make its links
  // focus the field itself (scrolled so its label or legend stays in view).
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (!input) return;
      event.preventDefault();
      var legend = input.closest("fieldset") && input.closest("fieldset").querySelector("legend");
      var label = document.querySelector("label[for='" + input.id + "']");
      var anchor = (input.type === "radio" || input.type === "checkbox") && legend ? legend : label || input;
      anchor.scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }

  // Character counter: the visible count follows every keystroke; screen readers hear it
  // once the person pauses, not on each character.
  var area = document.getElementById("text");
  var out = document.getElementById("text-count");
  if (!area || !out || !area.hasAttribute("data-maxlength")) return;
  var max = parseInt(area.getAttribute("data-maxlength"), 10);
  var leftText = area.getAttribute("data-count-left");
  var overText = area.getAttribute("data-count-over");
  var live = document.createElement("p");
  live.className = "visually-hidden";
  live.id = "text-count-live";
  live.setAttribute("aria-live", "polite");
  out.parentNode.insertBefore(live, out.nextSibling);

  function message() {
    var left = max - area.value.length;
    return { over: left < 0, text: (left >= 0 ? leftText : overText).replace("{n}", String(Math.abs(left))) };
  }
  function show() {
    var m = message();
    out.textContent = m.text;
    out.classList.toggle("counter-over", m.over);
    area.classList.toggle("input-error", m.over || area.classList.contains("input-error-server"));
  }
  if (area.classList.contains("input-error")) area.classList.add("input-error-server");
  var timer;
  area.addEventListener("input", function () {
    show();
    clearTimeout(timer);
    timer = setTimeout(function () { live.textContent = message().text; }, 1000);
  });
  show();
})();
