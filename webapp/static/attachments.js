/* Attachments page, enhanced: each chosen file goes up on its own with a progress bar, and is sent
   again when the connection drops; then the form itself is submitted as without JavaScript (the
   files already stored), so nothing else the citizen chose is lost. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-enhance=upload]");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var vi = document.documentElement.lang !== "en";
  var TRIES = 5;

  function say(input, text, isError) {
    var id = input.id + "-js", p = document.getElementById(id);
    if (!p) {
      p = document.createElement("p");
      p.id = id;
      p.setAttribute("role", isError ? "alert" : "status");
      input.parentNode.insertBefore(p, input.nextSibling);
    }
    p.className = isError ? "field-error" : "hint";
    p.textContent = text;
  }

  function send(input, attempt, done) {
    var data = new FormData(), xhr = new XMLHttpRequest();
    var bar = input.parentNode.querySelector(".upload-progress");
    data.append("csrf_token", form.elements.csrf_token.value);
    data.append(input.name, input.files[0]);
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    if (bar) { bar.hidden = false; bar.value = 0; }
    xhr.upload.onprogress = function (e) {
      if (bar && e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
    };
    function retry() {
      if (attempt + 1 >= TRIES) {
        say(input, vi ? "Không gửi được tệp. Kiểm tra kết nối rồi bấm lại." :
                        "The file could not be sent. Check your connection and press again.", true);
        return done(false);
      }
      say(input, vi ? "Mất kết nối, đang gửi lại…" : "Connection lost, sending again…", false);
      setTimeout(function () { send(input, attempt + 1, done); }, 1000 * Math.pow(2, attempt));
    }
    xhr.onerror = retry;
    xhr.ontimeout = retry;
    xhr.onload = function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = {}; }
      if (xhr.status === 200) {
        if (bar) bar.value = 100;
        say(input, vi ? "Đã tải lên." : "Uploaded.", false);
        input.value = "";
        return done(true);
      }
      if (xhr.status === 422 && answer.errors) {
        var key = input.name.slice(5);
        say(input, (vi ? "Lỗi: " : "Error: ") + (answer.errors[key] || ""), true);
        input.setAttribute("aria-invalid", "true");
        return done(false);
      }
      if (xhr.status >= 500 || xhr.status === 0) return retry();
      return done(false);
    };
    xhr.send(data);
  }

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.name === "xoa") return;  /* removing a file: the plain form does it */
    var inputs = Array.prototype.filter.call(form.querySelectorAll("input[type=file]"), function (i) {
      return i.files && i.files.length;
    });
    if (!inputs.length) return;
    event.preventDefault();
    var left = inputs.length, failed = false;
    inputs.forEach(function (input) {
      send(input, 0, function (ok) {
        failed = failed || !ok;
        if (--left) return;
        if (failed) return;
        if (button && button.name) {
          var copy = document.createElement("input");
          copy.type = "hidden"; copy.name = button.name; copy.value = button.value;
          form.appendChild(copy);
        }
        form.submit();
      });
    });
  });
})();
