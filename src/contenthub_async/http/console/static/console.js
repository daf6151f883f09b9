// ContentHub console: times in the browser's zone, live parts re-read every few seconds,
// confirmations, bulk selection count. Plain JS, no library, nothing from another host.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  var formats = {
    datetime: { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" },
    time: { hour: "2-digit", minute: "2-digit", second: "2-digit" },
    hm: { hour: "2-digit", minute: "2-digit" },
    hour: { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" },
    day: { month: "2-digit", day: "2-digit", weekday: "short" }
  };
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }

  function formatTime(el) {
    var iso = el.getAttribute("datetime") || el.getAttribute("data-time");
    var when = new Date(iso);
    if (!iso || isNaN(when.getTime())) { return; }
    var options = formats[el.getAttribute("data-format")] || formats.datetime;
    var text = new Intl.DateTimeFormat(lang, options).format(when);
    if (el.tagName.toLowerCase() === "title") {
      el.textContent = text + (el.getAttribute("data-suffix") || "");
    } else {
      el.textContent = text;
      if (el.tagName.toLowerCase() === "time") { el.setAttribute("title", iso + (zone ? " · " + zone : "")); }
    }
  }

  function formatAll(root) {
    var found = root.querySelectorAll("time[datetime], [data-time]");
    for (var i = 0; i < found.length; i++) { formatTime(found[i]); }
  }

  function live(box) {
    var url = box.getAttribute("data-live");
    var every = parseInt(box.getAttribute("data-interval"), 10) || 3000;
    var busy = false;
    var last = null;
    function tick() {
      if (busy || document.hidden) { return; }
      var active = document.activeElement;
      if (active && active !== document.body && box.contains(active) && active.matches("input, select, textarea")) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok || response.redirected) { throw new Error("HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          if (html !== last) {
            last = html;
            box.innerHTML = html;
            formatAll(box);
          }
          box.setAttribute("data-refreshed", String(Date.now()));
          box.classList.remove("stale");
        })
        .catch(function () { box.classList.add("stale"); })
        .then(function () { busy = false; });
    }
    setInterval(tick, every);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { tick(); } });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  function countSelected() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) { return; }
    if (!label.hasAttribute("data-base")) { label.setAttribute("data-base", label.textContent); }
    var n = document.querySelectorAll("input[name=task_id][form=bulk]:checked").length;
    label.textContent = label.getAttribute("data-base") + " " + n;
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[name=task_id]")) { countSelected(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    formatAll(document);
    countSelected();
    var boxes = document.querySelectorAll("[data-live]");
    for (var i = 0; i < boxes.length; i++) { live(boxes[i]); }
  });
})();
