"""The catalogue's records: journals, authors, keywords, subject areas and articles."""

import calendar
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Prefetch, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.text import slugify

from catalogue import identifiers


def fold(text: str) -> str:
    """Return `text` lower-cased without accents, for case- and accent-insensitive matching."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


class Journal(models.Model):
    title = models.CharField(max_length=500)
    abbreviated_title = models.CharField(
        max_length=255,
        blank=True,
        help_text="NLM/ISO 4 abbreviation used by Vancouver and AMA, e.g. “Am Psychol”.",
    )
    issn_print = models.CharField(
        "print ISSN",
        max_length=9,
        blank=True,
        validators=[identifiers.validate_issn],
        help_text="NNNN-NNNC, e.g. 0003-066X.",
    )
    issn_electronic = models.CharField(
        "electronic ISSN",
        max_length=9,
        blank=True,
        validators=[identifiers.validate_issn],
        help_text="NNNN-NNNC, e.g. 1935-990X.",
    )
    publisher = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["issn_print"],
                condition=~Q(issn_print=""),
                name="journal_unique_issn_print",
                violation_error_message="Another journal already has this print ISSN.",
            ),
            models.UniqueConstraint(
                fields=["issn_electronic"],
                condition=~Q(issn_electronic=""),
                name="journal_unique_issn_electronic",
                violation_error_message="Another journal already has this electronic ISSN.",
            ),
        ]
        indexes = [models.Index(Lower("title"), name="journal_title_lower")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalogue:journal-detail", args=[self.pk])

    @property
    def issns(self) -> list[str]:
        """Return the journal's ISSNs, print first."""
        return [issn for issn in (self.issn_print, self.issn_electronic) if issn]

    def clean_fields(self, exclude=None) -> None:
        # Normalise before the field validators see the value ("0003066x" is fine).
        self.issn_print = identifiers.normalise_issn(self.issn_print)
        self.issn_electronic = identifiers.normalise_issn(self.issn_electronic)
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        if self.issn_print and self.issn_print == self.issn_electronic:
            raise ValidationError(
                {"issn_electronic": "The electronic ISSN must differ from the print ISSN."}
            )

    def save(self, *args, **kwargs) -> None:
        self.issn_print = identifiers.normalise_issn(self.issn_print)
        self.issn_electronic = identifiers.normalise_issn(self.issn_electronic)
        super().save(*args, **kwargs)


