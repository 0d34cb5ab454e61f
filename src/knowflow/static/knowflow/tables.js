// Tables become cards on a phone (site.css, under 600 px): each cell needs the label of its
// column. Templates may write data-label themselves; this fills in the rest from the table's
// header so that every table gets the card form, and marks the table "cards". Tables marked
// "keep" (grids read across, like a heat map) are left as they are and scroll in their box.
(function () {
  "use strict";
  document.querySelectorAll("table:not(.keep)").forEach(function (table) {
    var headRow = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!headRow) { return; }
    var labels = [];
    Array.prototype.forEach.call(headRow.cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i += 1) { labels.push(cell.textContent.trim()); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.tagName === "TD" && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", labels[column] || "");
          }
          column += cell.colSpan || 1;
        });
      });
    });
    table.classList.add("cards");
  });
})();
