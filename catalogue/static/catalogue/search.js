/* Search without full reloads: links, forms and back/forward swap the results in place.
 *
 * Progressive enhancement only. Every control on the page is a plain link or GET form that
 * works without JavaScript; here each one's URL is fetched, the new page's results region
 * replaces the current one, and history.pushState records the URL, so bookmarks, sharing
 * and the back button behave exactly as with full page loads.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-search]");
  var region = document.querySelector("[data-search-results]");
  var facetList = document.querySelector("[data-facet-list]");
  document.documentElement.classList.add("js");

  function sameOriginSearchUrl(url) {
    return url.origin === window.location.origin && url.pathname === window.location.pathname;
  }

  function formUrl(form) {
    var url = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value !== "") { params.append(name, value); }
    });
    url.search = params.toString();
    return url;
  }

  // --- The results page --------------------------------------------------------------------

  // --- "Filters (n)" on a phone: a link to #facets without JavaScript, a toggle with it ---

  var filtersOpen = false;

  function wireFiltersToggle() {
    var toggle = document.querySelector("[data-filters-toggle]");
    var facets = document.getElementById("facets");
    if (!toggle || !facets) { return; }
    toggle.setAttribute("role", "button");
    toggle.setAttribute("aria-expanded", filtersOpen ? "true" : "false");
    facets.classList.toggle("facets--open", filtersOpen);
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-filters-toggle]");
    if (!toggle) { return; }
    event.preventDefault();
    filtersOpen = toggle.getAttribute("aria-expanded") !== "true";
    wireFiltersToggle();
    if (filtersOpen) {
      var facets = document.getElementById("facets");
      if (facets) { facets.focus({ preventScroll: true }); }
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    // A link made a button answers Space as a button does.
    if (event.key === " " && event.target.matches("[data-filters-toggle]")) {
      event.preventDefault();
      event.target.click();
    }
  });

  wireFiltersToggle();

  // The header's box is the search page's: after a swap it shows the new words and carries
  // the new filters and sort (its hidden inputs), as a full page load would.
  function syncSearchBox(page) {
    var fresh = page.querySelector("form.search-box");
    var current = document.querySelector("form.search-box");
    if (!fresh || !current) { return; }
    var query = fresh.querySelector("#search-q");
    var box = current.querySelector("#search-q");
    if (query && box && document.activeElement !== box) { box.value = query.value; }
    current.querySelectorAll("input[type=hidden]").forEach(function (input) { input.remove(); });
    var button = current.querySelector("button");
    fresh.querySelectorAll("input[type=hidden]").forEach(function (input) {
      current.insertBefore(document.importNode(input, true), button);
    });
  }

  if (root && region) {
    var controller = null;

    var load = function (url, options) {
      options = options || {};
      if (controller) { controller.abort(); }
      controller = new AbortController();
      region.setAttribute("aria-busy", "true");
      return fetch(url.toString(), {
        headers: { "Accept": "text/html" },
        signal: controller.signal,
        credentials: "same-origin"
      }).then(function (response) {
        return response.text().then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.querySelector("[data-search-results]");
          if (!fresh) { window.location.assign(url.toString()); return; }
          region.innerHTML = fresh.innerHTML;
          document.title = page.title;
          syncSearchBox(page);
          wireFiltersToggle();
          if (options.push) { window.history.pushState({ search: true }, "", url.toString()); }
          if (options.focus !== false) {
            var heading = region.querySelector("#results-heading") ||
              region.querySelector("[role=alert]");
            if (heading) {
              heading.setAttribute("tabindex", "-1");
              heading.focus({ preventScroll: true });
            }
            if (options.scroll) { root.scrollIntoView({ block: "start" }); }
          }
        });
      }).catch(function (error) {
        if (error.name !== "AbortError") { window.location.assign(url.toString()); }
      }).finally(function () {
        region.removeAttribute("aria-busy");
      });
    };

    document.addEventListener("click", function (event) {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
          event.shiftKey || event.altKey) { return; }
      var link = event.target.closest("a[href]");
      if (!link || !root.contains(link) || link.hasAttribute("data-no-swap") ||
          link.hasAttribute("download") || link.target) { return; }
      if (link.hasAttribute("data-facet-more")) {
        event.preventDefault();
        openFacetPanel(link);
        return;
      }
      var url = new URL(link.href, window.location.href);
      if (!sameOriginSearchUrl(url)) { return; }
      event.preventDefault();
      load(url, { push: true, scroll: link.closest(".pagination") !== null });
    });

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches("[data-search-form]") || (form.method || "get").toLowerCase() !== "get") {
        return;
      }
      var url = formUrl(form);
      if (!sameOriginSearchUrl(url)) { return; }
      event.preventDefault();
      load(url, { push: true });
    });

    document.addEventListener("change", function (event) {
      if (event.target.matches("select[data-autosubmit]")) {
        event.target.form.requestSubmit();
      }
    });

    window.history.replaceState({ search: true }, "", window.location.href);
    window.addEventListener("popstate", function () {
      load(new URL(window.location.href), { push: false, focus: false });
    });

    // The header search box searches in place too (it is outside the swapped region).
    var header = document.querySelector("form.search-box");
    if (header) {
      header.setAttribute("data-search-form", "");
      header.addEventListener("submit", function (event) {
        var url = formUrl(header);
        if (!sameOriginSearchUrl(url)) { return; }
        event.preventDefault();
        event.stopPropagation();
        load(url, { push: true });
      });
    }
  }

  // --- "More" values: an inline panel with a live filter -----------------------------------

  function openFacetPanel(link) {
    var section = link.closest(".facet");
    var existing = section.querySelector(".facet__panel");
    if (existing) {
      existing.remove();
      link.setAttribute("aria-expanded", "false");
      return;
    }
    var panel = document.createElement("div");
    panel.className = "facet__panel";
    panel.id = "panel-" + link.getAttribute("data-facet-more");
    section.appendChild(panel);
    link.setAttribute("aria-expanded", "true");
    link.setAttribute("aria-controls", panel.id);
    fillPanel(panel, new URL(link.href, window.location.href), true);
  }

  function fillPanel(panel, url, focus) {
    fetch(url.toString(), { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var list = page.querySelector("[data-facet-list]");
        if (!list) { window.location.assign(url.toString()); return; }
        var back = list.querySelector("p");
        if (back) { back.remove(); }
        var title = list.querySelector("h1");
        if (title) { title.remove(); }
        panel.innerHTML = list.innerHTML;
        wirePanel(panel, url, true);
        if (focus) {
          var input = panel.querySelector("input[type=search]");
          if (input) { input.focus(); }
        }
      })
      .catch(function () { window.location.assign(url.toString()); });
  }

  function wirePanel(panel, url, intercept) {
    var form = panel.querySelector("[data-facet-filter]");
    if (form) {
      form.setAttribute("action", url.pathname);
      var timer = null;
      var input = form.querySelector("input[type=search]");
      var refresh = function () {
        var next = formUrl(form);
        fetch(next.toString(), { headers: { "Accept": "text/html" }, credentials: "same-origin" })
          .then(function (response) { return response.text(); })
          .then(function (html) {
            var page = new DOMParser().parseFromString(html, "text/html");
            var fresh = page.querySelector("[data-facet-values]");
            var current = panel.querySelector("[data-facet-values]");
            if (fresh && current) {
              current.innerHTML = fresh.innerHTML;
            }
          });
      };
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(refresh, 200);
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        refresh();
      });
    }
    if (!intercept) { return; }
    panel.addEventListener("click", function (event) {
      var link = event.target.closest("a[href]");
      if (!link) { return; }
      var target = new URL(link.href, window.location.href);
      if (target.pathname === url.pathname) {
        // Sorting or paging the list: stay in the panel.
        event.preventDefault();
        event.stopPropagation();
        fillPanel(panel, target, false);
      }
    });
  }

  // The standalone "all values" page (no JavaScript needed; the filter just updates live).
  if (facetList && !root) {
    var standalone = facetList.querySelector("[data-facet-filter]");
    if (standalone) { wirePanel(facetList, new URL(window.location.href), false); }
  }
})();
