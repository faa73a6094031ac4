// Progressive enhancement for the duty console: every page works without this file.
// - filter forms submit on change; - the incident queue refreshes itself; - risky actions confirm.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function () { form.submit(); });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    var text = form.getAttribute("data-confirm");
    if (!text) return;
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(text)) ev.preventDefault();
    });
  });

  // avoid double submissions on slow phone connections
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (ev.defaultPrevented) return;
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });

  var list = document.getElementById("incident-list");
  if (!list) return;
  var url = list.getAttribute("data-refresh");
  var seconds = parseInt(list.getAttribute("data-interval"), 10) || 30;
  var status = document.querySelector("[data-live-status]");
  var baseTitle = document.title;
  function ids() {
    return Array.prototype.map.call(list.querySelectorAll("[data-id]"), function (el) { return el.getAttribute("data-id"); });
  }
  function setTitle() {
    // the list carries the counts: keep the tab badges and the window title in step with it
    var c = list.querySelector(".incident-counts");
    if (!c) return;
    var n = { open: +c.getAttribute("data-open"), acknowledged: +c.getAttribute("data-acknowledged"),
              resolved: +c.getAttribute("data-resolved") };
    n.active = n.open + n.acknowledged;
    Object.keys(n).forEach(function (key) {
      var badge = document.querySelector('.tabs [data-tab="' + key + '"] .count');
      if (badge) badge.textContent = n[key];
    });
    document.title = (n.open > 0 ? "(" + n.open + ") " : "") + baseTitle;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function refresh() {
    if (document.hidden) return;
    var before = ids();
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (resp) {
        if (resp.status === 401) { window.location.reload(); return null; }
        if (!resp.ok) throw new Error("HTTP " + resp.status);
        return resp.text();
      })
      .then(function (html) {
        if (html === null) return;
        list.innerHTML = html;
        ids().forEach(function (id) {
          if (before.indexOf(id) < 0) {
            var el = list.querySelector('[data-id="' + id + '"]');
            if (el) el.classList.add("fresh");
          }
        });
        setTitle();
        var d = new Date();
        if (status) status.textContent = "已更新 " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + " · 每 " + seconds + " 秒刷新";
        if (status) status.classList.remove("stale");
      })
      .catch(function () {
        if (status) { status.textContent = "刷新失败，稍后重试"; status.classList.add("stale"); }
      });
  }
  setTitle();
  setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
