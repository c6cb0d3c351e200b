/* The "Cite this" box: the listed styles become tabs (ARIA tabs pattern: arrow keys, Home,
   End), Copy puts the plain text and the HTML on the clipboard, and "More styles" becomes a
   type-ahead over every style's title (ARIA combobox with a listbox) that fetches the chosen
   style's citation, in the chosen language, without reloading the page. The server formats only
   the style the box opens on; another core style's panel is fetched (once) when its tab is
   chosen. The chosen tab, style
   and language are remembered in two cookies (cite_style, cite_locale) that the server reads
   too, so the next page opens on them. Without this script every style stays listed (the ones
   not formatted as links to the page in that style) and "More styles" is a plain form. */
(function () {
  "use strict";

  var STYLE_COOKIE = "cite_style";
  var LOCALE_COOKIE = "cite_locale";
  var COOKIE_SECONDS = 365 * 24 * 60 * 60;
  var STATUS_SECONDS = 6;
  var TYPEAHEAD_DELAY = 120;

  function setCookie(name, value) {
    var parts = [name + "=" + encodeURIComponent(value), "path=/", "SameSite=Lax"];
    parts.push("max-age=" + (value ? COOKIE_SECONDS : 0));
    if (window.location.protocol === "https:") {
      parts.push("Secure");
    }
    try {
      document.cookie = parts.join("; ");
    } catch (error) {
      // Cookies blocked: the choice lasts for this page only.
    }
  }

  function remember(style, locale) {
    setCookie(STYLE_COOKIE, style || "");
    setCookie(LOCALE_COOKIE, locale || "");
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

  function getJSON(url) {
    return window
      .fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(
          function (data) {
            return { ok: response.ok, data: data };
          },
          function () {
            return { ok: false, data: {} };
          }
        );
      });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function setUp(box) {
    var tablist = box.querySelector("[data-cite-tablist]");
    var panelsBox = box.querySelector("[data-cite-panels]");
    var status = box.querySelector("[data-cite-status]");
    var citeUrl = box.getAttribute("data-cite-url");
    if (!tablist || !panelsBox) {
      return;
    }
    var statusTimer = null;

    function tabs() {
      return Array.prototype.slice.call(tablist.querySelectorAll('[role="tab"]'));
    }

    function panelOf(tab) {
      return document.getElementById(tab.getAttribute("aria-controls"));
    }

    function selectedTab() {
      return tablist.querySelector('[role="tab"][aria-selected="true"]');
    }

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

    function select(chosen, options) {
      tabs().forEach(function (tab) {
        var selected = tab === chosen;
        tab.setAttribute("aria-selected", selected ? "true" : "false");
        tab.tabIndex = selected ? 0 : -1;
        panelOf(tab).hidden = !selected;
      });
      loadPanel(chosen);
      if (options.focus) {
        chosen.focus();
      }
      // The language field shows the selected tab's language ("": the style's own).
      var language = box.querySelector("[data-cite-locale]");
      if (language) {
        language.value = chosen.getAttribute("data-locale") || "";
      }
      if (options.store) {
        remember(chosen.getAttribute("data-style"), chosen.getAttribute("data-locale"));
      }
    }

    // A deferred tab's panel (only the style the page opened on is formatted by the server)
    // is fetched once, formatted, when its tab is first chosen; it then stays in the page.
    function loadPanel(tab) {
      var panel = panelOf(tab);
      if (!panel.hasAttribute("data-cite-deferred") || panel.hasAttribute("aria-busy")) {
        return;
      }
      if (!citeUrl || typeof window.fetch !== "function") {
        return; // the panel's link still shows the style
      }
      panel.setAttribute("aria-busy", "true");
      var url = citeUrl + "?fragment=1&style=" + encodeURIComponent(panel.getAttribute("data-style"));
      window
        .fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          // The server's panel: the engine escaped everything user-supplied.
          var parsed = new window.DOMParser().parseFromString(html, "text/html");
          var fresh = parsed.querySelector(".cite-box__panel");
          if (!fresh || fresh.hasAttribute("data-cite-deferred")) {
            throw new Error("no panel");
          }
          panel.setAttribute("data-cite-text", fresh.getAttribute("data-cite-text") || "");
          panel.textContent = "";
          while (fresh.firstChild) {
            panel.appendChild(document.adoptNode(fresh.firstChild));
          }
          panel.removeAttribute("data-cite-deferred");
          panel.removeAttribute("aria-busy");
          enhancePanel(tab);
        })
        .catch(function () {
          panel.removeAttribute("aria-busy");
          announce("This style could not be loaded: follow its link, or try again.");
        });
    }

    function enhancePanel(tab) {
      var panel = panelOf(tab);
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      var button = panel.querySelector("[data-cite-copy]");
      if (button) {
        button.hidden = false;
      }
    }

    tabs().forEach(enhancePanel);
    box.classList.add("cite-box--tabs");
    tablist.hidden = false;

    tablist.addEventListener("click", function (event) {
      var tab = event.target.closest('[role="tab"]');
      if (tab) {
        select(tab, { focus: true, store: true });
      }
    });

    tablist.addEventListener("keydown", function (event) {
      var all = tabs();
      var current = all.indexOf(document.activeElement);
      if (current < 0) {
        return;
      }
      var next = null;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") {
        next = (current + 1) % all.length;
      } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
        next = (current - 1 + all.length) % all.length;
      } else if (event.key === "Home") {
        next = 0;
      } else if (event.key === "End") {
        next = all.length - 1;
      }
      if (next !== null) {
        event.preventDefault();
        select(all[next], { focus: true, store: true });
      }
    });

    // Copy: the panel's own text (any tab, the chosen style's too).
    panelsBox.addEventListener("click", function (event) {
      var button = event.target.closest("[data-cite-copy]");
      if (!button) {
        return;
      }
      var panel = button.closest(".cite-box__panel");
      var rich = panel.querySelector("[data-cite-html]");
      copy(panel.getAttribute("data-cite-text"), rich ? rich.innerHTML : null).then(
        function () {
          announce("Copied " + panel.getAttribute("data-label") + " to the clipboard.");
        },
        function () {
          announce("Could not copy: select the text and copy it with your keyboard.");
        }
      );
    });

    var initial =
      document.getElementById("cite-tab-" + box.getAttribute("data-default-style")) || tabs()[0];
    if (initial) {
      select(initial, { focus: false, store: false });
    }

    setUpMoreStyles(box, {
      tabs: tabs,
      select: select,
      selectedTab: selectedTab,
      enhancePanel: enhancePanel,
      announce: announce,
      tablist: tablist,
      panelsBox: panelsBox,
    });
  }

  // "More styles": the type-ahead, the language, and the chosen style's extra tab.
  function setUpMoreStyles(box, cite) {
    var form = box.querySelector("[data-cite-more]");
    if (!form || typeof window.fetch !== "function") {
      return;
    }
    var input = form.querySelector("[data-cite-input]");
    var listbox = form.querySelector("[data-cite-options]");
    var language = form.querySelector("[data-cite-locale]");
    var stylesUrl = box.getAttribute("data-styles-url");
    var citeUrl = box.getAttribute("data-cite-url");
    var timer = null;
    var asked = 0;
    var active = -1;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("aria-describedby", "cite-more-hint");

    function options() {
      return Array.prototype.slice.call(listbox.querySelectorAll('[role="option"]'));
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function activate(index) {
      var all = options();
      active = index;
      all.forEach(function (option, position) {
        option.setAttribute("aria-selected", position === index ? "true" : "false");
      });
      if (index >= 0 && all[index]) {
        input.setAttribute("aria-activedescendant", all[index].id);
        all[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(results) {
      listbox.textContent = "";
      results.forEach(function (style, position) {
        var option = element("li", "cite-box__option");
        option.id = "cite-style-option-" + position;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-style", style.id);
        option.setAttribute("data-title", style.title);
        option.appendChild(element("span", "cite-box__option-title", style.title));
        var about = [style.id];
        if (style.format) {
          about.push(style.format);
        }
        option.appendChild(element("span", "cite-box__option-id", about.join(" · ")));
        listbox.appendChild(option);
      });
      if (!results.length) {
        var none = element("li", "cite-box__option cite-box__option--none", "No style matches.");
        none.setAttribute("aria-disabled", "true");
        none.setAttribute("role", "option");
        none.id = "cite-style-option-none";
        listbox.appendChild(none);
      }
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
      activate(-1);
    }

    function search() {
      var query = input.value.trim();
      asked += 1;
      var mine = asked;
      if (!query) {
        close();
        return;
      }
      getJSON(stylesUrl + "?format=json&q=" + encodeURIComponent(query)).then(
        function (answer) {
          if (mine !== asked || document.activeElement !== input) {
            return; // a newer search is under way, or the reader left the field
          }
          show(answer.ok ? answer.data.results || [] : []);
        },
        function () {
          close();
        }
      );
    }

    function problem(message) {
      var notice = box.querySelector("[data-cite-problem]");
      if (!notice) {
        notice = element("p", "cite-box__error");
        notice.setAttribute("data-cite-problem", "");
        notice.setAttribute("role", "alert");
        box.insertBefore(notice, cite.tablist);
      }
      notice.textContent = message;
      notice.hidden = !message;
    }

    function chosenTab(data) {
      var tab = document.getElementById("cite-tab-chosen");
      var panel = document.getElementById("cite-panel-chosen");
      if (!tab) {
        tab = element("button", "cite-box__tab cite-box__tab--chosen");
        tab.type = "button";
        tab.id = "cite-tab-chosen";
        tab.setAttribute("role", "tab");
        tab.setAttribute("aria-controls", "cite-panel-chosen");
        cite.tablist.insertBefore(tab, cite.tablist.firstChild);
        panel = element("div", "cite-box__panel cite-box__panel--style");
        panel.id = "cite-panel-chosen";
        cite.panelsBox.insertBefore(panel, cite.panelsBox.firstChild);
      }
      tab.textContent = data.label;
      tab.setAttribute("data-style", data.style);
      tab.setAttribute("data-locale", data.locale || "");
      panel.textContent = "";
      panel.setAttribute("data-style", data.style);
      panel.setAttribute("data-locale", data.locale || "");
      panel.setAttribute("data-label", data.label);
      panel.setAttribute("data-cite-text", data.text);
      panel.appendChild(element("h3", "cite-box__label", data.label));
      var citation = element("div", "cite-box__citation");
      citation.setAttribute("data-cite-html", "");
      // The server's citation HTML: the engine escaped everything user-supplied.
      citation.innerHTML = data.html;
      panel.appendChild(citation);
      var actions = element("p", "cite-box__actions");
      var button = element("button", "cite-box__copy", "Copy");
      button.type = "button";
      button.setAttribute("data-cite-copy", "");
      button.appendChild(element("span", "visually-hidden", " " + data.label));
      actions.appendChild(button);
      panel.appendChild(actions);
      cite.enhancePanel(tab);
      return tab;
    }

    function useStyle(style, locale) {
      var url = citeUrl + "?style=" + encodeURIComponent(style);
      getJSON(url + "&locale=" + encodeURIComponent(locale)).then(
        function (answer) {
          if (!answer.ok) {
            problem(answer.data.error || "This style cannot be shown right now.");
            return;
          }
          problem("");
          var tab;
          if (answer.data.tab === "chosen") {
            tab = chosenTab(answer.data);
          } else {
            tab = cite.tabs().filter(function (candidate) {
              return candidate.id === "cite-tab-" + answer.data.tab;
            })[0];
          }
          if (tab) {
            cite.select(tab, { focus: false, store: true });
            announce(tab);
          }
        },
        function () {
          problem("The style could not be loaded: check your connection, or press Show.");
        }
      );
    }

    function announce(tab) {
      cite.announce("Showing " + tab.textContent + ".");
    }

    function choose(option) {
      if (!option || option.getAttribute("aria-disabled") === "true") {
        return;
      }
      input.value = option.getAttribute("data-title");
      close();
      useStyle(option.getAttribute("data-style"), language.value);
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, TYPEAHEAD_DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var all = options();
      var open = !listbox.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) {
          search();
          return;
        }
        // Down and up cycle through the options and back to the field (-1).
        var next = active + (event.key === "ArrowDown" ? 1 : -1);
        if (next >= all.length) {
          next = -1;
        } else if (next < -1) {
          next = all.length - 1;
        }
        activate(next);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(all[active]);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });

    // mousedown keeps the focus in the field; click chooses.
    listbox.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    listbox.addEventListener("click", function (event) {
      choose(event.target.closest('[role="option"]'));
    });

    // The language applies to the selected style (a core style in its own language is its tab).
    language.addEventListener("change", function () {
      var tab = cite.selectedTab();
      var panel = tab && document.getElementById(tab.getAttribute("aria-controls"));
      if (!panel || !panel.classList.contains("cite-box__panel--style")) {
        cite.announce("Choose a style to see it in this language.");
        return;
      }
      useStyle(tab.getAttribute("data-style"), language.value);
    });

    form.addEventListener("submit", function (event) {
      var all = options();
      if (!listbox.hidden && all.length && all[0].getAttribute("aria-disabled") !== "true") {
        event.preventDefault();
        choose(all[active >= 0 ? active : 0]);
      }
      // Otherwise the form goes to the server, which searches as it does without JavaScript.
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-cite-box]"), setUp);
  // A search result's Cite dialog (selected.js) sets up the box it loads.
  window.CatalogueCite = { setUp: setUp };
})();
