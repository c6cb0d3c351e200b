"""Research topics (issue 19): the concept vocabulary, each record's weighted concepts, related
records, people's and journals' fingerprints, and the catalogue statistics they were weighed
against. `catalogue.topics` writes these tables; nothing else does."""

from django.db import models

from catalogue.models.articles import Article
from catalogue.models.bibliography import Author, Journal, Keyword, SubjectArea


class ConceptKind(models.TextChoices):
    KEYWORD = "keyword", "Keyword"
    SUBJECT = "subject", "Subject area"
    TERM = "term", "Term"


class TopicConcept(models.Model):
    """One concept: a keyword, a subject area or a term of titles and abstracts, by its
    normalised key (folded case and accents, singular)."""

    key = models.CharField(max_length=255, unique=True)
    label = models.CharField(max_length=255, help_text="The readable form shown to people.")
    kind = models.CharField(max_length=10, choices=ConceptKind.choices)
    keyword = models.ForeignKey(Keyword, null=True, blank=True, on_delete=models.SET_NULL)
    subject_area = models.ForeignKey(SubjectArea, null=True, blank=True, on_delete=models.SET_NULL)
    # The subject area its records most often have: the group it is shown under.
    main_subject = models.ForeignKey(
        SubjectArea, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How many records mention it (title, abstract, keywords or subject areas), as of the
    # statistics' computed_at; the denominator of its specificity.
    document_frequency = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.label


class ArticleTopic(models.Model):
    """One concept of one record's fingerprint, with its weight and where it came from."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="topics")
    concept = models.ForeignKey(TopicConcept, on_delete=models.CASCADE, related_name="articles")
    # Percent of the record's strongest concept (100 = the strongest).
    weight = models.FloatField()
    # The weight divided by the fingerprint's length: dot products of these are cosines.
    unit = models.FloatField()
    # Comma-separated fields it was found in: title, abstract, keyword, subject.
    fields = models.CharField(max_length=40)
    occurrences = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["article", "-weight"]
        constraints = [
            models.UniqueConstraint(fields=["article", "concept"], name="article_topic_unique")
        ]
        # The inverted index: a concept's strongest records first (related records, experts).
        indexes = [models.Index(fields=["concept", "-unit"], name="article_topic_concept")]

    def __str__(self) -> str:
        return f"{self.concept_id} {self.weight:.0f}% of article {self.article_id}"


class RelatedArticle(models.Model):
    """A precomputed related record: cosine of the two fingerprints, the concepts they share."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_topics")
    related = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()
    # The shared concepts' labels, strongest contribution first ("a; b; c").
    shared = models.TextField()

    class Meta:
        ordering = ["article", "-similarity"]
        constraints = [
            models.UniqueConstraint(fields=["article", "related"], name="related_article_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} ~ {self.related_id} ({self.similarity:.2f})"


class AuthorTopic(models.Model):
    """One concept of a person's fingerprint: their records' weights, recent ones counting more."""

    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="topics")
    concept = models.ForeignKey(TopicConcept, on_delete=models.CASCADE, related_name="authors")
    weight = models.FloatField()
    score = models.FloatField(help_text="The unscaled sum the weight is the percent of.")
    records = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["author", "-weight"]
        constraints = [
            models.UniqueConstraint(fields=["author", "concept"], name="author_topic_unique")
        ]
        indexes = [models.Index(fields=["concept", "-score"], name="author_topic_concept")]

    def __str__(self) -> str:
        return f"{self.concept_id} {self.weight:.0f}% of author {self.author_id}"


class JournalTopic(models.Model):
    """One concept of a journal's fingerprint, made like a person's."""

    journal = models.ForeignKey(Journal, on_delete=models.CASCADE, related_name="topics")
    concept = models.ForeignKey(TopicConcept, on_delete=models.CASCADE, related_name="journals")
    weight = models.FloatField()
    score = models.FloatField()
    records = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["journal", "-weight"]
        constraints = [
            models.UniqueConstraint(fields=["journal", "concept"], name="journal_topic_unique")
        ]

    def __str__(self) -> str:
        return f"{self.concept_id} {self.weight:.0f}% of journal {self.journal_id}"


class TopicStatistics(models.Model):
    """The catalogue-wide statistics (one row): what the weights were computed against, and
    how far a refresh got (refresh_topics resumes after `resume_after`)."""

    articles = models.PositiveIntegerField(default=0)
    average_length = models.FloatField(default=0.0)
    concepts = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)
    # A refresh in progress: its phase ("" when none) and the last article id it finished.
    phase = models.CharField(max_length=20, blank=True)
    resume_after = models.BigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "topic statistics"

    def __str__(self) -> str:
        return f"{self.articles} articles, {self.concepts} concepts, computed {self.computed_at}"
