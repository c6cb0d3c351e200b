// Glue between catalogue/citations/engine.py and citeproc-js (loaded before this file as CSL).
// Engines are kept by key; the items of one call are handed over as JSON and forgotten after it.
var LOCALES = {};
var ITEMS = {};
var ENGINES = {};
var SYS = {
  retrieveLocale: function (tag) {
    return LOCALES[tag] || false;
  },
  retrieveItem: function (id) {
    return ITEMS[id];
  },
};

function addLocales(json) {
  var locales = JSON.parse(json);
  for (var tag in locales) LOCALES[tag] = locales[tag];
  return Object.keys(LOCALES).length;
}

function buildEngine(key, xml, lang, force) {
  ENGINES[key] = new CSL.Engine(SYS, xml, lang, force);
  return true;
}

function dropEngine(key) {
  delete ENGINES[key];
  return true;
}

function hasBibliography(key) {
  return !!ENGINES[key].bibliography.tokens.length;
}

// Each item on its own, as if it were the only one cited: [{fmt: [entry, citation]}, ...].
function formatEach(key, formats, json) {
  var engine = ENGINES[key];
  var items = JSON.parse(json);
  var withBibliography = engine.bibliography.tokens.length > 0;
  var out = [];
  try {
    for (var i = 0; i < items.length; i++) {
      var id = items[i].id;
      ITEMS = {};
      ITEMS[id] = items[i];
      engine.updateItems([id]);
      var result = {};
      for (var f = 0; f < formats.length; f++) {
        engine.setOutputFormat(formats[f]);
        var cite = engine.makeCitationCluster([{ id: id }]);
        var bib = withBibliography ? engine.makeBibliography() : false;
        // null: the style has no bibliography; "": it has one, but leaves this item out.
        var entry = withBibliography ? (bib && bib[1].length ? bib[1][0] : "") : null;
        result[formats[f]] = [entry, cite];
      }
      out.push(result);
    }
  } finally {
    ITEMS = {};
    engine.updateItems([]);
  }
  return JSON.stringify(out);
}

// The items as one reference list (sorted, disambiguated, numbered): [params, entries, ids].
function formatList(key, fmt, json) {
  var engine = ENGINES[key];
  var items = JSON.parse(json);
  var ids = [];
  ITEMS = {};
  for (var i = 0; i < items.length; i++) {
    ITEMS[items[i].id] = items[i];
    ids.push(items[i].id);
  }
  try {
    engine.setOutputFormat(fmt);
    engine.updateItems(ids);
    var bib = engine.makeBibliography();
    if (!bib) return JSON.stringify(null);
    var ordered = bib[0].entry_ids.map(function (entry) {
      return entry[0];
    });
    var params = { "second-field-align": bib[0]["second-field-align"] || false };
    return JSON.stringify([params, bib[1], ordered]);
  } finally {
    ITEMS = {};
    engine.updateItems([]);
  }
}
