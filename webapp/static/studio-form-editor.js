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
  form.addEventListener("input", later);
  form.addEventListener("change", later);
}());
