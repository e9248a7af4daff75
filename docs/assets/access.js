// Keyboard and screen-reader access the theme leaves out (checked with axe-core in
// tests/test_site_browser.py). Without JavaScript there is nothing to fix: the theme's search
// dialog and its scrolling table boxes are made by its own script.
(function () {
  "use strict";

  function heading(element) {
    for (var node = element; node; node = node.previousElementSibling || node.parentElement) {
      if (/^H[1-6]$/.test(node.tagName)) {
        return node.textContent.replace(/¶/g, "").trim();
      }
      if (node.classList && node.classList.contains("md-content")) {
        break;
      }
    }
    return document.title;
  }

  function fix() {
    // the search dialog: a dialog needs a name
    document.querySelectorAll(".md-search[role=dialog]:not([aria-label])").forEach(function (dialog) {
      dialog.setAttribute("aria-label", "Search");
    });
    // a table box that scrolls sideways must take focus, so that the arrow keys scroll it
    // (named after the heading above it, numbered when two share one: landmarks need unique names)
    var used = {};
    document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      if (wide && !box.hasAttribute("tabindex")) {
        var name = "Table: " + heading(box) + " (scrolls sideways)";
        used[name] = (used[name] || 0) + 1;
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", used[name] > 1 ? name + " " + used[name] : name);
      } else if (!wide && box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fix);
  } else {
    fix();
  }
  window.addEventListener("load", fix);
  window.addEventListener("resize", fix);
})();