class Author(models.Model):
    family_name = models.CharField(max_length=255, blank=True)
    given_names = models.CharField(max_length=255, blank=True)
    particle = models.CharField(
        max_length=50, blank=True, help_text="Name particle such as “van der” or “de la”."
    )
    suffix = models.CharField(max_length=50, blank=True, help_text="e.g. “Jr.” or “III”.")
    corporate_name = models.CharField(
        max_length=500,
        blank=True,
        help_text="For a group or organisation (“Open Science Collaboration”); "
        "leave the personal name fields empty.",
    )
    orcid = models.CharField(
        "ORCID iD",
        max_length=19,
        blank=True,
        validators=[identifiers.validate_orcid],
        help_text="0000-0000-0000-000X",
    )

    class Meta:
        ordering = ["family_name", "given_names", "corporate_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["orcid"],
                condition=~Q(orcid=""),
                name="author_unique_orcid",
                violation_error_message="Another author already has this ORCID iD.",
            ),
            models.CheckConstraint(
                condition=~Q(family_name="") | ~Q(corporate_name=""),
                name="author_has_a_name",
                violation_error_message="An author needs a family name or a corporate name.",
            ),
            models.CheckConstraint(
                condition=Q(corporate_name="") | (Q(family_name="") & Q(given_names="")),
                name="author_corporate_or_personal",
                violation_error_message="An author is either a person or a corporate body, "
                "not both.",
            ),
        ]
        indexes = [
            models.Index(Lower("family_name"), name="author_family_name_lower"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("catalogue:author-detail", args=[self.pk])

    @property
    def is_corporate(self) -> bool:
        return bool(self.corporate_name)

    @property
    def full_family_name(self) -> str:
        """Return the family name with its particle ("van der Berg")."""
        return " ".join(part for part in (self.particle, self.family_name) if part)

    @property
    def display_name(self) -> str:
        """Return the name as written: "Sigal Zilcha-Mano", "Martin Luther King Jr."."""
        if self.corporate_name:
            return self.corporate_name
        name = " ".join(part for part in (self.given_names, self.full_family_name) if part)
        return f"{name} {self.suffix}" if self.suffix else name

    @property
    def sort_name(self) -> str:
        """Return the inverted name used in lists: "Zilcha-Mano, Sigal"."""
        if self.corporate_name:
            return self.corporate_name
        name = self.full_family_name
        if self.given_names:
            name = f"{name}, {self.given_names}"
        return f"{name}, {self.suffix}" if self.suffix else name

    @property
    def orcid_url(self) -> str:
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""

    def clean_fields(self, exclude=None) -> None:
        self.orcid = identifiers.normalise_orcid(self.orcid)
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs) -> None:
        self.orcid = identifiers.normalise_orcid(self.orcid)
        super().save(*args, **kwargs)


class Keyword(models.Model):
    term = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True, allow_unicode=False)

    class Meta:
        ordering = ["term"]
        constraints = [
            models.UniqueConstraint(
                Lower("term"),
                name="keyword_unique_term_ci",
                violation_error_message="This keyword already exists (keywords ignore case).",
            ),
        ]

    def __str__(self) -> str:
        return self.term

    def get_absolute_url(self) -> str:
        return reverse("catalogue:keyword-detail", args=[self.slug])

    def save(self, *args, **kwargs) -> None:
        self.term = " ".join(self.term.split())
        if not self.slug:
            self.slug = self.unique_slug(self.term)
        super().save(*args, **kwargs)

    @classmethod
    def unique_slug(cls, term: str) -> str:
        """Return a slug for `term` not yet used by another keyword."""
        base = slugify(fold(term))[:240] or "keyword"
        slug, counter = base, 2
        while cls.objects.filter(slug=slug).exists():
            slug = f"{base}-{counter}"
            counter += 1
        return slug


