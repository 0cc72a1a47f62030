// Once this browser is verified for the ticket, the link's token has no business in the
// address bar or the history: it is swapped for the bare page address.
(function () {
  "use strict";
  if (document.body.getAttribute("data-verified") === "true" && /(^|[?&])t=/.test(location.search.slice(1))) {
    history.replaceState(null, "", location.pathname + location.hash);
  }
  // A form sent once is not sent twice by an impatient second tap.
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
  });
})();
