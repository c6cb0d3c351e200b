"""The catalogue's records, split by domain; import every model from here.

articles imports bibliography before defining its own models, so the app registry lists the
models in the order the single models.py defined them.
"""

from catalogue.models.articles import (
    BIBLIOGRAPHIC_FIELDS,
    RECORD_TEXT_FIELDS,
    Article,
    ArticleQuerySet,
    Authorship,
    OutputType,
    PublicationState,
)
from catalogue.models.bibliography import Author, Journal, Keyword, SubjectArea, fold
from catalogue.models.imports import (
    ImportAction,
    ImportBatch,
    ImportRecord,
    ImportStatus,
    OnDuplicate,
)
from catalogue.models.summaries import (
    SUMMARY_SEARCH_FIELDS,
    Audience,
    EvidenceSummary,
    EvidenceSummaryQuerySet,
    LiteratureEntry,
)

# isort: split
# Registered last: the catalogue's own models keep their registry order (and content type ids).
from catalogue.models.search_index import (
    SearchIndexFacetCount,
    SearchIndexPending,
    SearchIndexRow,
    SearchIndexState,
    SearchIndexTable,
    SearchIndexText,
    SearchIndexTextWords,
    SearchIndexVocabulary,
    SearchIndexWord,
)

# isort: split
from catalogue.models.contributors import (
    CSL_ROLE,
    Contributor,
    ContributorRole,
    PersonChange,
    PersonChangeKind,
)

# isort: split
from catalogue.models.jobs import ImportJob, ImportPreviewRow, JobKind, JobState

# isort: split
from catalogue.models.topics import (
    ArticleTopic,
    AuthorTopic,
    ConceptKind,
    JournalTopic,
    RelatedArticle,
    TopicConcept,
    TopicStatistics,
)

__all__ = [
    "BIBLIOGRAPHIC_FIELDS",
    "CSL_ROLE",
    "RECORD_TEXT_FIELDS",
    "SUMMARY_SEARCH_FIELDS",
    "Article",
    "ArticleQuerySet",
    "ArticleTopic",
    "Audience",
    "Author",
    "AuthorTopic",
    "Authorship",
    "ConceptKind",
    "Contributor",
    "ContributorRole",
    "EvidenceSummary",
    "EvidenceSummaryQuerySet",
    "ImportAction",
    "ImportBatch",
    "ImportJob",
    "ImportPreviewRow",
    "ImportRecord",
    "ImportStatus",
    "JobKind",
    "JobState",
    "Journal",
    "JournalTopic",
    "Keyword",
    "LiteratureEntry",
    "OnDuplicate",
    "OutputType",
    "PersonChange",
    "PersonChangeKind",
    "PublicationState",
    "RelatedArticle",
    "SearchIndexFacetCount",
    "SearchIndexPending",
    "SearchIndexRow",
    "SearchIndexState",
    "SearchIndexTable",
    "SearchIndexText",
    "SearchIndexTextWords",
    "SearchIndexVocabulary",
    "SearchIndexWord",
    "SubjectArea",
    "TopicConcept",
    "TopicStatistics",
    "fold",
]
