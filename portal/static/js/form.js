// Progressive enhancement only: the form works without this script.
(function () {
  var area = document.getElementById("text");
  var out = document.getElementById("text-count");
  if (!area || !out) return;
  var max = parseInt(area.getAttribute("data-maxlength"), 10);
  var lang = document.documentElement.lang;
  function update() {
    var left = max - area.value.length;
    if (lang === "en") {
      out.textContent = left >= 0 ? left + " characters left." : (-left) + " characters too many.";
    } else {
      out.textContent = left >= 0 ? "Il reste " + left + " caractères." : (-left) + " caractères en trop.";
    }
    out.classList.toggle("error-message", left < 0);
  }
  var timer;
  area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 300); });
  update();
})();
