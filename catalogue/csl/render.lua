-- Formats CSL-JSON items with pandoc's citeproc; run as `pandoc lua render.lua < request.json`.
--
-- Called by catalogue/citations/engine.py; catalogue/citations/output.py turns the answer into
-- citeproc-js-style text and HTML.
-- Request (JSON on stdin):
--   {"jobs": [{"style": "/path/style.csl", "lang": "en-GB" or null,
--              "mode": "each" or "list", "items": [CSL-JSON item, ...]}, ...]}
--   "each": every item is formatted on its own, as if it were the only one cited (what a
--           record's "Cite this" box shows): no year suffixes, number 1 in numeric styles.
--   "list": the items form one bibliography: sorted by the style, disambiguated, numbered
--           in the given order. With "fast_style" (the style without disambiguation, for
--           styles with year suffixes), disambiguation runs only on the items that need it.
-- Answer (pandoc JSON on stdout): one Div per job, in order. For "each" the job's Div holds one
-- Div per item (identifier = the item's id) with a Para of the in-text citation followed by the
-- bibliography Div; for "list" it holds the bibliography Div (entries have id "ref-<id>").

local request = pandoc.json.decode(io.read('a'), false)

local function base_meta(job)
  local meta = {
    csl = job.style,
    ['link-bibliography'] = false,
    ['link-citations'] = false,
  }
  if job.lang and job.lang ~= pandoc.json.null then
    meta.lang = job.lang
  end
  return meta
end

local function references(job)
  -- The csljson reader parses the items' rich text (<i>, <sub>, nocase spans) like a CSL
  -- processor does; metadata given as YAML would be read as Markdown instead.
  return pandoc.read(pandoc.json.encode(job.items), 'csljson').meta.references or {}
end

local function each(job)
  local out = {}
  for _, ref in ipairs(references(job)) do
    local id = pandoc.utils.stringify(ref.id)
    local meta = base_meta(job)
    meta.references = {ref}
    local cite = pandoc.Cite({pandoc.Str('@' .. id)}, {pandoc.Citation(id, 'NormalCitation')})
    local doc = pandoc.utils.citeproc(pandoc.Pandoc({pandoc.Para({cite})}, meta))
    out[#out + 1] = pandoc.Div(doc.blocks, pandoc.Attr(id))
  end
  return out
end

local function bibliography_div(blocks)
  for _, block in ipairs(blocks) do
    if block.t == 'Div' and block.classes:includes('csl-bib-body') then
      return block
    end
  end
end

local function one_list(style_path, job, refs)
  local citations = {}
  for _, ref in ipairs(refs) do
    citations[#citations + 1] = pandoc.Citation(pandoc.utils.stringify(ref.id), 'NormalCitation')
  end
  local meta = base_meta(job)
  meta.csl = style_path
  meta.references = refs
  -- nocite keeps the given order, which numeric styles use for numbering.
  meta.nocite = pandoc.Inlines({pandoc.Cite({pandoc.Str('nocite')}, citations)})
  return pandoc.utils.citeproc(pandoc.Pandoc({}, meta)).blocks
end

-- pandoc's year-suffix disambiguation grows faster than linearly with the list. Only items
-- whose in-text citations come out identical without disambiguation can get a suffix, so:
-- format the whole list with the style minus disambiguation ("fast_style"), citing every item
-- to see its citation, then format just the items that share a citation with the real style
-- and put their entries in place. Disambiguation by added names or given names changes
-- citations only, never bibliography entries.
local function two_pass_list(job, refs)
  local cites, by_id = {}, {}
  for _, ref in ipairs(refs) do
    local id = pandoc.utils.stringify(ref.id)
    by_id[id] = ref
    cites[#cites + 1] = pandoc.Cite({pandoc.Str('@' .. id)}, {pandoc.Citation(id, 'NormalCitation')})
    cites[#cites + 1] = pandoc.Space()
  end
  local meta = base_meta(job)
  meta.csl = job.fast_style
  meta.references = refs
  local doc = pandoc.utils.citeproc(pandoc.Pandoc({pandoc.Para(cites)}, meta))
  local groups, order = {}, {}
  for _, inline in ipairs(doc.blocks[1].content) do
    if inline.t == 'Cite' then
      local text = pandoc.utils.stringify(inline.content)
      if not groups[text] then
        groups[text] = {}
        order[#order + 1] = text
      end
      table.insert(groups[text], inline.citations[1].id)
    end
  end
  local shared = {}
  for _, text in ipairs(order) do
    if #groups[text] > 1 then
      for _, id in ipairs(groups[text]) do
        shared[#shared + 1] = by_id[id]
      end
    end
  end
  local bibliography = bibliography_div(doc.blocks)
  if #shared == 0 or not bibliography then
    return {bibliography}
  end
  local replacement = {}
  local exact = bibliography_div(one_list(job.style, job, shared))
  for _, entry in ipairs(exact.content) do
    replacement[entry.identifier] = entry
  end
  bibliography.content = bibliography.content:map(function(entry)
    return replacement[entry.identifier] or entry
  end)
  return {bibliography}
end

local function list(job)
  local refs = references(job)
  if #refs == 0 then
    return {}
  end
  if job.fast_style and job.fast_style ~= pandoc.json.null then
    return two_pass_list(job, refs)
  end
  return one_list(job.style, job, refs)
end

local answer = {}
for index, job in ipairs(request.jobs) do
  local blocks = job.mode == 'list' and list(job) or each(job)
  answer[#answer + 1] = pandoc.Div(blocks, pandoc.Attr('job-' .. index))
end
io.write(pandoc.write(pandoc.Pandoc(answer), 'json'))
