// The company sign-in link tells Knowflow the browser's time zone, so that a person signing in
// for the first time sees times in their own zone when their company account does not say it.
// Without JavaScript the link works as it is, and the office's zone (else UTC) is used.
(function () {
  "use strict";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    zone = "";
  }
  if (!zone) {
    return;
  }
  document.querySelectorAll("a[data-browser-zone]").forEach(function (link) {
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("browser_tz", zone);
    link.href = url.toString();
  });
})();