class SubjectArea(models.Model):
    code = models.CharField(
        max_length=20, blank=True, help_text="Classification code, e.g. ASJC 3200."
    )
    name = models.CharField(max_length=255)
    scheme = models.CharField(max_length=50, default="ASJC", help_text="e.g. ASJC, ANZSRC.")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="Broader field, e.g. Psychology for General Psychology.",
    )

    class Meta:
        ordering = ["scheme", "code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "code"],
                condition=~Q(code=""),
                name="subject_unique_code",
                violation_error_message="A subject area with this code already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalogue:subject-detail", args=[self.pk])


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
        """Return the articles with journal, ordered authors, keywords and subjects loaded."""
        return self.select_related("journal").prefetch_related(
            Prefetch(
                "authorships",
                queryset=Authorship.objects.select_related("author").order_by("position"),
            ),
            "keywords",
            "subject_areas",
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


# The columns that describe an article's publication: what an import writes (with the
# journal) and undo restores, and what citations and exports read.
BIBLIOGRAPHIC_FIELDS = (
    "output_type",
    "title",
    "abstract",
    "language",
    "volume",
    "issue",
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
    journal = models.ForeignKey(
        Journal, null=True, blank=True, on_delete=models.PROTECT, related_name="articles"
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
    first_page = models.PositiveIntegerField(null=True, blank=True)
    last_page = models.PositiveIntegerField(null=True, blank=True)
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
    def pages(self) -> str:
        """Return the page range ("311-325"), single page, or article number, or ""."""
        if self.first_page and self.last_page and self.last_page != self.first_page:
            return f"{self.first_page}-{self.last_page}"
        if self.first_page:
            return str(self.first_page)
        return self.article_number

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
        if self.last_page is not None and self.first_page is None:
            errors["first_page"] = "A last page needs a first page."
        elif (
            self.first_page is not None
            and self.last_page is not None
            and self.last_page < self.first_page
        ):
            errors["last_page"] = "The last page cannot come before the first page."
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
        if self.page_count is None and self.first_page and self.last_page:
            self.page_count = self.last_page - self.first_page + 1
        super().save(*args, **kwargs)


class Authorship(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="authorships")
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
        return f"{self.position}. {self.author}"


# --- BibTeX import -----------------------------------------------------------------------------
# Owned by the import work (catalogue/importer.py): one ImportBatch per imported file or pasted
# text, one ImportRecord per entry that matched or touched an article, so that the history page
# can show what happened and undo can remove or restore it.


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Awaiting confirmation"
    PREVIEWED = "previewed", "Previewed (dry run)"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    UNDONE = "undone", "Undone"


class OnDuplicate(models.TextChoices):
    SKIP = "skip", "Skip: keep the existing record as it is"
    UPDATE = "update", "Update the existing record from the file"


class ImportBatch(models.Model):
    user = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_batches",
        help_text="Empty for imports run from the command line.",
    )
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    filename = models.CharField("file name", max_length=255)
    checksum = models.CharField("SHA-256 checksum", max_length=64)
    size = models.PositiveBigIntegerField("size in bytes")
    encoding = models.CharField(max_length=50, blank=True)
    on_duplicate = models.CharField(
        max_length=10, choices=OnDuplicate.choices, default=OnDuplicate.SKIP
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    # The uploaded bytes, kept only between preview and confirmation.
    source = models.BinaryField(blank=True, default=b"", editable=False)
    entry_count = models.PositiveIntegerField("entries in the source", default=0)
    created_count = models.PositiveIntegerField("created", default=0)
    updated_count = models.PositiveIntegerField("updated", default=0)
    duplicate_count = models.PositiveIntegerField("duplicates", default=0)
    probable_duplicate_count = models.PositiveIntegerField("probable duplicates", default=0)
    failed_count = models.PositiveIntegerField("failed", default=0)
    # [{"line", "key", "message", "raw", "severity"}, ...]
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why a failed import failed.")
    # Ids of the journals, authors and keywords this import created, for undo.
    created_objects = models.JSONField(default=dict, blank=True)
    undone = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = "import batches"
        permissions = [("import_bibtex", "Can import BibTeX")]
        indexes = [models.Index(fields=["status", "created"], name="importbatch_status_created")]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.filename}"

    def get_absolute_url(self) -> str:
        return reverse("catalogue:import-detail", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        return self.status == ImportStatus.PENDING

    @property
    def can_be_undone(self) -> bool:
        return self.status == ImportStatus.COMPLETED

    @property
    def warning_count(self) -> int:
        return sum(1 for problem in self.problems if problem.get("severity") == "warning")


class ImportAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DUPLICATE = "duplicate", "Duplicate"
    PROBABLE_DUPLICATE = "probable", "Probable duplicate (created)"


class ImportRecord(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="records")
    action = models.CharField(max_length=10, choices=ImportAction.choices)
    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_records",
        help_text="The article created, updated or matched.",
    )
    similar_to = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For a probable duplicate: the existing article it resembles.",
    )
    line = models.PositiveIntegerField(default=0)
    key = models.CharField("citation key", max_length=255, blank=True)
    title = models.TextField(blank=True)
    et_al = models.BooleanField(
        "author list truncated",
        default=False,
        help_text="The BibTeX author list ended with “and others”.",
    )
    note = models.TextField(blank=True, help_text="Why it matched, as shown in the preview.")
    # For an update: the article's fields, authorships, keywords and subjects before it.
    previous = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "line", "pk"]
        indexes = [models.Index(fields=["batch", "action"], name="importrecord_batch_action")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.key or self.title}"


