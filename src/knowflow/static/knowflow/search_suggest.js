/* Suggestions while typing: no library, a plain fetch of /search/suggest/. */
(function () {
  var input = document.querySelector("input[data-suggest]"), list = document.getElementById("search-suggestions"), timer;
  if (!input || !window.fetch) return;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(input.value), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          list.textContent = "";
          data.words.concat(data.results.map(function (r) { return r.title; })).forEach(function (text) {
            var option = document.createElement("option"); option.value = text; list.appendChild(option);
          });
        });
    }, 120);
  });
})();
