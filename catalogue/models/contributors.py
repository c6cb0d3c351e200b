"""Contributors other than the authors (editors, translators, ...), and changes to people."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from catalogue.models.names import PrintedName


class ContributorRole(models.TextChoices):
    """Roles BibTeX, biblatex and RIS carry beside the authors, with their CSL variable."""

    EDITOR = "editor", "Editor"
    TRANSLATOR = "translator", "Translator"
    BOOK_AUTHOR = "book-author", "Author of the book"
    SERIES_EDITOR = "series-editor", "Series editor"
    COMPILER = "compiler", "Compiler"
    ANNOTATOR = "annotator", "Annotator"
    COMMENTATOR = "commentator", "Commentator"
    INTRODUCTION = "introduction", "Author of the introduction"
    FOREWORD = "foreword", "Author of the foreword"
    AFTERWORD = "afterword", "Author of the afterword"


# CSL name variable of each role (CSL 1.0.2); roles without one are CSL "contributor".
CSL_ROLE = {
    ContributorRole.EDITOR: "editor",
    ContributorRole.TRANSLATOR: "translator",
    ContributorRole.BOOK_AUTHOR: "container-author",
    ContributorRole.SERIES_EDITOR: "collection-editor",
    ContributorRole.COMPILER: "compiler",
}


class Contributor(PrintedName):
    """One contributor of an article in one role, in the order the source listed them."""

    # No index of its own: contributor_unique_position (article, role, position) leads with it.
    article = models.ForeignKey(
        "catalogue.Article", on_delete=models.CASCADE, related_name="contributors", db_index=False
    )
    role = models.CharField(max_length=20, choices=ContributorRole.choices)
    position = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text="1 for the first in this role."
    )

    class Meta:
        ordering = ["article", "role", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "role", "position"],
                name="contributor_unique_position",
                violation_error_message="Two contributors in one role cannot share a position.",
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="contributor_position_positive"
            ),
            models.CheckConstraint(
                condition=~Q(family_name="") | ~Q(corporate_name=""),
                name="contributor_has_a_name",
                violation_error_message="A contributor needs a family name or a corporate name.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.position}. {self.printed_name}"


class PersonChangeKind(models.TextChoices):
    MERGE = "merge", "Merge"
    SPLIT = "split", "Split"


class PersonChange(models.Model):
    """A librarian's merge or split of people (Author rows), kept so that it can be undone.

    A merge moves every authorship of `removed` (its fields, pk included, kept in
    `removed_author`) to `person` and deletes it; a split moves `authorship_ids` from `person`
    to a new person `other_id`. Name forms on the authorships never change.
    """

    kind = models.CharField(max_length=10, choices=PersonChangeKind.choices)
    created = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(
        "catalogue.Author", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    other_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The merged-away person's id, or the split-off one's."
    )
    removed_author = models.JSONField(null=True, blank=True)
    authorship_ids = models.JSONField(default=list, blank=True)
    undone = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of person #{self.person_id} and #{self.other_id}"
