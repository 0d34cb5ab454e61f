/* Pickers: a text field marked data-picker becomes a WAI-ARIA combobox (list autocomplete).
 *
 * Without this script the field is a plain text box of comma-separated names that the
 * server resolves. With it, typing asks /pick/<kind>/?q= for names, the list opens below,
 * ArrowDown/ArrowUp move through it (aria-activedescendant: focus stays in the box), Enter
 * or a click chooses, Escape closes (or clears the box when closed), Backspace in an empty
 * box removes the last choice. Choices are chips, each with a "Remove <name>" button; a
 * polite live region says how many matched and what was added or removed. The form still
 * submits one text field: the chips' values (slugs) plus anything left typed, so the server
 * decides exactly as it does without JavaScript.
 */
(function () {
  "use strict";
  if (!window.fetch || !document.querySelectorAll) return;
  var counter = 0;

  function entries(text) {
    return text.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function enhance(field) {
    var multiple = field.dataset.pickerMultiple !== "false";
    var url = field.dataset.pickerUrl;
    var id = field.id || ("picker-" + (++counter));
    var label = document.querySelector('label[for="' + id + '"]');
    var name = label ? label.textContent.replace(/[:*]\s*$/, "").trim() : field.name;
    var n = ++counter;

    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = field.name;

    var box = document.createElement("div");
    box.className = "picker";
    var chips = document.createElement("ul");
    chips.className = "picker-chips";
    chips.setAttribute("aria-label", "Chosen: " + name);
    var input = document.createElement("input");
    input.type = "text";
    input.id = id;
    input.className = "picker-input";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    ["aria-describedby", "aria-invalid", "required"].forEach(function (attr) {
      if (field.hasAttribute(attr)) input.setAttribute(attr, field.getAttribute(attr));
    });
    var list = document.createElement("ul");
    list.id = "picker-list-" + n;
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", name);
    list.hidden = true;
    input.setAttribute("aria-controls", list.id);
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");

    var chosen = [];  // [{value, label}]
    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function sync() {
      var values = chosen.map(function (c) { return c.value; });
      var typed = input.value.trim();
      if (typed) values.push(typed);
      hidden.value = values.join(", ");
      input.required = field.required && chosen.length === 0;
    }

    function say(text) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 30);
    }

    function renderChips() {
      chips.textContent = "";
      chosen.forEach(function (choice, index) {
        var li = document.createElement("li");
        li.className = "picker-chip";
        var text = document.createElement("span");
        text.textContent = choice.label;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "picker-remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", "Remove " + choice.label);
        remove.addEventListener("click", function () {
          chosen.splice(index, 1);
          renderChips();
          sync();
          say(choice.label + " removed.");
          input.focus();
        });
        li.appendChild(text);
        li.appendChild(remove);
        chips.appendChild(li);
      });
      chips.hidden = chosen.length === 0;
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.children;
      if (active >= 0 && items[active]) items[active].setAttribute("aria-selected", "false");
      active = index;
      if (active >= 0 && items[active]) {
        items[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", items[active].id);
        items[active].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var option = options[index];
      if (!option) return;
      var taken = chosen.some(function (c) { return c.value === option.value; });
      if (!multiple) chosen = [];
      if (!taken || !multiple) chosen.push({value: option.value, label: option.label});
      input.value = "";
      close();
      renderChips();
      sync();
      say(taken && multiple ? option.label + " is already chosen." : option.label + " added.");
    }

    function show(results, text) {
      options = results;
      list.textContent = "";
      active = -1;
      results.forEach(function (option, index) {
        var li = document.createElement("li");
        li.id = list.id + "-" + index;
        li.className = "picker-option";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var initials = document.createElement("span");
        initials.className = "picker-initials";
        initials.setAttribute("aria-hidden", "true");
        initials.textContent = option.initials;
        var main = document.createElement("span");
        main.className = "picker-label";
        main.textContent = option.label;
        li.appendChild(initials);
        li.appendChild(main);
        // The name a screen reader gives the option, spelled out: computed from the spans,
        // the layout would put a space before the comma and read out the initials.
        li.setAttribute("aria-label", option.detail ? option.label + ", " + option.detail : option.label);
        if (option.detail) {
          var detail = document.createElement("span");
          detail.className = "picker-detail";
          detail.textContent = option.detail;
          li.appendChild(detail);
        }
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("click", function () { choose(index); input.focus(); });
        list.appendChild(li);
      });
      if (results.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        say(results.length + (results.length === 1 ? " match" : " matches") +
            ". Use the down arrow to choose.");
      } else {
        close();
        say("No match for " + text + ".");
      }
    }

    function ask() {
      var text = input.value.trim();
      var mine = ++asked;
      if (!text) { close(); return; }
      fetch(url + "?q=" + encodeURIComponent(text), {credentials: "same-origin",
        headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {results: []}; })
        .then(function (data) { if (mine === asked) show(data.results || [], text); })
        .catch(function () { if (mine === asked) close(); });
    }

    input.addEventListener("input", function () {
      sync();
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && options.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { ask(); return; }
        highlight(active + 1 < options.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        highlight(active > 0 ? active - 1 : options.length - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); }
        else if (input.value) { event.preventDefault(); input.value = ""; sync(); }
      } else if (event.key === "Backspace" && !input.value && chosen.length) {
        var gone = chosen.pop();
        renderChips();
        sync();
        say(gone.label + " removed.");
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });

    // What the server rendered (names, or slugs for namesakes) becomes the first chips.
    entries(field.value).forEach(function (text) { chosen.push({value: text, label: text}); });

    field.removeAttribute("id");
    box.appendChild(chips);
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(status);
    box.appendChild(hidden);
    field.parentNode.replaceChild(box, field);
    renderChips();
    sync();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-picker]"), enhance);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
