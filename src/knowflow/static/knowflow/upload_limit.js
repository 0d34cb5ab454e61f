/* Say a file is too large when it is chosen, before the browser spends minutes sending it.
   The server refuses it anyway (before reading it); this only spares the wait, and the broken
   connection a browser may show when the server answers before the upload has finished. */
(function () {
  function inWords(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"], size = bytes, unit = 0;
    while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit += 1; }
    return unit === 0 ? bytes + " bytes" : size.toFixed(1) + " " + units[unit];
  }
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var limit = Number(input.dataset.maxBytes), message = "";
      Array.prototype.forEach.call(input.files, function (file) {
        if (!message && file.size > limit) {
          message = "This file is " + inWords(file.size) + "; files may be at most " +
            input.dataset.limit + ". Choose a smaller file (or link to it).";
        }
      });
      input.setCustomValidity(message);
      if (message) input.reportValidity();
    });
  });
})();
