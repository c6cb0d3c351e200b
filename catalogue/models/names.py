"""A name as a source printed it: the parts an authorship or a contributor keeps verbatim."""

from django.db import models


class PrintedName(models.Model):
    """A personal name in parts, or a corporate name, exactly as the source printed it.

    The person it names (an Author, for authorships) may be known under other forms; the
    printed form is what the record's page, citations and exports show.
    """

    family_name = models.CharField(max_length=255, blank=True, default="", db_default="")
    given_names = models.CharField(max_length=255, blank=True, default="", db_default="")
    particle = models.CharField(
        max_length=50,
        blank=True,
        default="",
        db_default="",
        help_text="Name particle such as “van der” or “de la”.",
    )
    suffix = models.CharField(
        max_length=50, blank=True, default="", db_default="", help_text="e.g. “Jr.” or “III”."
    )
    corporate_name = models.CharField(
        max_length=500,
        blank=True,
        default="",
        db_default="",
        help_text="A group or organisation; leave the personal name fields empty.",
    )

    class Meta:
        abstract = True

    NAME_FIELDS = ("family_name", "given_names", "particle", "suffix", "corporate_name")

    @property
    def has_printed_name(self) -> bool:
        return bool(self.family_name or self.corporate_name or self.given_names)

    @property
    def printed_name(self) -> str:
        """Return the printed name in reading order: "Patrick Nguyen", "Martin Luther King Jr."."""
        if self.corporate_name:
            return self.corporate_name
        family = " ".join(part for part in (self.particle, self.family_name) if part)
        name = " ".join(part for part in (self.given_names, family) if part)
        return f"{name} {self.suffix}" if self.suffix else name

    @property
    def printed_sort_name(self) -> str:
        """Return the printed name inverted: "Nguyen, P"."""
        if self.corporate_name:
            return self.corporate_name
        name = " ".join(part for part in (self.particle, self.family_name) if part)
        if self.given_names:
            name = f"{name}, {self.given_names}"
        return f"{name}, {self.suffix}" if self.suffix else name

    def copy_name_from(self, source) -> None:
        """Set the printed parts from an Author (or any object with the same five fields)."""
        for name in self.NAME_FIELDS:
            setattr(self, name, getattr(source, name) or "")