# --- Evidence summaries ------------------------------------------------------------------------
# Owned by the evidence-summary work (catalogue/summaries.py): short answers to a patient's or
# clinician's question, written by a named expert from the literature, whose literature list
# links to the catalogue's articles.

# Imported here rather than at the top so that this section stays self-contained.
import datetime  # noqa: E402

from django.db import connections  # noqa: E402
from django.db.models import Exists, OuterRef  # noqa: E402
from django.utils import timezone  # noqa: E402


class Audience(models.TextChoices):
    PATIENTS = "patients", "Patients"
    CLINICIANS = "clinicians", "Clinicians"
    BOTH = "both", "Patients and clinicians"


class EvidenceSummaryQuerySet(models.QuerySet):
    def published(self, *, on: datetime.date | None = None) -> "EvidenceSummaryQuerySet":
        """Return the summaries published on or before `on` (today); drafts have no date."""
        return self.filter(published__isnull=False, published__lte=on or timezone.localdate())

    def newest_first(self) -> "EvidenceSummaryQuerySet":
        """Return the summaries newest first; undated drafts last."""
        return self.order_by(F("published").desc(nulls_last=True), "-pk")

    def for_listing(self) -> "EvidenceSummaryQuerySet":
        """Return the summaries with what a list shows (the author) loaded."""
        return self.select_related("author")

    def for_audience(self, audience: str) -> "EvidenceSummaryQuerySet":
        """Return the summaries written for `audience`; "patients" and "clinicians" include
        the summaries written for both."""
        if audience == Audience.BOTH:
            return self.filter(audience=Audience.BOTH)
        return self.filter(audience__in=[audience, Audience.BOTH])

    def citing(self, article: "Article | int") -> "EvidenceSummaryQuerySet":
        """Return the summaries whose literature list links to `article` (each once)."""
        entries = LiteratureEntry.objects.filter(article=article)
        return self.filter(pk__in=entries.values("summary"))

    def citing_keyword(self, keyword: "Keyword | str") -> "EvidenceSummaryQuerySet":
        """Return the summaries citing an article with `keyword` (a Keyword or its slug)."""
        lookup = {"article__keywords": keyword}
        if isinstance(keyword, str):
            lookup = {"article__keywords__slug": keyword}
        entries = LiteratureEntry.objects.filter(**lookup)
        return self.filter(pk__in=entries.values("summary"))

    def matching(self, query: str) -> "EvidenceSummaryQuerySet":
        """Return the summaries containing every word of `query` in their text, author name or
        literature; ignoring case (and accents on PostgreSQL)."""
        words = [word.strip("\"'“”‘’()[]{}.,;:!?") for word in query.split()]
        words = [word for word in dict.fromkeys(word.casefold() for word in words) if word]
        if not words:
            return self.none()
        # PostgreSQL folds accents with unaccent() (installed by migration 0004); SQLite's
        # LIKE ignores the case of ASCII letters only.
        vendor = connections[self.db].vendor
        contains = "unaccent__icontains" if vendor == "postgresql" else "icontains"
        conditions = []
        for word in words:
            condition = Q()
            for field in SUMMARY_SEARCH_FIELDS:
                condition |= Q(**{f"{field}__{contains}": word})
            cited = LiteratureEntry.objects.filter(
                summary=OuterRef("pk"), **{f"citation_text__{contains}": word}
            )
            conditions.append(condition | Q(Exists(cited)))
        return self.filter(*conditions)

    def with_unlinked_literature(self) -> "EvidenceSummaryQuerySet":
        """Return the summaries with at least one literature entry not linked to an article."""
        entries = LiteratureEntry.objects.filter(article__isnull=True)
        return self.filter(pk__in=entries.values("summary"))


SUMMARY_SEARCH_FIELDS = (
    "title",
    "question",
    "standfirst",
    "body",
    "author_bio",
    "author__family_name",
    "author__given_names",
    "author__corporate_name",
)


