"""Articles: the n-th article of a seed with its authorships, keywords and subjects."""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Iterator, Sequence
from datetime import date

from catalogue.models import OutputType, PublicationState
from catalogue.synthetic.containers import Name, chapter_pages, printed_pages, record_fields
from catalogue.synthetic.journals import SyntheticJournal
from catalogue.synthetic.keywords import keyword_terms
from catalogue.synthetic.sampling import Zipf, seeded_random, weighted_choices
from catalogue.synthetic.subjects import SUBJECT_ORDER, SyntheticSubject
from catalogue.synthetic.vocabulary import (
    ADJECTIVE_ZIPF,
    NOUN_ZIPF,
    PHRASE_CUM,
    PHRASE_SHAPES,
    PLURAL_NOUNS,
    SECTIONS,
    STUDY_DESIGNS,
    TITLE_DESIGNS,
    TITLES,
)
from catalogue.synthetic.writers import ArticleBatch

DOI_PREFIX = "10.5555"  # the DOI Foundation's test prefix: never resolves to a real work


def doi_for(*, seed: int, number: int) -> str:
    """Return the DOI of the `number`-th (1-based) synthetic article of `seed`."""
    return f"{DOI_PREFIX}/syn{seed}.{number}"


_OUTPUT_TYPES, _OUTPUT_TYPE_CUM = weighted_choices(
    [
        (OutputType.ARTICLE, 74), (OutputType.REVIEW, 8), (OutputType.CONFERENCE_PAPER, 5),
        (OutputType.EDITORIAL, 2.5), (OutputType.LETTER, 2.5), (OutputType.COMMENT, 1.5),
        (OutputType.CONFERENCE_ABSTRACT, 1.5), (OutputType.CHAPTER, 1.2),
        (OutputType.PREPRINT, 1.5), (OutputType.BOOK, 0.4), (OutputType.REPORT, 0.6),
        (OutputType.THESIS, 0.4), (OutputType.DATASET, 0.3), (OutputType.WEBPAGE, 0.1),
        (OutputType.OTHER, 0.1),
    ]
)  # fmt: skip
_IN_JOURNALS = frozenset(
    {
        OutputType.ARTICLE, OutputType.REVIEW, OutputType.EDITORIAL, OutputType.LETTER,
        OutputType.COMMENT, OutputType.CONFERENCE_PAPER, OutputType.CONFERENCE_ABSTRACT,
    }
)  # fmt: skip
_SHORT_TYPES = frozenset(
    {OutputType.EDITORIAL, OutputType.LETTER, OutputType.COMMENT, OutputType.CONFERENCE_ABSTRACT}
)
_REFEREED_TYPES = frozenset({OutputType.ARTICLE, OutputType.REVIEW, OutputType.CONFERENCE_PAPER})
_LANGUAGES, _LANGUAGE_CUM = weighted_choices(
    [("en", 93), ("de", 1.8), ("fr", 1.3), ("es", 1.4), ("zh", 0.9), ("ja", 0.6), ("nl", 0.4),
     ("pt", 0.5), ("it", 0.3), ("ru", 0.3), ("ko", 0.2), ("pl", 0.1), ("sv", 0.1), ("", 0.1)]
)  # fmt: skip
FIRST_YEAR, LAST_YEAR = 1950, 2026
# Output grows ~8% a year, so ~89% of the records are from 2000 on; the current year is partial.
_YEARS, _YEAR_CUM = weighted_choices(
    (year, math.exp(0.08 * (year - FIRST_YEAR)) * (0.5 if year == LAST_YEAR else 1.0))
    for year in range(FIRST_YEAR, LAST_YEAR + 1)
)
# Authors per journal article, 1 to 12, mostly 2 to 5 (mean 4.5; 4.3 over all outputs).
_AUTHOR_COUNTS, _AUTHOR_COUNT_CUM = weighted_choices(
    zip(range(1, 13), (8, 15, 18, 16, 13, 10, 7, 5, 3, 2, 2, 1), strict=True)
)
_KEYWORD_COUNTS, _KEYWORD_COUNT_CUM = weighted_choices(
    zip(range(11), (5, 1, 2, 6, 13, 17, 18, 14, 11, 7, 6), strict=True)
)
_CITIES = (
    ("Amsterdam", "Netherlands"), ("Utrecht", "Netherlands"), ("Leiden", "Netherlands"),
    ("Oxford", "United Kingdom"), ("Cambridge", "United Kingdom"), ("Edinburgh", "United Kingdom"),
    ("Manchester", "United Kingdom"), ("Toronto", "Canada"), ("Montreal", "Canada"),
    ("Sydney", "Australia"), ("Melbourne", "Australia"), ("Auckland", "New Zealand"),
    ("Boston", "USA"), ("Chicago", "USA"), ("Seattle", "USA"), ("Houston", "USA"),
    ("Berlin", "Germany"), ("Munich", "Germany"), ("Heidelberg", "Germany"),
    ("Zurich", "Switzerland"), ("Geneva", "Switzerland"), ("Vienna", "Austria"),
    ("Copenhagen", "Denmark"), ("Stockholm", "Sweden"), ("Oslo", "Norway"),
    ("Helsinki", "Finland"), ("Paris", "France"), ("Lyon", "France"), ("Milan", "Italy"),
    ("Bologna", "Italy"), ("Madrid", "Spain"), ("Barcelona", "Spain"), ("Lisbon", "Portugal"),
    ("Tokyo", "Japan"), ("Kyoto", "Japan"), ("Seoul", "South Korea"), ("Beijing", "China"),
    ("Shanghai", "China"), ("Wuhan", "China"), ("Singapore", "Singapore"),
    ("Bangalore", "India"), ("Delhi", "India"), ("Cape Town", "South Africa"),
    ("Nairobi", "Kenya"), ("Lagos", "Nigeria"), ("São Paulo", "Brazil"),
    ("Buenos Aires", "Argentina"), ("Mexico City", "Mexico"), ("Tel Aviv", "Israel"),
    ("Istanbul", "Turkey"), ("Warsaw", "Poland"), ("Prague", "Czech Republic"),
    ("Budapest", "Hungary"), ("Athens", "Greece"), ("Dublin", "Ireland"),
)  # fmt: skip
_CITY_NAMES = tuple(city for city, _ in _CITIES)
_INSTITUTIONS = (
    "University of {c}", "{c} University", "{c} Institute of Technology", "{c} Medical Centre",
    "{c} School of Economics", "University Hospital {c}",
)  # fmt: skip


