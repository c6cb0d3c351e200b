"""Evidence summaries: short answers to a patient's or clinician's question, written by a
named expert from the literature, whose literature list links to the catalogue's articles
(rendered by catalogue/summaries.py)."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connections, models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from catalogue.models.articles import Article
from catalogue.models.bibliography import Author, Keyword, fold


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
