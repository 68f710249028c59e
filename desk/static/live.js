// Live updates of the desk's pages (desk/live.go): the element with
// data-live names the stream; each update replaces the parts it names.
// A part with a state is kept while its state is the same, so what the
// counsellor is typing is not lost. Without this script (or without
// EventSource) the pages work the same, by reloading.
(function () {
  var root = document.querySelector("[data-live]");
  if (!root || !window.EventSource || !window.JSON) {
    return;
  }
  var es = new EventSource(root.getAttribute("data-live"));
  es.addEventListener("update", function (e) {
    var parts = JSON.parse(e.data);
    for (var id in parts) {
      if (!parts.hasOwnProperty(id)) {
        continue;
      }
      var el = document.getElementById(id);
      var p = parts[id];
      if (!el || (p.state && el.getAttribute("data-state") === p.state)) {
        continue;
      }
      el.innerHTML = p.html;
      if (p.state) {
        el.setAttribute("data-state", p.state);
      }
    }
    document.documentElement.setAttribute("data-live-updates", String(Number(document.documentElement.getAttribute("data-live-updates") || 0) + 1));
  });
  // The session ended: the reload shows the sign-in page.
  es.addEventListener("end", function () {
    es.close();
    window.location.reload();
  });
})();
