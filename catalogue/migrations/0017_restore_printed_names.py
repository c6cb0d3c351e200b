"""Restore printed name forms and the new record fields from the import history (issue 14).

For each completed (not undone, not failed) import batch that still holds its source bytes,
oldest first, the source is parsed again and each entry that created, updated or was imported
as a probable duplicate of a still existing article gives that article back what the source
printed:

- the authorships' printed names (family, given, particle, suffix, corporate), when the article
  has as many authorships as the entry has authors (otherwise the list was edited since);
- the citation key, `et_al`, the pages as printed (with the page numbers derived from them)
  and the book, series, report, thesis and e-print fields, each only where it is still empty;
- the contributors (editors, translators, ...), when the article has none.

People (Author rows) stay as they are: which person an authorship names is not changed.

Until issue 14 a completed import kept no source (the bytes were kept only between preview and
confirmation), so on most catalogues this restores nothing, and quickly; migration 0016 has
already copied every authorship's printed name from its person.
"""

from django.db import migrations

# Printed name parts of an Authorship/Contributor: (entry Name attribute, column, max length).
NAME_PARTS = (
    ("family", "family_name", 255),
    ("given", "given_names", 255),
    ("particle", "particle", 50),
    ("suffix", "suffix", 50),
    ("corporate", "corporate_name", 500),
)
# Record text columns filled where empty: column -> (max length, cut rather than left out).
RECORD_TEXTS = {
    "book_title": (1000, True),
    "edition": (100, False),
    "series": (500, True),
    "series_number": (100, False),
    "place": (255, True),
    "isbn": (255, False),
    "chapter": (100, False),
    "report_number": (255, False),
    "genre": (255, True),
    "howpublished": (1000, True),
    "eprint": (255, False),
    "eprint_type": (50, False),
    "eprint_class": (100, False),
    "accessed": (50, False),
    "date_text": (100, False),
}
ROLES = {
    "editor",
    "translator",
    "book-author",
    "series-editor",
    "compiler",
    "annotator",
    "commentator",
    "introduction",
    "foreword",
    "afterword",
}
IMPORTED = ("created", "updated", "probable")
ARTICLE_COLUMNS = ("citation_key", "et_al", "pages", "first_page", "last_page", *RECORD_TEXTS)
CHUNK = 900


def printed_parts(name) -> dict[str, str]:
    return {column: (getattr(name, part, "") or "")[:limit] for part, column, limit in NAME_PARTS}


def parse_source(batch_source: bytes, filename: str, encoding: str):
    """Return the entries of a stored source as the importer parsed them, or None."""
    from catalogue import conf
    from catalogue.formats import bibtex

    limits = {
        "max_field_length": conf.get("CATALOGUE_IMPORT_MAX_FIELD_LENGTH"),
        "max_nesting": conf.get("CATALOGUE_IMPORT_MAX_NESTING"),
    }
    try:
        result = bibtex.parse_bytes(batch_source, source=filename, **limits)
        if encoding and result.encoding != encoding:
            # Decoded as the import did, if that encoding is known here.
            try:
                text = batch_source.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                return result.entries
            result = bibtex.parse_text(text, source=filename, **limits)
    except bibtex.BibTeXError:
        return None
    return result.entries


def entry_of(entries_by_line: dict, entries_by_key: dict, line: int, key: str):
    """Return the entry of a record: same line and key, else the only entry with that key."""
    entry = entries_by_line.get(line)
    if entry is not None and entry.key == key:
        return entry
    same_key = entries_by_key.get(key, [])
    return same_key[0] if len(same_key) == 1 else None


def article_changes(article: dict, entry) -> dict:
    """Return the article columns the entry fills (only those still empty)."""
    from catalogue.pages import page_numbers, printed_pages

    changes = {}
    if not article["citation_key"] and entry.key:
        changes["citation_key"] = entry.key[:255]
    if not article["et_al"] and entry.et_al:
        changes["et_al"] = True
    pages = printed_pages(entry.pages or "")
    if not article["pages"] and pages and len(pages) <= 100:
        first, last = page_numbers(pages)
        changes["pages"] = pages
        if article["first_page"] is None:
            changes["first_page"], changes["last_page"] = first, last
    for column, (limit, cut) in RECORD_TEXTS.items():
        value = (getattr(entry, column, "") or "").strip()
        if article[column] or not value or (len(value) > limit and not cut):
            continue
        changes[column] = value[:limit]
    return changes