def _stats(rng: random.Random) -> dict[str, object]:
    low = round(rng.uniform(0.5, 1.6), 2)
    return {
        "n": int(rng.lognormvariate(6.3, 1.3)) + 12,
        "k": rng.randint(3, 48),
        "pct": round(rng.uniform(4, 68), 1),
        "p": rng.choice(("p < 0.001", "p < 0.01", "p = 0.03", "p = 0.12", "p = 0.47")),
        "stat": f"OR = {low + 0.35:.2f}, 95% CI {low:.2f}-{low + 0.9:.2f}",
        "y1": (start := rng.randint(1995, 2018)),
        "y2": start + rng.randint(1, 6),
        "design": rng.choice(STUDY_DESIGNS),
    }


def cap_date(
    year: int | None, month: int | None, day: int | None, state: object, today: date
) -> tuple:
    """Return (year, month, day, state) moved back to `today` when later, at the same precision.

    The random draws are not changed (the stream stays the same for a seed), only the result:
    a date in December of this year becomes this month, a year after this one this year.
    """
    if year is None or year < today.year:
        return year, month, day, state
    year = today.year
    if month is None or month < today.month:
        return year, month, day, state
    month = today.month
    if day is not None:
        day = min(day, today.day)
    return year, month, day, state


class ArticleStream:
    """Makes article rows in order: the n-th article is the same whatever the batch size."""

    def __init__(
        self,
        *,
        seed: int,
        articles: int,
        journals: list[SyntheticJournal],
        subjects: list[SyntheticSubject],
        keyword_ids: list[int],
        author_first_id: int,
        author_names: Sequence[Name],
        today: date,
    ) -> None:
        self.seed = seed
        # No record is dated after this day: dates drawn later are moved back to it.
        self.today = today
        self.articles = articles
        self.rng = seeded_random(seed, "articles")
        # Fields added later draw from their own stream: the articles' stream is unchanged.
        self.record_rng = seeded_random(seed, "record-fields")
        self.author_names = author_names
        author_count = len(author_names)
        self.journals = journals
        self.subjects = subjects
        self.keyword_ids = keyword_ids
        self.keyword_terms = keyword_terms(len(keyword_ids))
        self.journal_zipf = Zipf(len(journals), exponent=1.0, offset=5)
        self.keyword_zipf = Zipf(len(keyword_ids), exponent=1.05, offset=3)
        self.author_zipf = Zipf(author_count, exponent=0.9, offset=60)
        self.subject_zipf = Zipf(
            len(subjects), exponent=0.9, offset=3, values=[subjects[i] for i in SUBJECT_ORDER]
        )
        self.author_first_id = author_first_id
        self.author_count = author_count
        # Part of the author slots introduce the next unused author, so (nearly) every author
        # of the pool has an article; the rest follow the Zipf law.
        self.next_new_author = 0
        self.new_author_share = min(1.0, author_count / (articles * 4.3) * 1.05)

    def batches(self, *, first_id: int, batch_size: int, now: object) -> Iterator[ArticleBatch]:
        """Yield the articles in batches, with ids from `first_id` on."""
        for start in range(0, self.articles, batch_size):
            batch = ArticleBatch()
            for number in range(start + 1, min(self.articles, start + batch_size) + 1):
                self._article(batch, first_id + number - 1, number, now)
            yield batch

    def _article(self, batch: ArticleBatch, article_id: int, number: int, now: object) -> None:
        rng = self.rng
        output_type = rng.choices(_OUTPUT_TYPES, cum_weights=_OUTPUT_TYPE_CUM)[0]
        journal = None
        if output_type in _IN_JOURNALS:
            journal = self.journals[self.journal_zipf.one(rng)]
        year, month, day, state = cap_date(*self._date_and_state(rng, output_type), self.today)
        volume = issue = article_number = ""
        first_page = last_page = page_count = None
        if journal is not None and state == PublicationState.PUBLISHED and year:
            volume = str(max(1, year - journal.founded + 1))
            issue = str(rng.randint(1, journal.issues_per_year))
            length = self._length(rng, output_type)
            if journal.article_numbers:
                article_number = journal.article_numbers.format(rng.randrange(1, 99999))
                page_count = length if rng.random() < 0.5 else None
            else:
                first_page = rng.randint(1, 2400)
                last_page = first_page + length - 1
                page_count = length
        elif output_type in (OutputType.BOOK, OutputType.THESIS, OutputType.REPORT):
            page_count = rng.randint(60, 420)
        elif output_type == OutputType.CHAPTER and year:
            first_page, last_page = chapter_pages(self.record_rng)
            page_count = last_page - first_page + 1
        peer_reviewed = rng.random() < (
            0.94 if output_type in _REFEREED_TYPES else 0.12 if output_type in _SHORT_TYPES else 0.3
        )
        if output_type == OutputType.PREPRINT:
            peer_reviewed = False
        language = rng.choices(_LANGUAGES, cum_weights=_LANGUAGE_CUM)[0]

        keyword_indexes = self._keywords(rng, journal)
        terms = [self.keyword_terms[index] for index in keyword_indexes]
        title, abstract = self._text(rng, terms, output_type)
        pmid = str(rng.randint(10_000_000, 39_999_999)) if rng.random() < 0.22 else ""
        note = ""
        if journal is not None and year and rng.random() < 0.35:
            note = f"Publisher Copyright:\n© {year} {journal.publisher}."
        if journal is not None:
            subjects = journal.subjects
        else:
            first, second = self.subject_zipf.draw(rng, 2)
            subjects = (first,) if first == second or rng.random() < 0.5 else (first, second)
        author_ids = self._authors(rng, output_type)
        names = self.author_names
        first_id = self.author_first_id
        authors = [names[author_id - first_id] for author_id in author_ids]
        for position, (author_id, name) in enumerate(zip(author_ids, authors, strict=True), 1):
            affiliation = ""
            if rng.random() < 0.3:
                city, country = rng.choice(_CITIES)
                institution = rng.choice(_INSTITUTIONS).format(c=city)
                department = rng.choice(subjects).department
                affiliation = f"Department of {department}, {institution}, {country}"
            # The printed form is the person's name: the generator's people have one form.
            batch.authorships.append((article_id, author_id, position, affiliation, *name))
        record_rng = self.record_rng
        fields = record_fields(
            record_rng,
            output_type=output_type,
            year=year,
            month=month,
            title=title,
            subject=subjects[0],
            authors=authors,
            author_pool=names,
            cities=_CITY_NAMES,
        )
        # A web page's access date is drawn from its year: never later than today either.
        fields.accessed = min(fields.accessed, self.today.isoformat()) if fields.accessed else ""
        batch.articles.append(
            (
                article_id, output_type.value, peer_reviewed, title, abstract, language,
                journal.id if journal else None, volume, issue, first_page, last_page,
                article_number, page_count, state.value, year, month, day,
                doi_for(seed=self.seed, number=number), pmid, "", note, now, now,
                printed_pages(first_page, last_page), fields.publisher,
                fields.book_title, fields.edition, fields.series, fields.series_number,
                fields.place, fields.isbn, fields.chapter, fields.report_number, fields.genre,
                fields.howpublished, fields.eprint, fields.eprint_type, fields.eprint_class,
                fields.accessed, fields.date_text, fields.et_al, fields.citation_key,
            )
        )  # fmt: skip
        batch.contributors.extend(
            (article_id, role, position, *name) for role, position, name in fields.contributors
        )
        batch.keyword_links.extend(
            (article_id, self.keyword_ids[index]) for index in keyword_indexes
        )
        batch.subject_links.extend((article_id, subject.id) for subject in subjects)

    @staticmethod
    def _date_and_state(rng: random.Random, output_type: str) -> tuple:
        state = rng.choices(
            (PublicationState.PUBLISHED, PublicationState.IN_PRESS, PublicationState.ACCEPTED,
             PublicationState.SUBMITTED),
            cum_weights=(94, 97, 99, 100),
        )[0]  # fmt: skip
        if output_type == OutputType.PREPRINT:
            state = PublicationState.SUBMITTED
        if state == PublicationState.PUBLISHED:
            if rng.random() < 0.002:
                return None, None, None, state  # undated, as old records sometimes are
            year = rng.choices(_YEARS, cum_weights=_YEAR_CUM)[0]
        else:
            year = rng.choice((LAST_YEAR - 1, LAST_YEAR, LAST_YEAR))
        precision = rng.random()
        if precision < 0.15:
            return year, None, None, state
        month = rng.randint(1, 12)
        if precision < 0.5:
            return year, month, None, state
        return year, month, rng.randint(1, calendar.monthrange(year, month)[1]), state

    @staticmethod
    def _length(rng: random.Random, output_type: str) -> int:
        if output_type in _SHORT_TYPES:
            return rng.randint(1, 3)
        if output_type == OutputType.REVIEW:
            return rng.randint(12, 40)
        return max(3, min(60, int(rng.lognormvariate(2.4, 0.45))))

    def _keywords(self, rng: random.Random, journal: SyntheticJournal | None) -> list[int]:
        count = rng.choices(_KEYWORD_COUNTS, cum_weights=_KEYWORD_COUNT_CUM)[0]
        chosen: list[int] = []
        for _ in range(count):
            if journal is not None and rng.random() < 0.35:
                index = rng.choice(journal.home_keywords)
            else:
                index = self.keyword_zipf.one(rng)
            if index not in chosen:
                chosen.append(index)
        return chosen

    def _authors(self, rng: random.Random, output_type: str) -> list[int]:
        if output_type in _SHORT_TYPES:
            count = rng.choice((1, 1, 1, 2, 2, 3))
        elif output_type == OutputType.THESIS:
            count = 1
        else:
            count = rng.choices(_AUTHOR_COUNTS, cum_weights=_AUTHOR_COUNT_CUM)[0]
        chosen: list[int] = []
        while len(chosen) < count:
            if self.next_new_author < self.author_count and rng.random() < self.new_author_share:
                index = self.next_new_author
                self.next_new_author += 1
            else:
                index = self.author_zipf.one(rng)
            author_id = self.author_first_id + index
            if author_id not in chosen:
                chosen.append(author_id)
        return chosen

    def _text(self, rng: random.Random, terms: list[str], output_type: str) -> tuple[str, str]:
        """Return a title (~12 words) and an abstract (~150-250 words)."""
        title_template = rng.choice(TITLES)
        sentences: list[tuple[str, str]] = []  # (section label, template)
        for label, templates, usual in SECTIONS:
            # A run of distinct templates from a random start: cheaper than rng.sample.
            count = max(1, usual + rng.choice((-1, 0, 0, 1)))
            start = rng.randrange(len(templates))
            sentences.extend((label, templates[(start + i) % len(templates)]) for i in range(count))
        slots = title_template.count("{}") + sum(t.count("{}") for _, t in sentences)
        phrases = self._phrases(rng, slots)
        # The article's keywords also appear in its text, as in real abstracts.
        spots = rng.sample(range(slots), min(len(terms), 3, slots))
        for spot, term in zip(spots, terms, strict=False):
            phrases[spot] = term
        stats = _stats(rng)
        used = title_template.count("{}")
        title = title_template.format(*phrases[:used], design=rng.choice(TITLE_DESIGNS))
        title = title[0].upper() + title[1:]
        structured = output_type in _REFEREED_TYPES and rng.random() < 0.4
        parts, previous = [], ""
        for label, template in sentences:
            take = template.count("{}")
            sentence = template.format(*phrases[used : used + take], **stats)
            used += take
            sentence = sentence[0].upper() + sentence[1:]
            if structured and label != previous:
                sentence = f"{label}: {sentence}"
            previous = label
            parts.append(sentence)
        return title, " ".join(parts)

    @staticmethod
    def _phrases(rng: random.Random, count: int) -> list[str]:
        shapes = rng.choices(PHRASE_SHAPES, cum_weights=PHRASE_CUM, k=count)
        nouns = iter(NOUN_ZIPF.draw(rng, sum(shape[1] for shape in shapes)))
        adjectives = iter(ADJECTIVE_ZIPF.draw(rng, sum(shape[0] for shape in shapes)))
        phrases = []
        for adjective_count, noun_count in shapes:
            phrase = next(nouns)
            if noun_count == 2:
                # "risk in children", not "children risk"
                head = next(nouns)
                phrase = f"{head} in {phrase}" if phrase in PLURAL_NOUNS else f"{phrase} {head}"
            if adjective_count:
                phrase = f"{next(adjectives)} {phrase}"
            phrases.append(phrase)
        return phrases
