/* Small progressive enhancement: the shortest public-comment window the procedure's guard enforces (its days and
   article come from the pack, in data-min-days and data-short), checked as the official types.
   The server checks it again; this only warns early. */
(function () {
  "use strict";
  function check(form) {
    var opens = form.querySelector("[name$='-opens_at']");
    var closes = form.querySelector("[name$='-closes_at']");
    var reason = form.querySelector("[name$='-short_reason']");
    var out = form.querySelector("[data-window-check]");
    if (!opens || !closes || !out) { return; }
    if (!opens.value || !closes.value) { out.textContent = ""; out.className = "hint"; return; }
    var a = new Date(opens.value), b = new Date(closes.value);
    var minimum = parseInt(out.getAttribute("data-min-days") || "0", 10);
    var earliest = new Date(a.getTime()); earliest.setDate(earliest.getDate() + minimum);
    var days = Math.floor((b - a) / 86400000);
    if (minimum > 0 && b < earliest && !(reason && reason.value.trim())) {
      out.textContent = out.getAttribute("data-short").replace("%d", String(days));
      out.className = "hint warn";
    } else {
      out.textContent = out.getAttribute("data-ok").replace("%d", String(days));
      out.className = "hint";
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-comment-window]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("input", function () { check(form); });
      form.addEventListener("change", function () { check(form); });
      check(form);
    });
  });
})();
