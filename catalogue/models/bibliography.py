"""Bibliographic authorities: journals, authors, keywords and subject areas."""

import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
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
