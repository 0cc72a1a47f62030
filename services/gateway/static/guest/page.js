// Once this browser is verified for the ticket, the link's token has no business in the
// address bar or the history: it is swapped for the bare page address.
(function () {
  "use strict";
  if (document.body.getAttribute("data-verified") === "true" && /(^|[?&])t=/.test(location.search.slice(1))) {
    history.replaceState(null, "", location.pathname + location.hash);
  }
  // The site's language switch: the choice is remembered (the `lang` cookie the other pages
  // read too) and the page is shown again at the same address, the link's token included.
  var languages = document.getElementById("lang-switch");
  if (languages) {
    languages.addEventListener("change", function () {
      document.cookie = "lang=" + encodeURIComponent(languages.value) + "; path=/; max-age=31536000; samesite=lax";
      var params = new URLSearchParams(location.search);
      params.delete("lang");
      var query = params.toString();
      location.replace(location.pathname + (query ? "?" + query : "") + location.hash);
    });
  }
  // A form sent once is not sent twice by an impatient second tap.
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
  });
})();
