/* The "Cite this" box: the listed styles become tabs (ARIA tabs pattern: arrow keys, Home,
   End), the chosen style is remembered in localStorage, and Copy puts the plain text and
   the HTML on the clipboard. Without this script every style stays listed. */
(function () {
  "use strict";

  var STORAGE_KEY = "catalogue.citeStyle";
  var STATUS_SECONDS = 6;

  function remembered() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch (error) {
      return null; // storage disabled or blocked: nothing remembered
    }
  }

  function remember(style) {
    try {
      window.localStorage.setItem(STORAGE_KEY, style);
    } catch (error) {
      // Private mode or a full quota: the choice lasts for this page only.
    }
  }

  function copyBySelection(text) {
    var area = document.createElement("textarea");
    var active = document.activeElement;
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.left = "0";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    if (active && active.focus) {
      active.focus();
    }
    return copied;
  }

  // Resolves when the text (and, where the browser can, the HTML flavour) is on the clipboard.
  function copy(text, html) {
    var clipboard = navigator.clipboard;
    var attempt;
    try {
      if (!html || !clipboard || !clipboard.write || typeof window.ClipboardItem !== "function") {
        throw new Error("no rich clipboard");
      }
      attempt = clipboard.write([
        new window.ClipboardItem({
          "text/plain": new Blob([text], { type: "text/plain" }),
          "text/html": new Blob([html], { type: "text/html" }),
        }),
      ]);
    } catch (error) {
      attempt = Promise.reject(error);
    }
    return attempt
      .catch(function () {
        if (clipboard && clipboard.writeText) {
          return clipboard.writeText(text);
        }
        throw new Error("no clipboard");
      })
      .catch(function () {
        if (!copyBySelection(text)) {
          throw new Error("copy failed");
        }
      });
  }

  function setUp(box) {
    var tablist = box.querySelector("[data-cite-tablist]");
    var status = box.querySelector("[data-cite-status]");
    if (!tablist) {
      return;
    }
    var tabs = Array.prototype.slice.call(tablist.querySelectorAll('[role="tab"]'));
    var panels = tabs.map(function (tab) {
      return document.getElementById(tab.getAttribute("aria-controls"));
    });
    var statusTimer = null;

    function announce(message) {
      window.clearTimeout(statusTimer);
      status.textContent = "";
      // A fresh text node after a tick makes screen readers announce a repeated message.
      window.setTimeout(function () {
        status.textContent = message;
        statusTimer = window.setTimeout(function () {
          status.textContent = "";
        }, STATUS_SECONDS * 1000);
      }, 50);
    }

    function select(index, options) {
      tabs.forEach(function (tab, position) {
        var selected = position === index;
        tab.setAttribute("aria-selected", selected ? "true" : "false");
        tab.tabIndex = selected ? 0 : -1;
        panels[position].hidden = !selected;
      });
      if (options.focus) {
        tabs[index].focus();
      }
      if (options.store) {
        remember(tabs[index].getAttribute("data-style"));
      }
    }

    function indexOf(style) {
      for (var position = 0; position < tabs.length; position += 1) {
        if (tabs[position].getAttribute("data-style") === style) {
          return position;
        }
      }
      return -1;
    }

    panels.forEach(function (panel, position) {
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tabs[position].id);
    });
    box.classList.add("cite-box--tabs");
    tablist.hidden = false;

    tablist.addEventListener("click", function (event) {
      var tab = event.target.closest('[role="tab"]');
      if (tab) {
        select(tabs.indexOf(tab), { focus: true, store: true });
      }
    });

    tablist.addEventListener("keydown", function (event) {
      var current = tabs.indexOf(document.activeElement);
      if (current < 0) {
        return;
      }
      var next = null;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") {
        next = (current + 1) % tabs.length;
      } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
        next = (current - 1 + tabs.length) % tabs.length;
      } else if (event.key === "Home") {
        next = 0;
      } else if (event.key === "End") {
        next = tabs.length - 1;
      }
      if (next !== null) {
        event.preventDefault();
        select(next, { focus: true, store: true });
      }
    });

    panels.forEach(function (panel) {
      var button = panel.querySelector("[data-cite-copy]");
      if (!button) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = panel.getAttribute("data-cite-text");
        var rich = panel.querySelector("[data-cite-html]");
        copy(text, rich ? rich.innerHTML : null).then(
          function () {
            announce("Copied " + panel.getAttribute("data-label") + " to the clipboard.");
          },
          function () {
            announce("Could not copy: select the text and copy it with your keyboard.");
          }
        );
      });
    });

    var initial = indexOf(remembered());
    if (initial < 0) {
      initial = indexOf(box.getAttribute("data-default-style"));
    }
    select(initial < 0 ? 0 : initial, { focus: false, store: false });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-cite-box]"), setUp);
})();
