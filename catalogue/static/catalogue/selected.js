/* Selected records in place, and each search result's Cite dialog.
 *
 * Without this script everything still works: each Select checkbox and button posts through
 * the header's form (#selected-form, which holds the visitor's CSRF token) and the server
 * redirects back; Cite is a link to the record page's Cite box. Here:
 * - a checkbox posts its change at once (Accept: application/json) and the header's count
 *   follows; the checkboxes of a (cached, shared) search page are marked from /selected/ids/,
 *   again after search.js swaps the results in;
 * - "Select all on this page" becomes a checkbox over the page's results;
 * - the record page's Select button and the list's Remove buttons change in place;
 * - /selected/'s Copy as text and Copy as HTML fetch the bibliography in the chosen style;
 * - Cite opens the record's Cite box (/articles/<id>/cite/?box=1) in a <dialog>, set up by
 *   cite.js (loaded the first time).
 */
(function () {
  "use strict";

  // The header's form (on pages with lists; the record page's Select button is its own form).
  var form = document.getElementById("selected-form");
  var config = document.body.dataset;
  if (!config.selectedUrl || typeof window.fetch !== "function") {
    return;
  }
  document.documentElement.classList.add("selected-js");

  var selected = null; // a Set of ids once known
  var changes = 0; // changes answered so far (a state read before one is older)
  var pending = {}; // id -> changes of it not yet answered
  var asked = null; // the /selected/ids/ request under way
  var liveRegion = null;
  var statusTimer = null;

  function token() {
    // Any form's token: every token of a page is good for the visitor's CSRF cookie.
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function announce(message, target) {
    if (!target) {
      if (!liveRegion) {
        liveRegion = document.createElement("p");
        liveRegion.className = "visually-hidden";
        liveRegion.setAttribute("role", "status");
        liveRegion.setAttribute("data-selected-live", "");
        document.body.appendChild(liveRegion);
      }
      target = liveRegion;
    }
    window.clearTimeout(statusTimer);
    target.textContent = "";
    // A fresh text node after a tick makes screen readers announce a repeated message.
    window.setTimeout(function () {
      target.textContent = message;
    }, 50);
  }

  function showCount(count) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-selected-count]"), function (node) {
      node.textContent = String(count);
    });
  }

  // Changes go one after another: the server reads and writes the whole session per request,
  // so two at once (quick ticks) would each save their own copy and one would be lost.
  var queue = Promise.resolve();

  // POST a change: {add: [...], remove: [...], clear: bool}. Resolves with the server's JSON
  // (its "error" set when nothing was changed).
  function post(change) {
    var ids = (change.add || []).concat(change.remove || []);
    ids.forEach(function (id) {
      pending[id] = (pending[id] || 0) + 1;
    });
    var run = queue.then(function () {
      return send(change);
    });
    var settled = function () {
      ids.forEach(function (id) {
        pending[id] -= 1;
        if (!pending[id]) {
          delete pending[id];
        }
      });
      markAll();
    };
    queue = run.then(settled, settled);
    return run;
  }

  function send(change) {
    var body = new URLSearchParams();
    (change.add || []).forEach(function (id) {
      body.append("add", id);
    });
    (change.remove || []).forEach(function (id) {
      body.append("remove", id);
    });
    if (change.clear) {
      body.append("clear", "1");
    }
    return window
      .fetch(config.selectedUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token() },
      })
      .then(function (response) {
        return response.json().catch(function () {
          return { error: "The change could not be saved (" + response.status + "). Reload the page and try again." };
        });
      })
      .then(function (data) {
        if (data.ids) {
          changes += 1;
          selected = new Set(data.ids.map(String));
          showCount(data.count);
          markAll();
        }
        return data;
      });
  }

  function failed() {
    return { error: "The change could not be saved: check your connection and try again." };
  }

  // --- Search results: checkboxes and "Select all on this page" -------------------------

  function boxes(root) {
    return Array.prototype.slice.call((root || document).querySelectorAll("input[data-select-box]"));
  }

  function lists() {
    var found = [];
    boxes().forEach(function (box) {
      var list = box.closest("ol, ul");
      if (list && found.indexOf(list) < 0) {
        found.push(list);
      }
    });
    return found;
  }

  function markAll() {
    if (!selected) {
      return;
    }
    boxes().forEach(function (box) {
      // A box whose change is still on its way shows what the reader asked for.
      if (!pending[box.value]) {
        box.checked = selected.has(box.value);
      }
    });
    lists().forEach(function (list) {
      var all = list.previousElementSibling && list.previousElementSibling.querySelector("[data-select-page]");
      if (!all) {
        return;
      }
      var page = boxes(list);
      // While a change of this page is on its way, its box shows what the reader asked for.
      if (page.some(function (box) { return pending[box.value]; })) {
        return;
      }
      var ticked = page.filter(function (box) {
        return box.checked;
      }).length;
      all.checked = page.length > 0 && ticked === page.length;
      all.indeterminate = ticked > 0 && ticked < page.length;
    });
  }

  function loadState() {
    if (asked) {
      return asked;
    }
    var seen = changes;
    asked = window
      .fetch(config.selectedIdsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        if (changes !== seen) {
          return; // a change answered meanwhile: its state is newer than this one
        }
        selected = new Set((data.ids || []).map(String));
        showCount(data.count);
        markAll();
      })
      .catch(function () {
        asked = null;
      });
    return asked;
  }

  var pageCount = 0;

  function addPageControl(list) {
    var before = list.previousElementSibling;
    if (before && before.querySelector("[data-select-page]")) {
      return;
    }
    // The server's "Select all on this page" button (without JavaScript), if the list has one.
    var tools = list.parentNode.querySelector("[data-select-tools]");
    pageCount += 1;
    var wrapper = document.createElement("div");
    wrapper.className = "select-page";
    var input = document.createElement("input");
    input.type = "checkbox";
    input.id = "select-page-" + pageCount;
    input.setAttribute("data-select-page", "");
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = "Select all on this page";
    wrapper.appendChild(input);
    wrapper.appendChild(label);
    list.parentNode.insertBefore(wrapper, list);
    if (tools) {
      tools.hidden = true;
    }
  }

  function enhanceLists() {
    if (!boxes().length) {
      return;
    }
    lists().forEach(addPageControl);
    if (selected) {
      markAll();
    } else {
      loadState();
    }
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches("input[data-select-box]")) {
      var adding = box.checked;
      post(adding ? { add: [box.value] } : { remove: [box.value] }).then(
        function (data) {
          if (data.error) {
            box.checked = !adding;
          }
          announce(data.error || data.message);
        },
        function () {
          box.checked = !adding;
          announce(failed().error);
        }
      );
    } else if (box.matches("input[data-select-page]")) {
      var list = box.parentNode.nextElementSibling;
      var ids = boxes(list).map(function (item) {
        return item.value;
      });
      var all = box.checked;
      var items = boxes(list);
      items.forEach(function (item) {
        item.checked = all;
      });
      post(all ? { add: ids } : { remove: ids }).then(
        function (data) {
          if (data.error) {
            box.checked = !all;
          }
          announce(data.error || data.message);
        },
        function () {
          box.checked = !all;
          announce(failed().error);
        }
      );
    }
  });

  // search.js swaps the results in place: enhance and mark the new ones.
  if (typeof window.MutationObserver === "function") {
    var scheduled = false;
    new window.MutationObserver(function () {
      if (!scheduled) {
        scheduled = true;
        window.requestAnimationFrame(function () {
          scheduled = false;
          enhanceLists();
        });
      }
    }).observe(document.body, { childList: true, subtree: true });
  }

  // --- Buttons posting through the header's form: Select (record page), Remove, Remove all

  function removeItems(ids) {
    ids.forEach(function (id) {
      var item = document.querySelector('[data-selected-item="' + id + '"]');
      if (item) {
        item.parentNode.removeChild(item);
      }
    });
  }

  function summarise(data) {
    var summary = document.querySelector("[data-selected-summary]");
    if (!summary) {
      return;
    }
    if (!data.count) {
      // The empty page's help and no export controls: the server's page for an empty list.
      window.location.reload();
      return;
    }
    summary.textContent =
      data.count.toLocaleString("en") + " record" + (data.count === 1 ? "" : "s") +
      " selected (at most " + data.limit.toLocaleString("en") + ").";
  }

  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var target = event.target;
    if (target.matches("[data-select-toggle]")) {
      var button = target.querySelector("[data-select-button]");
      if (!button) {
        return;
      }
      event.preventDefault();
      var id = button.value;
      var adding = button.name === "add";
      var status = target.querySelector("[data-select-status]");
      post(adding ? { add: [id] } : { remove: [id] }).then(
        function (data) {
          if (!data.error) {
            button.name = adding ? "remove" : "add";
            button.textContent = adding ? "Remove from Selected" : "Select";
            button.classList.toggle("select-button__button--selected", adding);
          }
          announce(data.error || data.message, status);
        },
        function () {
          announce(failed().error, status);
        }
      );
      return;
    }
    if (!form || target !== form || !submitter) {
      return;
    }
    var change = null;
    if (submitter.hasAttribute("data-select-remove")) {
      change = { remove: [submitter.value] };
    } else if (submitter.hasAttribute("data-select-clear")) {
      change = { clear: true };
    } else if (submitter.hasAttribute("data-select-all")) {
      change = { add: submitter.value.split(",") };
    } else if (submitter.hasAttribute("data-selected-submit")) {
      change = {
        add: boxes()
          .filter(function (box) {
            return box.checked;
          })
          .map(function (box) {
            return box.value;
          }),
      };
    }
    if (!change) {
      return;
    }
    event.preventDefault();
    var pageStatus = document.querySelector("[data-copy-status]");
    post(change).then(
      function (data) {
        if (!data.error) {
          removeItems(data.removed || []);
          summarise(data);
        }
        announce(data.error || data.message, pageStatus);
      },
      function () {
        announce(failed().error, pageStatus);
      }
    );
  });

  // --- /selected/: Copy as text, Copy as HTML ------------------------------------------

  function textBlob(promise, type) {
    return promise.then(function (text) {
      return new Blob([text], { type: type });
    });
  }

  function fetchText(url) {
    return window.fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.text().then(function (text) {
        if (!response.ok) {
          throw new Error(text.trim() || "status " + response.status);
        }
        return text;
      });
    });
  }

  // Writes the fetched text (and HTML) while the click still counts as the reader's: the
  // clipboard takes promises for its contents; where it cannot, the text after it arrives.
  function copyFetched(textPromise, htmlPromise) {
    var clipboard = navigator.clipboard;
    var attempt;
    try {
      if (!clipboard || !clipboard.write || typeof window.ClipboardItem !== "function") {
        throw new Error("no rich clipboard");
      }
      var flavours = { "text/plain": textBlob(textPromise, "text/plain") };
      if (htmlPromise) {
        flavours["text/html"] = textBlob(htmlPromise, "text/html");
      }
      attempt = clipboard.write([new window.ClipboardItem(flavours)]);
    } catch (error) {
      attempt = Promise.reject(error);
    }
    return attempt.catch(function () {
      return textPromise.then(function (text) {
        if (clipboard && clipboard.writeText) {
          return clipboard.writeText(text);
        }
        throw new Error("no clipboard");
      });
    });
  }

  var page = document.querySelector("[data-selected-page]");
  if (page) {
    var styleSelect = page.querySelector("[data-bibliography-style]");
    var copyStatus = page.querySelector("[data-copy-status]");
    var base = page.getAttribute("data-bibliography-url");
    Array.prototype.forEach.call(page.querySelectorAll("[data-copy]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var style = styleSelect.value;
        var label = styleSelect.options[styleSelect.selectedIndex].text;
        var url = base + "?style=" + encodeURIComponent(style);
        var asHtml = button.getAttribute("data-copy") === "html";
        var html = asHtml ? fetchText(url + "&output=html") : null;
        // As HTML: the markup is both the rich flavour (a word processor formats it) and the
        // plain one (an HTML editor gets the source).
        var text = asHtml ? html : fetchText(url);
        announce("Formatting the bibliography in " + label + "…", copyStatus);
        copyFetched(text, html).then(
          function () {
            page.setAttribute("data-copied", asHtml ? "html" : "text");
            announce("Copied the bibliography in " + label + (asHtml ? " as HTML" : " as text") + " to the clipboard.", copyStatus);
          },
          function (error) {
            text.then(
              function () {
                announce("Could not copy: use Download as text instead.", copyStatus);
              },
              function (problem) {
                announce(problem.message || String(error), copyStatus);
              }
            );
          }
        );
      });
    });
  }

  // --- Cite in a dialog -------------------------------------------------------------------

  var citeLoaded = null;

  function loadCiteScript() {
    if (window.CatalogueCite) {
      return Promise.resolve();
    }
    if (!citeLoaded) {
      citeLoaded = new Promise(function (resolve, reject) {
        if (!document.querySelector('link[href="' + config.citeCss + '"]')) {
          var sheet = document.createElement("link");
          sheet.rel = "stylesheet";
          sheet.href = config.citeCss;
          document.head.appendChild(sheet);
        }
        var script = document.createElement("script");
        script.src = config.citeJs;
        script.onload = function () {
          resolve();
        };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return citeLoaded;
  }

  var dialog = null;
  var opener = null;

  function citeDialog() {
    if (dialog) {
      return dialog;
    }
    dialog = document.createElement("dialog");
    dialog.className = "cite-dialog";
    dialog.setAttribute("aria-label", "Cite");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "cite-dialog__close button--secondary";
    close.textContent = "Close";
    close.addEventListener("click", function () {
      dialog.close();
    });
    var content = document.createElement("div");
    content.className = "cite-dialog__content";
    content.setAttribute("data-cite-dialog-content", "");
    dialog.appendChild(close);
    dialog.appendChild(content);
    dialog.addEventListener("close", function () {
      content.textContent = "";
      if (opener) {
        opener.focus();
      }
    });
    // A click on the backdrop (outside the box) closes it.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) {
        dialog.close();
      }
    });
    document.body.appendChild(dialog);
    return dialog;
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) {
      return;
    }
    var link = event.target.closest("a[data-cite-dialog]");
    if (!link) {
      return;
    }
    var box = citeDialog();
    if (typeof box.showModal !== "function") {
      return; // the record page's Cite box
    }
    event.preventDefault();
    opener = link;
    var content = box.querySelector("[data-cite-dialog-content]");
    content.textContent = "Loading the citation…";
    box.showModal();
    Promise.all([fetchText(link.getAttribute("data-cite-dialog")), loadCiteScript()]).then(
      function (results) {
        // The server's Cite box: everything user-supplied in it is escaped.
        var parsed = new window.DOMParser().parseFromString(results[0], "text/html");
        var fresh = parsed.querySelector("[data-cite-box]");
        if (!fresh) {
          throw new Error("no Cite box");
        }
        content.textContent = "";
        content.appendChild(document.adoptNode(fresh));
        box.setAttribute("aria-labelledby", "cite-heading");
        window.CatalogueCite.setUp(fresh);
        var first = fresh.querySelector('[role="tab"][aria-selected="true"]');
        if (first) {
          first.focus();
        }
      }
    ).catch(function () {
      content.textContent = "";
      var problem = document.createElement("p");
      problem.className = "cite-dialog__error";
      problem.setAttribute("role", "alert");
      problem.textContent = "The citation could not be loaded. ";
      var fallback = document.createElement("a");
      fallback.href = link.href;
      fallback.textContent = "Open the record’s Cite box";
      problem.appendChild(fallback);
      content.appendChild(problem);
    });
  });

  enhanceLists();
})();
