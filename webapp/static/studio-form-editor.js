// Progressive enhancement for the studio's form editor: refresh the server-rendered preview while the
// designer types. Without this script the "Xem trước" (Preview) button does the same with a round trip.
(function () {
  "use strict";
  var form = document.getElementById("form-editor");
  var target = document.getElementById("xem-truoc");
  if (!form || !target || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var latest = 0;
  function refresh() {
    var ticket = ++latest;
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null && ticket === latest) { target.innerHTML = html; } })
      .catch(function () { /* the Preview button still works */ });
  }
  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, 500);
  }
  // The options box matters only for a choice field: hide it for the other types (shown without JS).
  function showOptions() {
    var boxes = form.querySelectorAll("[data-only-for-kind]");
    for (var i = 0; i < boxes.length; i++) {
      var kind = document.getElementById(boxes[i].getAttribute("data-only-for-kind"));
      boxes[i].hidden = !!kind && kind.value !== "select";
    }
  }
  form.addEventListener("input", later);
  form.addEventListener("change", function () { showOptions(); later(); });
  showOptions();
}());