def entry_contributors(entry) -> list[tuple[str, int, dict[str, str]]]:
    roles = dict(getattr(entry, "contributors", None) or {})
    if getattr(entry, "editors", None) and not roles.get("editor"):
        roles["editor"] = list(entry.editors)
    rows = []
    for role, names in roles.items():
        if role not in ROLES:
            continue
        position = 0
        for name in names:
            parts = printed_parts(name)
            if not (parts["family_name"].strip() or parts["corporate_name"].strip()):
                if not parts["given_names"].strip():
                    continue
                parts["family_name"], parts["given_names"] = parts["given_names"], ""
            position += 1
            rows.append((role, position, parts))
    return rows


def restore(apps, schema_editor):
    ImportBatch = apps.get_model("catalogue", "ImportBatch")
    batches = list(
        ImportBatch.objects.filter(status="completed", finished__isnull=False)
        .order_by("created", "pk")
        .values_list("pk", flat=True)
    )
    for pk in batches:
        batch = ImportBatch.objects.only("source", "filename", "encoding").get(pk=pk)
        source = bytes(batch.source or b"")
        if not source.strip():
            continue
        entries = parse_source(source, batch.filename, batch.encoding)
        if entries:
            restore_batch(apps, pk, entries)


def restore_batch(apps, batch_id: int, entries: list) -> None:
    """Restore what the entries of one batch printed onto the articles it wrote."""
    Article = apps.get_model("catalogue", "Article")
    Authorship = apps.get_model("catalogue", "Authorship")
    Contributor = apps.get_model("catalogue", "Contributor")
    ImportRecord = apps.get_model("catalogue", "ImportRecord")

    by_line = {entry.line: entry for entry in entries}
    by_key: dict[str, list] = {}
    for entry in entries:
        by_key.setdefault(entry.key, []).append(entry)
    matched = {}
    for article_id, line, key in (
        ImportRecord.objects.filter(batch_id=batch_id, action__in=IMPORTED, article__isnull=False)
        .order_by("pk")
        .values_list("article_id", "line", "key")
    ):
        entry = entry_of(by_line, by_key, line, key)
        if entry is not None:
            matched[article_id] = entry
    ids = sorted(matched)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        articles = {
            row["pk"]: row
            for row in Article.objects.filter(pk__in=chunk).values("pk", *ARTICLE_COLUMNS)
        }
        authorships: dict[int, list] = {}
        for authorship in Authorship.objects.filter(article_id__in=chunk).order_by(
            "article_id", "position"
        ):
            authorships.setdefault(authorship.article_id, []).append(authorship)
        with_contributors = set(
            Contributor.objects.filter(article_id__in=chunk).values_list("article_id", flat=True)
        )
        changed_authorships, changed_articles, new_contributors = [], [], []
        columns: set[str] = set()
        for article_id in chunk:
            article, entry = articles.get(article_id), matched[article_id]
            if article is None:
                continue
            rows = authorships.get(article_id, [])
            if rows and len(rows) == len(entry.authors):
                for authorship, name in zip(rows, entry.authors, strict=True):
                    for column, value in printed_parts(name).items():
                        setattr(authorship, column, value)
                    changed_authorships.append(authorship)
            changes = article_changes(article, entry)
            if changes:
                columns.update(changes)
                changed_articles.append((article_id, changes))
            if article_id not in with_contributors:
                new_contributors.extend(
                    Contributor(article_id=article_id, role=role, position=position, **parts)
                    for role, position, parts in entry_contributors(entry)
                )
        if changed_authorships:
            Authorship.objects.bulk_update(
                changed_authorships, [column for _, column, _ in NAME_PARTS], batch_size=500
            )
        if changed_articles:
            fields = sorted(columns)
            objects = []
            for article_id, changes in changed_articles:
                values = {name: articles[article_id][name] for name in fields}
                values.update(changes)
                objects.append(Article(pk=article_id, **values))
            Article.objects.bulk_update(objects, fields, batch_size=500)
        Contributor.objects.bulk_create(new_contributors, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0016_record_fidelity"),
    ]

    operations = [migrations.RunPython(restore, migrations.RunPython.noop, elidable=True)]
