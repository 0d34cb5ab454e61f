// The API docs page, fixing what axe finds in Swagger UI's drawing. Swagger UI draws its title as <h1> and each group of operations as <h3>,
// so a screen reader's outline skips a level (axe: heading-order). Every heading below the
// title is announced one level up; the observer repeats it as Swagger draws more (expanding an
// operation adds its "Parameters" and "Responses" headings).
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  if (!root) return;
  function relevel() {
    root.querySelectorAll("h3, h4, h5, h6").forEach(function (heading) {
      const level = String(Number(heading.tagName.charAt(1)) - 1);
      if (heading.getAttribute("aria-level") !== level) heading.setAttribute("aria-level", level);
    });
    // "Try it out" shows the request body in a textarea with no label.
    root.querySelectorAll("textarea.body-param__text:not([aria-label])").forEach(function (box) {
      box.setAttribute("aria-label", "Request body (JSON)");
    });
    // Each expanded operation's responses table is a live region; unnamed, they cannot be told
    // apart (axe: landmark-unique). Each takes the name of its operation.
    root.querySelectorAll("table.responses-table[role=region]:not([aria-label])").forEach(function (table) {
      const operation = table.closest(".opblock");
      const method = operation && operation.querySelector(".opblock-summary-method");
      const path = operation && operation.querySelector(".opblock-summary-path");
      const name = method && path ? method.textContent + " " + path.textContent : table.id;
      table.setAttribute("aria-label", "Responses of " + name);
    });
  }
  new MutationObserver(relevel).observe(root, { childList: true, subtree: true });
  relevel();
})();
