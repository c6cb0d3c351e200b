// Reference bibliographies from citeproc-js: all items of a file cited together, as one list.
// Usage: node citeproc_list_reference.js ITEMS.json STYLES_DIR LOCALES_DIR OUT.json
// Companion of /work/shared/citations/citeproc_reference.js (same styles, locales, engine:
// npm package 'citeproc' 2.4.63); writes {style: {text: [entry, ...], html: [entry, ...]}},
// entries in bibliography order, each trimmed like that script's.
const fs = require('fs');
const path = require('path');
const CSL = require('citeproc');

const STYLES = {
  'apa': 'apa',
  'harvard-cite-them-right': 'harvard-cite-them-right',
  'vancouver': 'nlm-citation-sequence',
  'modern-language-association': 'modern-language-association',
  'chicago-author-date': 'chicago-author-date',
  'american-medical-association': 'american-medical-association',
};
const LOCALE_FOR = {'harvard-cite-them-right': 'en-GB'};

const [itemsPath, stylesDir, localesDir, outPath] = process.argv.slice(2);
const items = JSON.parse(fs.readFileSync(itemsPath, 'utf8'));
const byId = Object.fromEntries(items.map(i => [i.id, i]));
const sys = {
  retrieveLocale: lang => {
    const f = path.join(localesDir, `locales-${lang}.xml`);
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : false;
  },
  retrieveItem: id => JSON.parse(JSON.stringify(byId[id])),
};

const out = {};
for (const [name, file] of Object.entries(STYLES)) {
  const xml = fs.readFileSync(path.join(stylesDir, file + '.csl'), 'utf8');
  out[name] = {};
  for (const format of ['text', 'html']) {
    const engine = new CSL.Engine(sys, xml, LOCALE_FOR[name] || 'en-US');
    engine.setOutputFormat(format);
    engine.updateItems(items.map(i => i.id));
    const [, entries] = engine.makeBibliography();
    out[name][format] = entries.map(e => e.trim());
  }
}
fs.writeFileSync(outPath, JSON.stringify(out, null, 1));
console.log(`wrote ${Object.keys(out).length} styles x ${items.length} items to ${outPath}`);