class EvidenceSummary(models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The end of the page's address; made from the title when left empty.",
    )
    question = models.TextField(
        help_text="The question as the patient or clinician asked it; shown as a quotation."
    )
    standfirst = models.CharField(
        max_length=500,
        help_text="The answer in one sentence, shown under the title.",
    )
    body = models.TextField(
        help_text="Markdown: “## Heading” for sections, blank lines between paragraphs, "
        "“- item” for bullet lists, *emphasis*, **strong**, [links](https://…). "
        "HTML, scripts and images are removed.",
    )
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="evidence_summaries")
    author_bio = models.TextField(
        "about the author", blank=True, help_text="A short biography shown after the summary."
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.BOTH)
    published = models.DateField(
        "publication date",
        null=True,
        blank=True,
        help_text="Empty while the summary is a draft: only published summaries are listed.",
    )
    last_reviewed = models.DateField("last reviewed", null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = EvidenceSummaryQuerySet.as_manager()

    class Meta:
        ordering = [F("published").desc(nulls_last=True), "-pk"]
        verbose_name_plural = "evidence summaries"
        constraints = [
            models.CheckConstraint(
                condition=Q(audience__in=Audience.values),
                name="summary_audience_valid",
                violation_error_message="Choose patients, clinicians or both.",
            ),
            models.CheckConstraint(
                condition=~Q(slug=""),
                name="summary_slug_not_empty",
                violation_error_message="A summary needs a slug.",
            ),
            models.CheckConstraint(
                condition=Q(last_reviewed__isnull=True)
                | (Q(published__isnull=False) & Q(last_reviewed__gte=F("published"))),
                name="summary_reviewed_after_published",
                violation_error_message="A summary is last reviewed on or after its publication.",
            ),
        ]
        indexes = [models.Index(fields=["published"], name="summary_published")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalogue:summary-detail", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.published is not None and self.published <= timezone.localdate()

    def clean(self) -> None:
        if self.last_reviewed and not self.published:
            raise ValidationError({"last_reviewed": "A draft cannot have been reviewed yet."})
        if self.last_reviewed and self.last_reviewed < self.published:
            raise ValidationError(
                {"last_reviewed": "The last review cannot come before the publication date."}
            )

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = self.unique_slug(self.title, exclude=self.pk)
        super().save(*args, **kwargs)

    @classmethod
    def unique_slug(cls, title: str, *, exclude: int | None = None) -> str:
        """Return a slug for `title` not yet used by another summary."""
        base = slugify(fold(title))[:190].strip("-") or "summary"
        slug, counter = base, 2
        while cls.objects.filter(slug=slug).exclude(pk=exclude).exists():
            slug = f"{base}-{counter}"
            counter += 1
        return slug


class LiteratureEntry(models.Model):
    summary = models.ForeignKey(
        EvidenceSummary, on_delete=models.CASCADE, related_name="literature"
    )
    position = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text="1 for the first entry of the list."
    )
    # SET_NULL: deleting a record turns the entry back into its citation text.
    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="summary_entries",
        help_text="The cited record; leave empty for a work not in the catalogue yet.",
    )
    citation_text = models.TextField(
        blank=True,
        help_text="The reference as written; shown when no record is linked. "
        "Filled in APA from the record when left empty.",
    )
    note = models.TextField(blank=True, help_text="Optional remark shown under the reference.")

    class Meta:
        ordering = ["summary", "position"]
        verbose_name_plural = "literature entries"
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "position"],
                name="literature_unique_position",
                violation_error_message="Two literature entries cannot share one position.",
            ),
            models.UniqueConstraint(
                fields=["summary", "article"],
                condition=Q(article__isnull=False),
                name="literature_unique_article",
                violation_error_message="This record is already in the literature list.",
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1),
                name="literature_position_positive",
                violation_error_message="Positions start at 1.",
            ),
            models.CheckConstraint(
                condition=~Q(citation_text=""),
                name="literature_has_citation_text",
                violation_error_message="A literature entry needs its citation text, so that "
                "it is kept if the record is deleted.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.citation_text[:80]}"
