// The copy buttons of the patientsfhir operator portal: a button with
// data-copy="<element id>" copies that element's text and says so in the
// element named by data-status. Without this script the buttons stay hidden
// and the secret is selected with one click (user-select: all).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
  });
});
document.addEventListener("click", function (ev) {
  var b = ev.target.closest("button[data-copy]");
  if (!b) {
    return;
  }
  var src = document.getElementById(b.getAttribute("data-copy"));
  var status = document.getElementById(b.getAttribute("data-status"));
  var say = function (msg) {
    if (status) {
      status.textContent = msg;
    }
  };
  var select = function () {
    var range = document.createRange();
    range.selectNodeContents(src);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    say("Selected: press Ctrl+C (or ⌘C) to copy.");
  };
  if (!src) {
    return;
  }
  if (!navigator.clipboard) {
    select();
    return;
  }
  navigator.clipboard.writeText(src.textContent.trim()).then(function () {
    say("Copied to the clipboard.");
  }, select);
});
