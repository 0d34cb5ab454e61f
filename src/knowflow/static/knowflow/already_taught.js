// "Already taught — here is the recording": ask the server while the proposer types.
// Without JavaScript the box's button opens the same answer as a page.
(function () {
  var box = document.getElementById("already-taught");
  if (!box) return;
  var form = box.closest("form");
  var results = document.getElementById("already-taught-results");
  var timer = null;
  function check() {
    var title = form.querySelector("[name=title]");
    var abstract = form.querySelector("[name=abstract]");
    if (!title || title.value.trim().length < 3) { results.innerHTML = ""; return; }
    var params = new URLSearchParams({ title: title.value, abstract: abstract ? abstract.value : "", fragment: "1" });
    fetch(box.dataset.url + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { results.innerHTML = html; });
  }
  form.addEventListener("input", function (event) {
    if (event.target.name !== "title" && event.target.name !== "abstract") return;
    clearTimeout(timer);
    timer = setTimeout(check, 600);
  });
  check();
})();
