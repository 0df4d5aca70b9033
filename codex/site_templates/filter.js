(function () {
  var keys = ["language", "severity", "stage"];
  var rows = Array.prototype.slice.call(document.querySelectorAll("#rules tbody tr"));
  var text = document.getElementById("filter-text");
  function read() {
    var params = new URLSearchParams(location.hash.slice(1));
    keys.forEach(function (key) { if (params.has(key)) document.getElementById("filter-" + key).value = params.get(key); });
    if (params.has("q")) text.value = params.get("q");
  }
  function apply() {
    var shown = 0, params = new URLSearchParams();
    var wanted = {};
    keys.forEach(function (key) { wanted[key] = document.getElementById("filter-" + key).value; if (wanted[key]) params.set(key, wanted[key]); });
    var q = text.value.trim().toLowerCase();
    if (q) params.set("q", q);
    rows.forEach(function (row) {
      var ok = (!wanted.language || row.dataset.languages.split(" ").indexOf(wanted.language) >= 0)
        && (!wanted.severity || row.dataset.severity === wanted.severity)
        && (!wanted.stage || row.dataset.stage === wanted.stage)
        && (!q || row.textContent.toLowerCase().indexOf(q) >= 0);
      row.hidden = !ok;
      if (ok) shown++;
    });
    document.getElementById("count").textContent = shown + " of " + rows.length + " rules";
    var hash = params.toString();
    if (hash !== location.hash.slice(1)) history.replaceState(null, "", hash ? "#" + hash : location.pathname);
  }
  read();
  keys.forEach(function (key) { document.getElementById("filter-" + key).addEventListener("change", apply); });
  text.addEventListener("input", apply);
  window.addEventListener("hashchange", function () { read(); apply(); });
  apply();
})();
