"""The forms a record is read from and written to, one module per format or concern.

- `bibtex/`: the BibTeX parser (bytes in, entries out) and `bibtex/writer.py`, the BibTeX
  export entry.
- `ris.py`, `csl_json.py`: the RIS and CSL-JSON export entries (`csl_json` also builds the
  CSL-JSON item the citation engine formats).
- `registry.py`: the export formats (`EXPORT_FORMATS`) with their media types, file names and
  streaming.
- `negotiation.py`: what a request asks for (Accept header, ?format=, ?style=) and the
  response carrying one record in it.
- `exports.py`: list exports (journal, author, keyword, subject pages, search results).
- `metadata.py`: what a record page embeds: the Cite box, Highwire tags, COinS, JSON-LD.
- `rich_text.py`: the CSL rich-text markup titles carry, to plain text.

This package's `__init__` imports nothing, so the BibTeX parser stays importable without
Django settings (bench/bibtex_parse.py runs without a database).
"""
