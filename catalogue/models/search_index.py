"""The search index's tables, as unmanaged models: readable with the ORM, written by the database.

Django creates and changes none of these tables (`managed = False`): the migrations install
them from catalogue/search/sql/, and database triggers keep them current on every write to
the catalogue (docs/search-index.md maps every table, function and trigger). Write nothing
to them from Python: the next trigger run would undo it or count it twice.

PostgreSQL has SearchIndexRow, SearchIndexFacetCount, SearchIndexWord, SearchIndexPending,
SearchIndexOutbox and SearchIndexOutboxState; SQLite has SearchIndexText, SearchIndexTextWords
and SearchIndexVocabulary; both have SearchIndexState. Querying a model of the other backend
fails: its table does not exist there.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.db import models


class SearchIndexTable(models.Model):
    """Base of the index's models: unmanaged, without permissions (nobody edits them)."""

    class Meta:
        abstract = True
        managed = False
        default_permissions = ()

    def __str__(self) -> str:
        """Return the table and the row's key, e.g. "catalogue_search 12"."""
        return f"{self._meta.db_table} {self.pk}"


class SearchIndexState(SearchIndexTable):
    """catalogue_search_state (both backends): the index's one-row generation counter.

    Every trigger that changes the index sets `generation` to a new value (PostgreSQL: from
    the sequence catalogue_search_generation, never reused; SQLite: random); the search
    result cache keys on it.
    """

    id = models.IntegerField(primary_key=True)
    generation = models.BigIntegerField()

    class Meta(SearchIndexTable.Meta):
        db_table = "catalogue_search_state"


class SearchIndexRow(SearchIndexTable):
    """catalogue_search (PostgreSQL): one row per article, its document and facet columns.

    Written by catalogue_search_refresh() (from the view catalogue_search_source), which the
    statement triggers on articles, authorships, keyword and subject links, keywords and
    authors call; the search statements (catalogue.search.postgres) read it.
    """

    article_id = models.BigIntegerField(primary_key=True)
    # Weighted: title A, keywords B, abstract C, author names D. Stored in TOAST.
    document = SearchVectorField()
    # hash(article id) mod 1024: counts above the exact threshold read the rows below a cut.
    sample = models.SmallIntegerField()
    year = models.SmallIntegerField(null=True)
    # year * 10000 + month * 100 + day (0 when unknown), for the date sorts.
    date_key = models.IntegerField(null=True)
    output_type = models.CharField(max_length=30)
    language = models.CharField(max_length=3)
    peer_reviewed = models.BooleanField()
    journal_id = models.BigIntegerField(null=True)
    keyword_ids = ArrayField(models.BigIntegerField())
    author_ids = ArrayField(models.BigIntegerField())
    subject_ids = ArrayField(models.BigIntegerField())
    # The title folded (lower case, no accents, no markup), first 120 characters: title sort.
    title_key = models.TextField()

    class Meta(SearchIndexTable.Meta):
        db_table = "catalogue_search"


class SearchIndexFacetCount(SearchIndexTable):
    """catalogue_search_facet (PostgreSQL): how many articles of the whole catalogue have a value.

    One row per (facet, value), e.g. ("keyword", "12"), and ("total", "*") for the catalogue's
    size. Kept by catalogue_search_refresh() from the rows it writes and removes, and rebuilt
    by catalogue_search_recount() after a bulk load; counts may reach 0.
    """

    pk = models.CompositePrimaryKey("facet", "value")
    facet = models.CharField(max_length=16)
    value = models.TextField()
    count = models.BigIntegerField()

    class Meta(SearchIndexTable.Meta):
        db_table = "catalogue_search_facet"


class SearchIndexWord(SearchIndexTable):
    """catalogue_search_word (PostgreSQL): the unstemmed words of titles, keywords and names.

    Added by catalogue_search_refresh() (never removed); "did you mean" looks them up by
    trigram similarity (pg_trgm).
    """

    word = models.TextField(primary_key=True)

    class Meta(SearchIndexTable.Meta):
        db_table = "catalogue_search_word"


class SearchIndexPending(SearchIndexTable):
    """catalogue_search_pending (PostgreSQL): article ids queued by a bulk statement.

    catalogue_search_touch() queues the ids of a statement touching more than
    `catalogue.search_defer_rows` articles; a deferred trigger indexes and deletes them when
    the transaction commits. Empty between transactions.
    """

    id = models.BigAutoField(primary_key=True)
    article_ids = ArrayField(models.BigIntegerField())

    class Meta(SearchIndexTable.Meta):
        db_table = "catalogue_search_pending"


class TransactionIdField(models.BigIntegerField):
    """A PostgreSQL xid8 (a transaction id with its epoch), read as an int."""

    def db_type(self, connection) -> str:
        """Return the column type: xid8."""
        return "xid8"


class SearchIndexOutbox(SearchIndexTable):
    """catalogue_search_outbox (PostgreSQL): the articles whose index row changed, in order.

    Appended to by statement triggers on catalogue_search once a node's embedded index is
    built (catalogue/search/tantivy/outbox.py reads it; `search_index sync` prunes it).
    """

    seq = models.BigAutoField(primary_key=True)
    # None: every article (catalogue_search was truncated).
    article_id = models.BigIntegerField(null=True)
    txid = TransactionIdField()
    created = models.DateTimeField()

    class Meta(SearchIndexTable.Meta):
        db_table = "catalogue_search_outbox"


class SearchIndexOutboxState(SearchIndexTable):
    """catalogue_search_outbox_state (PostgreSQL): whether the outbox is filled, and how far
    its rows were pruned (a node behind that is rebuilt)."""

    id = models.IntegerField(primary_key=True)
    enabled = models.BooleanField()
    pruned_through = models.BigIntegerField()

    class Meta(SearchIndexTable.Meta):
        db_table = "catalogue_search_outbox_state"


class SearchIndexText(SearchIndexTable):
    """catalogue_search_fts (SQLite): the FTS5 table, one row per article (rowid = article id).

    Porter stemming, accents removed. Rewritten by the row triggers on articles,
    authorships, keyword links, keywords and authors (catalogue/search/sql/sqlite/).
    """

    article_id = models.BigIntegerField(primary_key=True, db_column="rowid")
    title = models.TextField()
    keywords = models.TextField()
    authors = models.TextField()
    abstract = models.TextField()

    class Meta(SearchIndexTable.Meta):
        db_table = "catalogue_search_fts"


class SearchIndexTextWords(SearchIndexTable):
    """catalogue_search_words (SQLite): unstemmed title, keyword and name words per article.

    An FTS5 table (rowid = article id) written by the same triggers as SearchIndexText;
    its vocabulary (SearchIndexVocabulary) serves "did you mean".
    """

    article_id = models.BigIntegerField(primary_key=True, db_column="rowid")
    words = models.TextField()

    class Meta(SearchIndexTable.Meta):
        db_table = "catalogue_search_words"


class SearchIndexVocabulary(SearchIndexTable):
    """catalogue_search_vocabulary (SQLite): every word of catalogue_search_words, with counts.

    An fts5vocab table (read-only, computed by SQLite): `doc` articles contain the word
    `cnt` times in all.
    """

    term = models.TextField(primary_key=True)
    doc = models.IntegerField()
    cnt = models.IntegerField()

    class Meta(SearchIndexTable.Meta):
        db_table = "catalogue_search_vocabulary"
