"""Articles (research outputs), their ordered authorships, output types and states."""

import calendar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Prefetch, Q
from django.urls import reverse

from catalogue import identifiers
from catalogue.models.bibliography import Author, Journal, Keyword, SubjectArea
from catalogue.models.names import PrintedName
from catalogue.pages import page_numbers, printed_pages


class OutputType(models.TextChoices):
    ARTICLE = "article", "Article"
    REVIEW = "review", "Review article"
    EDITORIAL = "editorial", "Editorial"
    LETTER = "letter", "Letter"
    COMMENT = "comment", "Comment/debate"
    CONFERENCE_PAPER = "conference-paper", "Conference paper"
    CONFERENCE_ABSTRACT = "conference-abstract", "Conference abstract"
    BOOK = "book", "Book"
    CHAPTER = "chapter", "Chapter"
    REPORT = "report", "Report"
    THESIS = "thesis", "Doctoral thesis"
    PREPRINT = "preprint", "Preprint"
    DATASET = "dataset", "Dataset"
    WEBPAGE = "webpage", "Web publication"
    OTHER = "other", "Other contribution"


class PublicationState(models.TextChoices):
    PUBLISHED = "published", "Published"
    IN_PRESS = "in-press", "E-pub ahead of print"
    ACCEPTED = "accepted", "Accepted/In press"
    SUBMITTED = "submitted", "Submitted"


class ArticleQuerySet(models.QuerySet):
    def with_related(self) -> "ArticleQuerySet":
        """Return the articles with journal, authors, keywords, subjects and contributors loaded."""
        return self.select_related("journal").prefetch_related(
            Prefetch(
                "authorships",
                queryset=Authorship.objects.select_related("author").order_by("position"),
            ),
            "keywords",
            "subject_areas",
            "contributors",
        )

    def for_listing(self) -> "ArticleQuerySet":
        """Return the articles with what a result list shows (journal, ordered authors)."""
        return self.select_related("journal").prefetch_related(
            Prefetch(
                "authorships",
                queryset=Authorship.objects.select_related("author").order_by("position"),
            )
        )

    def newest_first(self) -> "ArticleQuerySet":
        """Return the articles ordered by state date, newest first; undated ones last."""
        return self.order_by(
            F("year").desc(nulls_last=True),
            F("month").desc(nulls_last=True),
            F("day").desc(nulls_last=True),
            "-pk",
        )

    def published(self) -> "ArticleQuerySet":
        """Return only the articles in the published state."""
        return self.filter(state=PublicationState.PUBLISHED)

    def with_doi(self, doi: str) -> "ArticleQuerySet":
        """Return the article(s) whose DOI equals `doi` in any case or prefix form."""
        return self.filter(doi=identifiers.normalise_doi(doi)).exclude(doi="")


# Text columns of books, chapters, reports, theses and other non-article records, as printed.
RECORD_TEXT_FIELDS = (
    "book_title",
    "edition",
    "series",
    "series_number",
    "place",
    "isbn",
    "chapter",
    "report_number",
    "genre",
    "howpublished",
    "eprint",
    "eprint_type",
    "eprint_class",
    "accessed",
    "date_text",
)


def _text(verbose_name: str, max_length: int = 255, help_text: str = "") -> models.CharField:
    # A database default: adding the column rewrites no row, and bulk writers need not name it.
    return models.CharField(
        verbose_name,
        max_length=max_length,
        blank=True,
        default="",
        db_default="",
        help_text=help_text,
    )


# The columns that describe an article's publication: what an import writes (with the
# journal) and undo restores, and what citations and exports read.
BIBLIOGRAPHIC_FIELDS = (
    "output_type",
    "title",
    "abstract",
    "language",
    "volume",
    "issue",
    "pages",
    "first_page",
    "last_page",
    "article_number",
    "page_count",
    "state",
    "year",
    "month",
    "day",
    "doi",
    "pmid",
    "url",
    "bibliographical_note",
    "publisher",
    *RECORD_TEXT_FIELDS,
    "et_al",
    "citation_key",
)


