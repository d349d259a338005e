// Filters for the conflicts of an agentmerge HTML report: by kind and by severity.
// The state is kept in the address (#kind=policy,value&severity=high) so a filtered view can be shared.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { document.body.setAttribute("data-filters", "none"); return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("article.conflict"));
  var shown = document.getElementById("shown");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]"));

  function chosen(name) {
    var out = {};
    boxes.forEach(function (b) { if (b.name === name && b.checked) { out[b.value] = true; } });
    return out;
  }

  function apply() {
    var kinds = chosen("kind"), severities = chosen("severity"), n = 0;
    rows.forEach(function (row) {
      var visible = kinds[row.getAttribute("data-kind")] === true &&
                    severities[row.getAttribute("data-severity")] === true;
      row.hidden = !visible;
      if (visible) { n += 1; }
    });
    shown.textContent = n === rows.length ? rows.length + " conflict(s)"
                                          : "showing " + n + " of " + rows.length + " conflict(s)";
    document.body.setAttribute("data-shown", String(n));
  }

  function toHash() {
    var parts = [];
    ["kind", "severity"].forEach(function (name) {
      var all = boxes.filter(function (b) { return b.name === name; });
      var on = all.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      if (on.length !== all.length) { parts.push(name + "=" + on.map(encodeURIComponent).join(",")); }
    });
    var target = parts.length ? "#" + parts.join("&") : location.pathname + location.search;
    if (window.history && history.replaceState) { history.replaceState(null, "", target); }
  }

  function fromHash() {
    var hash = location.hash.replace(/^#/, "");
    if (!hash) { return; }
    hash.split("&").forEach(function (part) {
      var eq = part.indexOf("=");
      if (eq < 0) { return; }
      var name = part.slice(0, eq), values = {};
      part.slice(eq + 1).split(",").forEach(function (v) { if (v) { values[decodeURIComponent(v)] = true; } });
      if (name !== "kind" && name !== "severity") { return; }
      boxes.forEach(function (b) { if (b.name === name) { b.checked = values[b.value] === true; } });
    });
  }

  form.addEventListener("change", function () { apply(); toHash(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  fromHash();
  apply();
  document.body.setAttribute("data-filters", "ready");
}());