class Article(models.Model):
    output_type = models.CharField(
        "research output type",
        max_length=30,
        choices=OutputType.choices,
        default=OutputType.ARTICLE,
    )
    peer_reviewed = models.BooleanField(default=False)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    language = models.CharField(
        "original language",
        max_length=3,
        blank=True,
        validators=[identifiers.validate_language],
        help_text="ISO 639 code, e.g. en.",
    )
    # No index of its own: article_journal_year (journal, year) serves every lookup by journal,
    # and each index is written by every import (migration 0030).
    journal = models.ForeignKey(
        Journal,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
        db_index=False,
    )
    # A book's, report's, thesis's or dataset's own publisher (or school, institution), or
    # one that differs from the journal's; otherwise the journal's publisher is the record's.
    publisher = models.CharField(
        max_length=255,
        blank=True,
        default="",
        db_default="",
        help_text="Leave empty when it is the journal's publisher.",
    )
    volume = models.CharField(max_length=50, blank=True)
    issue = models.CharField("issue number", max_length=50, blank=True)
    pages = _text(
        "pages",
        100,
        "As printed: “311–325”, “E3313–E3322”, “052102”, “xii–xv”, “123–”.",
    )
    # Derived from `pages` when it is plain numbers (never edited): page counts and sorting.
    first_page = models.PositiveIntegerField(null=True, blank=True, editable=False)
    last_page = models.PositiveIntegerField(null=True, blank=True, editable=False)
    article_number = models.CharField(
        max_length=50,
        blank=True,
        help_text="Electronic article number used instead of pages, e.g. aac4716 or e0123.",
    )
    page_count = models.PositiveIntegerField(
        "number of pages",
        null=True,
        blank=True,
        help_text="Derived from the page range when left empty.",
    )
    state = models.CharField(
        max_length=20, choices=PublicationState.choices, default=PublicationState.PUBLISHED
    )
    # The state's date at year, month or day precision: "Published - May 2017".
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1000), MaxValueValidator(2999)]
    )
    month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    doi = models.CharField(
        "DOI",
        max_length=255,
        blank=True,
        validators=[identifiers.validate_doi],
        help_text="Stored lower-case without https://doi.org/, e.g. 10.1037/a0040435.",
    )
    pmid = models.CharField(
        "PMID", max_length=9, blank=True, validators=[identifiers.validate_pmid]
    )
    url = models.URLField("URL", max_length=1000, blank=True)
    bibliographical_note = models.TextField(
        blank=True, help_text="e.g. the publisher copyright line."
    )
    book_title = _text(
        "book title",
        1000,
        "The book a chapter or paper is in, unless kept as the journal.",
    )
    edition = _text("edition", 100)
    series = _text("series", 500)
    series_number = _text("number in series", 100)
    place = _text("place of publication", 255)
    isbn = _text("ISBN", 255, "As printed; several are kept as printed.")
    chapter = _text("chapter", 100)
    report_number = _text("report number", 255)
    genre = _text("type", 255, "Thesis or report type as printed, e.g. “PhD thesis”.")
    howpublished = _text("how published", 1000)
    eprint = _text("e-print identifier", 255, "e.g. arXiv 2101.00001.")
    eprint_type = _text("e-print archive", 50, "e.g. arXiv.")
    eprint_class = _text("e-print class", 100, "e.g. cs.CL.")
    accessed = _text("accessed", 50, "When the URL was visited, as written (urldate).")
    date_text = _text(
        "date as written",
        100,
        "Kept when year, month and day cannot say it: “1978/79”, “300 BC”.",
    )
    et_al = models.BooleanField(
        "author list incomplete",
        default=False,
        db_default=False,
        help_text="The source ended the author list with “and others”.",
    )
    citation_key = _text(
        "citation key", 255, "The source entry's key; made from author and year otherwise."
    )
    authors = models.ManyToManyField(Author, through="Authorship", related_name="articles")
    keywords = models.ManyToManyField(Keyword, blank=True, related_name="articles")
    subject_areas = models.ManyToManyField(SubjectArea, blank=True, related_name="articles")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = [
            F("year").desc(nulls_last=True),
            F("month").desc(nulls_last=True),
            F("day").desc(nulls_last=True),
            "-pk",
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["doi"],
                condition=~Q(doi=""),
                name="article_unique_doi",
                violation_error_message="Another article already has this DOI.",
            ),
            models.CheckConstraint(
                condition=Q(last_page__isnull=True)
                | (Q(first_page__isnull=False) & Q(last_page__gte=F("first_page"))),
                name="article_last_page_not_before_first",
                violation_error_message="The last page cannot come before the first page.",
            ),
            models.CheckConstraint(
                condition=Q(month__isnull=True) | Q(month__gte=1, month__lte=12),
                name="article_month_range",
                violation_error_message="The month must be between 1 and 12.",
            ),
            models.CheckConstraint(
                condition=Q(day__isnull=True) | Q(day__gte=1, day__lte=31),
                name="article_day_range",
                violation_error_message="The day must be between 1 and 31.",
            ),
            models.CheckConstraint(
                condition=(Q(month__isnull=True) | Q(year__isnull=False))
                & (Q(day__isnull=True) | Q(month__isnull=False)),
                name="article_date_precision",
                violation_error_message="A day needs a month, and a month needs a year.",
            ),
        ]
        indexes = [
            models.Index(fields=["year"], name="article_year"),
            models.Index(fields=["output_type"], name="article_output_type"),
            models.Index(fields=["language"], name="article_language"),
            models.Index(fields=["peer_reviewed"], name="article_peer_reviewed"),
            models.Index(fields=["state"], name="article_state"),
            models.Index(fields=["journal", "year"], name="article_journal_year"),
            models.Index(fields=["pmid"], name="article_pmid"),
            models.Index(fields=["citation_key"], name="article_citation_key"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalogue:article-detail", args=[self.pk])

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def publisher_name(self) -> str:
        """Return the article's own publisher, else its journal's, else ""."""
        if self.publisher:
            return self.publisher
        return self.journal.publisher if self.journal_id and self.journal else ""

    @property
    def pages_or_number(self) -> str:
        """Return the pages as printed, else the article number, else ""."""
        return self.pages or self.article_number

    @property
    def number_of_pages(self) -> int | None:
        """Return the stored page count, else the count derived from the page range."""
        if self.page_count:
            return self.page_count
        if self.first_page and self.last_page:
            return self.last_page - self.first_page + 1
        return None

    @property
    def date_display(self) -> str:
        """Return the state date at its precision: "2017", "May 2017" or "3 May 2017"."""
        if not self.year:
            return ""
        if not self.month:
            return str(self.year)
        month = calendar.month_name[self.month]
        if not self.day:
            return f"{month} {self.year}"
        return f"{self.day} {month} {self.year}"

    @property
    def state_display(self) -> str:
        """Return the state with its date, as a research portal shows it: "Published - May 2017"."""
        label = self.get_state_display()
        date = self.date_display
        return f"{label} - {date}" if date else label

    @property
    def language_name(self) -> str:
        return identifiers.language_name(self.language) if self.language else ""

    @property
    def ordered_authorships(self) -> list["Authorship"]:
        """Return the authorships in position order (uses the prefetch when present)."""
        return sorted(self.authorships.all(), key=lambda authorship: authorship.position)

    def clean_fields(self, exclude=None) -> None:
        # Librarians paste DOIs as resolver links; store and validate the bare form.
        self.doi = identifiers.normalise_doi(self.doi)
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.month and not self.year:
            errors["year"] = "A month needs a year."
        if self.day and not self.month:
            errors["month"] = "A day needs a month."
        if self.year and self.month and self.day:
            last_day = calendar.monthrange(self.year, self.month)[1]
            if self.day > last_day:
                month_name = calendar.month_name[self.month]
                errors["day"] = f"{month_name} {self.year} has {last_day} days."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        self.doi = identifiers.normalise_doi(self.doi)
        self.derive_page_numbers()
        if self.page_count is None and self.first_page and self.last_page:
            self.page_count = self.last_page - self.first_page + 1
        super().save(*args, **kwargs)

    def derive_page_numbers(self) -> None:
        """Set first_page/last_page from the printed pages (plain numbers only)."""
        if not self.pages and self.first_page:
            # Code that still sets numbers (fixtures, the synthetic catalogue) prints them.
            self.pages = printed_pages(
                f"{self.first_page}-{self.last_page}"
                if self.last_page and self.last_page != self.first_page
                else str(self.first_page)
            )
        self.first_page, self.last_page = page_numbers(self.pages)


class Authorship(PrintedName):
    """One author slot of an article: the name as printed, and the person (Author) it names."""

    # No indexes of their own: authorship_unique_position (article, position) and
    # authorship_author_article (author, article) lead with them (migration 0030).
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="authorships", db_index=False
    )
    author = models.ForeignKey(
        Author, on_delete=models.PROTECT, related_name="authorships", db_index=False
    )
    position = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text="1 for the first author."
    )
    affiliation = models.TextField(blank=True)

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "position"],
                name="authorship_unique_position",
                violation_error_message="Two authors cannot share one position.",
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1),
                name="authorship_position_positive",
                violation_error_message="Positions start at 1.",
            ),
        ]
        indexes = [models.Index(fields=["author", "article"], name="authorship_author_article")]

    def __str__(self) -> str:
        return f"{self.position}. {self.printed_name or self.author}"

    @property
    def shown_name(self) -> PrintedName | Author:
        """Return what the slot shows: its printed form, else (none stored) its person."""
        return self if self.has_printed_name else self.author

    def save(self, *args, **kwargs) -> None:
        # A slot is never nameless: without a printed form it shows its person's name.
        if not self.has_printed_name and self.author_id:
            self.copy_name_from(self.author)
        super().save(*args, **kwargs)
