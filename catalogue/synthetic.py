"""Synthetic catalogue: realistic, seeded journals, authors, keywords and articles in bulk.

For demos and benchmarks. The same article count and seed always give the same
records. Journals, keywords and authors are used with Zipf-like frequencies (a
few very common, a long tail), years lean to recent ones, and titles and
abstracts are English sentences over a research vocabulary whose words also
follow a Zipf law, so both rare and broad search terms exist (see
docs/performance.md for measured examples).

Rows are written batch by batch inside one transaction: COPY on PostgreSQL,
`bulk_create` elsewhere. Keywords and subject areas are shared (terms and codes
are unique), so a second seed reuses them; journals, authors and articles are
new for every seed, and every DOI carries the seed (10.5555/syn<seed>.<n>).
"""

from __future__ import annotations

import bisect
import calendar
import io
import itertools
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalogue import identifiers
from catalogue.models import (
    Article,
    Author,
    Authorship,
    Journal,
    Keyword,
    OutputType,
    PublicationState,
    SubjectArea,
    fold,
)

DOI_PREFIX = "10.5555"  # the DOI Foundation's test prefix: never resolves to a real work
DEFAULT_BATCH_SIZE = 5_000
MAX_BATCH_SIZE = 100_000
# From this many articles on, PostgreSQL runs drop the foreign keys of the tables they write
# and re-add them at the end (one validating join each), as PostgreSQL's manual advises for
# bulk loads: checking ~24 million link rows one by one took half of a 1M run. The price is
# an ACCESS EXCLUSIVE lock, so readers wait for the commit; smaller runs let them in.
BULK_LOAD_ARTICLES = 50_000

_T = TypeVar("_T")
# Progress callback: (stage, done, total), e.g. ("articles", 15_000, 1_000_000).
Progress = Callable[[str, int, int], None]


class GenerationError(Exception):
    """A generation request refused before anything was written; the message says why."""


@dataclass
class GenerationReport:
    """What one run wrote: rows per table and how long it took."""

    articles: int
    seed: int
    vendor: str
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class PoolSizes:
    """How many journals, authors and keywords a catalogue of N articles draws from."""

    journals: int
    authors: int
    keywords: int


def pool_sizes(*, articles: int) -> PoolSizes:
    """Return the pool sizes for `articles` (1M: 5,000 journals, 400k authors, 50k keywords)."""
    return PoolSizes(
        journals=max(20, articles // 200),
        authors=max(50, articles * 2 // 5),
        keywords=max(50, articles // 20),
    )


def doi_for(*, seed: int, number: int) -> str:
    """Return the DOI of the `number`-th (1-based) synthetic article of `seed`."""
    return f"{DOI_PREFIX}/syn{seed}.{number}"


def seed_is_loaded(*, seed: int) -> bool:
    """Return whether the catalogue already holds the articles generated with `seed`."""
    return Article.objects.filter(doi=doi_for(seed=seed, number=1)).exists()


def generate_catalogue(
    *,
    articles: int,
    seed: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> GenerationReport:
    """Write `articles` synthetic articles with their journals, authors, keywords and subjects.

    Return a report of the rows written. All or nothing: one transaction.
    Raises GenerationError for bad arguments or a seed already loaded.
    """
    _check_count("articles", articles, minimum=1)
    _check_count("seed", seed, minimum=0)
    _check_count("batch size", batch_size, minimum=1, maximum=MAX_BATCH_SIZE)
    started = time.perf_counter()
    sizes = pool_sizes(articles=articles)
    writer = _writer_for_connection(articles=articles)
    with transaction.atomic():
        writer.begin()
        if seed_is_loaded(seed=seed):
            raise GenerationError(
                f"The catalogue already holds the articles of seed {seed} "
                f"(DOI {doi_for(seed=seed, number=1)} exists): use another --seed."
            )
        subjects = _ensure_subject_areas(writer)
        keyword_ids = _ensure_keywords(writer, count=sizes.keywords)
        journals = _write_journals(
            writer, seed=seed, count=sizes.journals, subjects=subjects,
            keyword_count=len(keyword_ids),
        )  # fmt: skip
        author_first_id = _write_authors(
            writer, seed=seed, count=sizes.authors, batch_size=batch_size, progress=progress
        )
        stream = _ArticleStream(
            seed=seed,
            articles=articles,
            journals=journals,
            subjects=subjects,
            keyword_ids=keyword_ids,
            author_first_id=author_first_id,
            author_count=sizes.authors,
        )
        batches = stream.batches(
            first_id=writer.first_free_id(Article), batch_size=batch_size, now=writer.now
        )
        written = 0
        # Generating (Python) and storing (the database) overlap: the next batch is made
        # in a thread while this one is written.
        for batch in _in_background(batches):
            _write_articles(writer, batch)
            written += len(batch.articles)
            if progress:
                progress("articles", written, articles)
        if progress:
            progress("checking references", 0, 0)
        writer.finish()
    return GenerationReport(
        articles=articles,
        seed=seed,
        vendor=connection.vendor,
        seconds=time.perf_counter() - started,
        rows=dict(writer.rows),
    )


def _check_count(name: str, value: object, *, minimum: int, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GenerationError(f"The {name} must be a whole number, not {value!r}.")
    if value < minimum:
        raise GenerationError(f"The {name} must be at least {minimum}, not {value}.")
    if maximum is not None and value > maximum:
        raise GenerationError(f"The {name} must be at most {maximum:,}, not {value:,}.")


# --------------------------------------------------------------------------------------------
# Writing: one writer per backend, the same calls for both.


# Ids are allocated from MAX(id) so that link rows can be written without a round trip: on
# PostgreSQL these tables are locked against other writers until the commit.
_WRITTEN_MODELS = (
    Journal,
    Author,
    Keyword,
    SubjectArea,
    Article,
    Authorship,
    Article.keywords.through,
    Article.subject_areas.through,
)


class _Writer:
    """Inserts rows given as tuples of attribute values, in order, with explicit ids."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.now = timezone.now()

    def begin(self) -> None:
        """Prepare the connection; called first inside the transaction."""

    def first_free_id(self, model: type[models.Model]) -> int:
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608 (a model's own table)
            return (cursor.fetchone()[0] or 0) + 1

    def insert(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        self._insert(model, fields, rows)
        label = model._meta.db_table.removeprefix("catalogue_")
        self.rows[label] = self.rows.get(label, 0) + len(rows)

    def _insert(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> None:
        model.objects.bulk_create(model(**dict(zip(fields, row, strict=True))) for row in rows)

    def finish(self) -> None:
        """Check references and bring id sequences past the explicit ids written; called last."""
        # SQLite checks deferred foreign keys only at the outermost COMMIT: check them here so
        # that a violation fails this run even inside an outer transaction.
        connection.check_constraints(
            table_names=[model._meta.db_table for model in _WRITTEN_MODELS]
        )


class _PostgresWriter(_Writer):
    """COPY FROM STDIN, the fastest way into PostgreSQL (about 50,000 article rows/s)."""

    def __init__(self, *, bulk: bool) -> None:
        super().__init__()
        self.bulk = bulk
        self.foreign_keys: list[tuple[str, str, str]] = []  # (table, name, definition)

    def begin(self) -> None:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in _WRITTEN_MODELS)
        # SHARE ROW EXCLUSIVE still lets readers in; dropping constraints needs them out.
        mode = "ACCESS EXCLUSIVE" if self.bulk else "SHARE ROW EXCLUSIVE"
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN {mode} MODE")
            if not self.bulk:
                return
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
                "ORDER BY conrelid::regclass::text, conname",
                [[model._meta.db_table for model in _WRITTEN_MODELS]],
            )
            self.foreign_keys = cursor.fetchall()
            for table, name, _ in self.foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quote(name)}")

    def _insert(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> None:
        columns = ", ".join(
            connection.ops.quote_name(model._meta.get_field(name).column) for name in fields
        )
        table = connection.ops.quote_name(model._meta.db_table)
        sql = f"COPY {table} ({columns}) FROM STDIN"
        buffer = io.StringIO()
        buffer.writelines("\t".join(map(_copy_text, row)) + "\n" for row in rows)
        buffer.seek(0)
        # The driver's COPY API bypasses Django's cursor wrapper: map its errors explicitly
        # (a constraint violation becomes django.db.IntegrityError).
        with connection.cursor() as cursor, connection.wrap_database_errors:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, buffer, size=1 << 20)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(buffer.getvalue())

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(_WRITTEN_MODELS))
        with connection.cursor() as cursor:
            if self.bulk:
                # Re-adding a foreign key checks every row in one join: a violation fails here.
                for table, name, definition in self.foreign_keys:
                    cursor.execute(
                        f"ALTER TABLE {table} ADD CONSTRAINT {_quote(name)} {definition}"
                    )
            else:
                # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: run the queued checks
                # now rather than at COMMIT, so a violation surfaces here; then restore the mode.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for statement in statements:
                cursor.execute(statement)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _writer_for_connection(*, articles: int) -> _Writer:
    if connection.vendor == "postgresql":
        return _PostgresWriter(bulk=articles >= BULK_LOAD_ARTICLES)
    return _Writer()


def _copy_text(value: object) -> str:
    """Return `value` in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


ARTICLE_FIELDS = (
    "id", "output_type", "peer_reviewed", "title", "abstract", "language", "journal_id",
    "volume", "issue", "first_page", "last_page", "article_number", "page_count", "state",
    "year", "month", "day", "doi", "pmid", "url", "bibliographical_note", "created", "updated",
)  # fmt: skip
AUTHORSHIP_FIELDS = ("article_id", "author_id", "position", "affiliation")
ARTICLE_KEYWORD_FIELDS = ("article_id", "keyword_id")
ARTICLE_SUBJECT_FIELDS = ("article_id", "subjectarea_id")


@dataclass
class _ArticleBatch:
    articles: list[tuple] = field(default_factory=list)
    authorships: list[tuple] = field(default_factory=list)
    keyword_links: list[tuple] = field(default_factory=list)
    subject_links: list[tuple] = field(default_factory=list)


def _write_articles(writer: _Writer, batch: _ArticleBatch) -> None:
    # Every synthetic article and its links are written here and nowhere else: derived
    # columns that must be kept in step with an article (e.g. a search vector) go here.
    writer.insert(Article, ARTICLE_FIELDS, batch.articles)
    writer.insert(Authorship, AUTHORSHIP_FIELDS, batch.authorships)
    writer.insert(Article.keywords.through, ARTICLE_KEYWORD_FIELDS, batch.keyword_links)
    writer.insert(Article.subject_areas.through, ARTICLE_SUBJECT_FIELDS, batch.subject_links)


def _in_background(items: Iterator[_T], *, depth: int = 2) -> Iterator[_T]:
    """Yield `items`, computed in a thread at most `depth` ahead; its exceptions surface here."""
    pending: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                pending.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((end, None))
        except BaseException as error:  # handed to the consumer, which re-raises it
            put((end, error))

    thread = threading.Thread(target=produce, name="synthetic-catalogue", daemon=True)
    thread.start()
    try:
        while True:
            item, error = pending.get()
            if error is not None:
                raise error
            if item is end:
                return
            yield item
    finally:
        stop.set()
        thread.join()


# --------------------------------------------------------------------------------------------
# Zipf sampling


class _Zipf:
    """Draws indexes 0..size-1 (or `values`) with P(rank r) ~ 1 / (r + offset) ** exponent."""

    def __init__(
        self,
        size: int,
        *,
        exponent: float = 1.0,
        offset: float = 0.0,
        values: Sequence | None = None,
    ) -> None:
        self.size = size
        self.cum_weights = list(
            itertools.accumulate((rank + offset) ** -exponent for rank in range(1, size + 1))
        )
        self.population = values if values is not None else range(size)

    def draw(self, rng: random.Random, k: int = 1) -> list:
        return rng.choices(self.population, cum_weights=self.cum_weights, k=k)

    def pick(self, rng: random.Random) -> object:
        return self.population[self.one(rng)]

    def one(self, rng: random.Random) -> int:
        index = bisect.bisect(self.cum_weights, rng.random() * self.cum_weights[-1])
        return min(index, self.size - 1)  # guards against rounding up to the total


def _weighted(pairs: Iterable[tuple[object, float]]) -> tuple[list, list[float]]:
    """Return (values, cumulative weights) for `random.choices`."""
    values, weights = zip(*pairs, strict=True)
    return list(values), list(itertools.accumulate(weights))


def _rng(seed: int, purpose: str) -> random.Random:
    # String seeds are hashed with SHA-512 by `random`, so streams are stable across runs.
    return random.Random(f"catalogue-synthetic:{seed}:{purpose}")


# --------------------------------------------------------------------------------------------
# Subject areas (ASJC-like: 27 fields and their subject areas)

_ASJC = """
10 Multidisciplinary
1000 Multidisciplinary
11 Agricultural and Biological Sciences
1100 General Agricultural and Biological Sciences
1102 Agronomy and Crop Science
1103 Animal Science and Zoology
1104 Aquatic Science
1105 Ecology, Evolution, Behavior and Systematics
1106 Food Science
1107 Forestry
1108 Horticulture
1109 Insect Science
1110 Plant Science
1111 Soil Science
12 Arts and Humanities
1200 General Arts and Humanities
1202 History
1203 Language and Linguistics
1204 Archeology (arts and humanities)
1205 Classics
1206 Conservation
1207 History and Philosophy of Science
1208 Literature and Literary Theory
1209 Museology
1210 Music
1211 Philosophy
1212 Religious Studies
1213 Visual Arts and Performing Arts
13 Biochemistry, Genetics and Molecular Biology
1300 General Biochemistry, Genetics and Molecular Biology
1302 Ageing
1303 Biochemistry
1304 Biophysics
1305 Biotechnology
1306 Cancer Research
1307 Cell Biology
1308 Clinical Biochemistry
1309 Developmental Biology
1310 Endocrinology
1311 Genetics
1312 Molecular Biology
1313 Molecular Medicine
1314 Physiology
1315 Structural Biology
14 Business, Management and Accounting
1400 General Business, Management and Accounting
1402 Accounting
1403 Business and International Management
1404 Management Information Systems
1405 Management of Technology and Innovation
1406 Marketing
1407 Organizational Behavior and Human Resource Management
1408 Strategy and Management
1409 Tourism, Leisure and Hospitality Management
1410 Industrial Relations
15 Chemical Engineering
1500 General Chemical Engineering
1502 Bioengineering
1503 Catalysis
1504 Chemical Health and Safety
1505 Colloid and Surface Chemistry
1506 Filtration and Separation
1507 Fluid Flow and Transfer Processes
1508 Process Chemistry and Technology
16 Chemistry
1600 General Chemistry
1602 Analytical Chemistry
1603 Electrochemistry
1604 Inorganic Chemistry
1605 Organic Chemistry
1606 Physical and Theoretical Chemistry
1607 Spectroscopy
17 Computer Science
1700 General Computer Science
1702 Artificial Intelligence
1703 Computational Theory and Mathematics
1704 Computer Graphics and Computer-Aided Design
1705 Computer Networks and Communications
1706 Computer Science Applications
1707 Computer Vision and Pattern Recognition
1708 Hardware and Architecture
1709 Human-Computer Interaction
1710 Information Systems
1711 Signal Processing
1712 Software
18 Decision Sciences
1800 General Decision Sciences
1802 Information Systems and Management
1803 Management Science and Operations Research
1804 Statistics, Probability and Uncertainty
19 Earth and Planetary Sciences
1900 General Earth and Planetary Sciences
1902 Atmospheric Science
1903 Computers in Earth Sciences
1904 Earth-Surface Processes
1905 Economic Geology
1906 Geochemistry and Petrology
1907 Geology
1908 Geophysics
1909 Geotechnical Engineering and Engineering Geology
1910 Oceanography
1911 Paleontology
1912 Space and Planetary Science
1913 Stratigraphy
20 Economics, Econometrics and Finance
2000 General Economics, Econometrics and Finance
2002 Economics and Econometrics
2003 Finance
21 Energy
2100 General Energy
2102 Energy Engineering and Power Technology
2103 Fuel Technology
2104 Nuclear Energy and Engineering
2105 Renewable Energy, Sustainability and the Environment
22 Engineering
2200 General Engineering
2202 Aerospace Engineering
2203 Automotive Engineering
2204 Biomedical Engineering
2205 Civil and Structural Engineering
2206 Computational Mechanics
2207 Control and Systems Engineering
2208 Electrical and Electronic Engineering
2209 Industrial and Manufacturing Engineering
2210 Mechanical Engineering
2211 Mechanics of Materials
2212 Ocean Engineering
2213 Safety, Risk, Reliability and Quality
2214 Media Technology
2215 Building and Construction
2216 Architecture
23 Environmental Science
2300 General Environmental Science
2302 Ecological Modeling
2303 Ecology
2304 Environmental Chemistry
2305 Environmental Engineering
2306 Global and Planetary Change
2307 Health, Toxicology and Mutagenesis
2308 Management, Monitoring, Policy and Law
2309 Nature and Landscape Conservation
2310 Pollution
2311 Waste Management and Disposal
2312 Water Science and Technology
24 Immunology and Microbiology
2400 General Immunology and Microbiology
2402 Applied Microbiology and Biotechnology
2403 Immunology
2404 Microbiology
2405 Parasitology
2406 Virology
25 Materials Science
2500 General Materials Science
2502 Biomaterials
2503 Ceramics and Composites
2504 Electronic, Optical and Magnetic Materials
2505 Materials Chemistry
2506 Metals and Alloys
2507 Polymers and Plastics
2508 Surfaces, Coatings and Films
26 Mathematics
2600 General Mathematics
2602 Algebra and Number Theory
2603 Analysis
2604 Applied Mathematics
2605 Computational Mathematics
2606 Control and Optimization
2607 Discrete Mathematics and Combinatorics
2608 Geometry and Topology
2609 Logic
2610 Mathematical Physics
2611 Modeling and Simulation
2612 Numerical Analysis
2613 Statistics and Probability
2614 Theoretical Computer Science
27 Medicine
2700 General Medicine
2702 Anatomy
2703 Anesthesiology and Pain Medicine
2704 Biochemistry (medical)
2705 Cardiology and Cardiovascular Medicine
2706 Critical Care and Intensive Care Medicine
2707 Complementary and Alternative Medicine
2708 Dermatology
2709 Drug Guides
2710 Embryology
2711 Emergency Medicine
2712 Endocrinology, Diabetes and Metabolism
2713 Epidemiology
2714 Family Practice
2715 Gastroenterology
2716 Genetics (clinical)
2717 Geriatrics and Gerontology
2718 Health Informatics
2719 Health Policy
2720 Hematology
2721 Hepatology
2722 Histology
2723 Immunology and Allergy
2724 Internal Medicine
2725 Infectious Diseases
2726 Microbiology (medical)
2727 Nephrology
2728 Neurology (clinical)
2729 Obstetrics and Gynecology
2730 Oncology
2731 Ophthalmology
2732 Orthopedics and Sports Medicine
2733 Otorhinolaryngology
2734 Pathology and Forensic Medicine
2735 Pediatrics, Perinatology and Child Health
2736 Pharmacology (medical)
2737 Physiology (medical)
2738 Psychiatry and Mental Health
2739 Public Health, Environmental and Occupational Health
2740 Pulmonary and Respiratory Medicine
2741 Radiology, Nuclear Medicine and Imaging
2742 Rehabilitation
2743 Reproductive Medicine
2745 Rheumatology
2746 Surgery
2747 Transplantation
2748 Urology
28 Neuroscience
2800 General Neuroscience
2802 Behavioral Neuroscience
2803 Biological Psychiatry
2804 Cellular and Molecular Neuroscience
2805 Cognitive Neuroscience
2806 Developmental Neuroscience
2807 Endocrine and Autonomic Systems
2808 Neurology
2809 Sensory Systems
29 Nursing
2900 General Nursing
2902 Advanced and Specialized Nursing
2903 Assessment and Diagnosis
2904 Care Planning
2905 Community and Home Care
2906 Critical Care Nursing
2907 Emergency Nursing
2908 Fundamentals and Skills
2909 Gerontology
2910 Issues, Ethics and Legal Aspects
2911 Leadership and Management
2913 Maternity and Midwifery
2914 Medical and Surgical Nursing
2916 Nutrition and Dietetics
2917 Oncology (nursing)
2918 Pathophysiology
2919 Pediatrics
2920 Pharmacology (nursing)
2921 Psychiatric Mental Health
2922 Research and Theory
30 Pharmacology, Toxicology and Pharmaceutics
3000 General Pharmacology, Toxicology and Pharmaceutics
3002 Drug Discovery
3003 Pharmaceutical Science
3004 Pharmacology
3005 Toxicology
31 Physics and Astronomy
3100 General Physics and Astronomy
3102 Acoustics and Ultrasonics
3103 Astronomy and Astrophysics
3104 Condensed Matter Physics
3105 Instrumentation
3106 Nuclear and High Energy Physics
3107 Atomic and Molecular Physics, and Optics
3108 Radiation
3109 Statistical and Nonlinear Physics
3110 Surfaces and Interfaces
32 Psychology
3200 General Psychology
3202 Applied Psychology
3203 Clinical Psychology
3204 Developmental and Educational Psychology
3205 Experimental and Cognitive Psychology
3206 Neuropsychology and Physiological Psychology
3207 Social Psychology
33 Social Sciences
3300 General Social Sciences
3302 Archeology
3303 Development
3304 Education
3305 Geography, Planning and Development
3306 Health (social science)
3307 Human Factors and Ergonomics
3308 Law
3309 Library and Information Sciences
3310 Linguistics and Language
3311 Safety Research
3312 Sociology and Political Science
3313 Transportation
3314 Anthropology
3315 Communication
3316 Cultural Studies
3317 Demography
3318 Gender Studies
3319 Life-span and Life-course Studies
3320 Political Science and International Relations
3321 Public Administration
3322 Urban Studies
34 Veterinary
3400 General Veterinary
3402 Equine
3403 Food Animals
3404 Small Animals
35 Dentistry
3500 General Dentistry
3502 Dental Assisting
3503 Dental Hygiene
3504 Oral Surgery
3505 Orthodontics
3506 Periodontics
36 Health Professions
3600 General Health Professions
3602 Chiropractics
3603 Complementary and Manual Therapy
3604 Emergency Medical Services
3605 Health Information Management
3606 Medical Assisting and Transcription
3607 Medical Laboratory Technology
3608 Occupational Therapy
3609 Optometry
3610 Pharmacy
3611 Physical Therapy, Sports Therapy and Rehabilitation
3612 Radiological and Ultrasound Technology
3613 Respiratory Care
3614 Speech and Hearing
"""

SUBJECT_AREAS: list[tuple[str, str, str]] = [
    (code, name, code[:2] if len(code) == 4 else "")
    for code, name in (line.split(" ", 1) for line in _ASJC.strip().splitlines())
]  # (code, name, parent code)


@dataclass(frozen=True)
class _Subject:
    id: int
    code: str
    name: str

    @property
    def department(self) -> str:
        """Return the name an academic department would have: "Clinical Psychology"."""
        name = self.name.removeprefix("General ").split(" (")[0].split(",")[0]
        return "Interdisciplinary Studies" if name == "Multidisciplinary" else name


# Subject areas by how often they are used: a fixed shuffle of the 4-digit ASJC codes.
_SUBJECT_ORDER = list(range(sum(len(code) == 4 for code, _, _ in SUBJECT_AREAS)))
random.Random("catalogue-synthetic:subject-order").shuffle(_SUBJECT_ORDER)


def _ensure_subject_areas(writer: _Writer) -> list[_Subject]:
    """Create the ASJC subject areas not yet there; return the assignable (4-digit) ones."""
    existing = {
        code: pk for code, pk in SubjectArea.objects.filter(scheme="ASJC").values_list("code", "id")
    }
    next_id = writer.first_free_id(SubjectArea)
    fields = ("id", "code", "name", "scheme", "parent_id")
    for level in (2, 4):  # parents first: children refer to them
        rows = []
        for code, name, parent in SUBJECT_AREAS:
            if len(code) == level and code not in existing:
                existing[code] = next_id
                rows.append((next_id, code, name, "ASJC", existing.get(parent)))
                next_id += 1
        writer.insert(SubjectArea, fields, rows)
    return [
        _Subject(id=existing[code], code=code, name=name)
        for code, name, _ in SUBJECT_AREAS
        if len(code) == 4
    ]


# --------------------------------------------------------------------------------------------
# Research vocabulary. Rank order matters: earlier words are drawn more often. The general
# words come first in frequency order; the discipline words follow in a fixed shuffle.

_GENERAL_NOUNS = """
analysis effect model data outcome risk treatment patients association performance
development system structure method framework evidence response quality health change
process approach function growth management design impact exposure assessment activity
control information practice behaviour population learning policy level temperature
efficiency intervention diagnosis survival network experience variation mortality education
disease surface stress detection prediction theory measurement stability energy interaction
expression resistance strategy evaluation care community knowledge identity distribution
capacity regulation mechanism environment training symptoms adolescents women children
students workers adults infection therapy cancer depression anxiety inflammation pressure
concentration density software simulation algorithm signal imaging communication language
culture governance employment income trade innovation sustainability climate water soil
emissions adoption adherence recovery complications incidence prevalence decision
perception attitudes satisfaction wellbeing resilience inequality migration cohort
trial sample protocol estimation uncertainty variability accuracy sensitivity specificity
validation reliability feasibility cost utilisation access equity safety efficacy dose
"""

_DISCIPLINE_NOUNS = """
hypertension diabetes obesity stroke asthma sepsis dementia schizophrenia epilepsy arthritis
osteoporosis tuberculosis malaria influenza pneumonia hepatitis cirrhosis melanoma leukaemia
lymphoma carcinoma glioma neuropathy nephropathy retinopathy cardiomyopathy arrhythmia
thrombosis embolism haemorrhage anaemia fracture surgery anaesthesia transplantation dialysis
chemotherapy radiotherapy immunotherapy vaccination screening biopsy prognosis morbidity
readmission hospitalisation frailty multimorbidity polypharmacy delirium pain fatigue
insomnia migraine psoriasis eczema allergy pregnancy preeclampsia prematurity breastfeeding
menopause fertility contraception cholesterol insulin glucose biomarker troponin haemoglobin
platelet antibody antigen cytokine interleukin microbiome pathogen virus bacterium fungus
parasite vaccine antibiotic statin aspirin metformin opioid analgesic placebo toxicity
pharmacokinetics endoscopy colonoscopy mammography ultrasound tomography angiography stent
catheter prosthesis implant wound ulcer burn trauma concussion rehabilitation physiotherapy
nutrition malnutrition vitamin supplement diet sodium potassium calcium iron zinc fibre
smoking alcohol cannabis gambling suicide self-harm bullying neglect caregiving bereavement
gene protein enzyme receptor pathway cell tissue mutation genome transcription methylation
phosphorylation apoptosis autophagy proliferation differentiation metabolism mitochondria
ribosome chromatin histone chromosome telomere embryo neuron synapse axon dendrite
hippocampus cortex amygdala cerebellum thalamus plasticity neurogenesis organoid zebrafish
mouse drosophila arabidopsis yeast nematode phenotype genotype allele heritability evolution
speciation phylogeny biodiversity ecosystem habitat predator pollinator symbiosis
photosynthesis chlorophyll nitrogen phosphorus carbon oxygen hydrogen sulfur silicon lithium
catalyst catalysis polymer nanoparticle nanotube graphene perovskite electrode electrolyte
battery membrane adsorption oxidation corrosion crystal lattice alloy ceramic composite
coating hydrogel solvent ligand spectroscopy chromatography diffraction microscopy
luminescence fluorescence photocatalysis semiconductor conductivity viscosity porosity
morphology hardness ductility elasticity friction lubrication combustion pyrolysis
gasification biomass biofuel ethanol methane ammonia hydrocarbon quantum photon electron
spin magnetism superconductivity entanglement laser plasma turbulence wave oscillation
resonance scattering diffusion convection radiation gravity galaxy star planet exoplanet
neutrino cosmology supernova pulsar accretion magnetosphere ionosphere spectrum wavelength
polarisation interferometry holography metamaterial topology symmetry manifold
eigenvalue polynomial integral derivative matrix tensor graph theorem proof
conjecture approximation convergence discretisation interpolation
classifier encoder transformer embedding clustering regression optimisation heuristic
compiler database query cache protocol encryption authentication privacy blockchain robot
robotics segmentation recognition reinforcement inference kernel parallelism scheduling
latency throughput bandwidth cloud sensor firmware middleware ontology semantics
visualisation interface usability accessibility crowdsourcing recommender chatbot
misinformation cybersecurity malware phishing turbine engine vehicle bridge concrete steel
beam vibration welding machining actuator controller inverter converter transmission
antenna circuit amplifier transistor microcontroller drone propulsion aerodynamics
hydraulics pipeline tunnel pavement railway traffic logistics manufacturing automation
rainfall drought flood wildfire erosion sediment groundwater aquifer glacier permafrost
aerosol ozone precipitation monsoon watershed wetland forest deforestation agriculture crop
yield irrigation fertiliser pesticide livestock fishery aquaculture salinity runoff
landslide earthquake volcano tsunami seismicity tectonics mineralogy geochemistry isotope
fossil stratigraphy reef mangrove seagrass plankton algae estuary coastline upwelling
poverty unemployment wage labour household gender ethnicity democracy election voting
parliament legislation institution bureaucracy citizenship nationalism populism violence
crime policing incarceration welfare pension taxation debt inflation investment
entrepreneurship firm market competition productivity globalisation tourism media
journalism literacy curriculum pedagogy teacher school university leadership
accountability transparency corruption procurement outsourcing franchise merger
shareholder dividend auditing accounting banking insurance microfinance remittance
housing gentrification segregation mobility commuting urbanisation infrastructure
cognition memory attention emotion motivation personality self-esteem loneliness stigma
addiction craving impulsivity rumination mindfulness empathy aggression attachment
parenting temperament intelligence creativity reasoning metacognition bilingualism
reading numeracy handwriting dyslexia autism neurodiversity burnout absenteeism
narrative poetry novel manuscript archive museum heritage ritual religion theology
philosophy ethics aesthetics rhetoric translation modernism colonialism empire slavery
diaspora pilgrimage iconography liturgy epigraphy papyrus folklore dialect syntax
phonology pragmatics lexicon corpus orthography prosody
archaeology excavation pottery burial settlement hunter-gatherer domestication
dairy poultry cattle swine sheep goat horse canine feline veterinarian zoonosis
dentition caries periodontitis orthodontics enamel implantology midwifery nursing
hospice palliation triage ambulance telemedicine telehealth informatics interoperability
"""

_GENERAL_ADJECTIVES = """
clinical social significant new high low novel early long-term potential specific
different large human global local public mental natural environmental economic structural
functional chronic acute severe older young primary secondary national regional urban
rural digital sustainable effective important common rare systematic comparative
quantitative qualitative spatial temporal dynamic stable optimal robust adaptive integrated
multiple individual collective cultural political molecular genetic cellular biological
chemical physical thermal mechanical electrical optical magnetic numerical statistical
experimental theoretical computational empirical
"""

_DISCIPLINE_ADJECTIVES = """
cardiovascular metabolic inflammatory autoimmune infectious respiratory renal hepatic
neurological psychiatric cognitive behavioural emotional developmental paediatric
geriatric perinatal maternal neonatal surgical postoperative intensive ambulatory
pharmacological antimicrobial antiviral oncological haematological dermatological
ophthalmic orthopaedic dental veterinary epidemiological demographic socioeconomic
educational organisational institutional legal ethical historical philosophical
linguistic literary religious artistic musical visual textual archaeological
ecological evolutionary marine terrestrial freshwater agricultural coastal arctic
tropical atmospheric oceanic geological seismic volcanic hydrological microbial
bacterial viral fungal immune transcriptional epigenetic proteomic genomic synthetic
organic inorganic catalytic electrochemical photochemical porous crystalline amorphous
nanostructured conductive ferroelectric piezoelectric superconducting topological
nonlinear stochastic probabilistic bayesian discrete continuous algebraic geometric
asymptotic distributed parallel scalable secure autonomous wireless embedded neural
generative supervised unsupervised interpretable explainable multimodal semantic
relational hierarchical modular hybrid circular renewable solar hydraulic
aerodynamic automotive aerospace industrial financial monetary
fiscal corporate entrepreneurial migrant indigenous transnational postcolonial
feminist liberal democratic authoritarian municipal judicial legislative
"""

_TITLE_DESIGNS = (
    "systematic review", "meta-analysis", "randomised controlled trial", "cohort study",
    "cross-sectional study", "case study", "longitudinal analysis", "qualitative study",
    "simulation study", "comparative study", "pilot study", "mixed-methods study",
    "scoping review", "case-control study", "controlled experiment", "field study",
)  # fmt: skip

_STUDY_DESIGNS = (
    "prospective", "retrospective", "cross-sectional", "longitudinal", "mixed-methods",
    "quasi-experimental", "factorial", "stepped-wedge", "case-control", "within-subject",
)  # fmt: skip
# Abstract sentences by section: "{}" is a noun phrase; named fields are numbers.
_BACKGROUND = (
    "{} is a major determinant of {} worldwide.",
    "{} has been linked to {}, but its role in {} remains unclear.",
    "Despite growing interest in {}, little is known about {} in {}.",
    "Recent advances in {} have raised new questions about {} and {}.",
    "{} and {} are increasingly recognised as key drivers of {}.",
    "Understanding {} is essential for {} and {}.",
    "Previous studies of {} have reported inconsistent findings on {}.",
    "The relationship between {} and {} has received considerable attention in {}.",
)
_AIM = (
    "This study examined the association between {} and {} in {}.",
    "We investigated whether {} modifies the effect of {} on {}.",
    "Here we present {} for {} based on {}.",
    "The aim of this work was to assess {} and {} among {}.",
    "In this paper, we propose {} that combines {} with {}.",
    "We sought to characterise {} and its relation to {}.",
)
_METHODS = (
    "We analysed data from {n:,} participants enrolled in {} between {y1} and {y2}.",
    "A {design} design was used to compare {} with {}.",
    "{} was measured using {} and {}.",
    "We conducted {} of {k} studies reporting {}.",
    "Samples were collected from {k} sites and analysed by {}.",
    "{} was estimated with {} adjusted for {} and {}.",
    "The model was trained on {n:,} records and validated against {}.",
    "Participants completed {} at baseline and after {k} months.",
)
_RESULTS = (
    "{} was significantly associated with {} ({stat}).",
    "Compared with {}, {} reduced {} by {pct}% ({p}).",
    "{} explained {pct}% of the variance in {}.",
    "We identified {k} distinct patterns of {} linked to {}.",
    "The proposed {} outperformed {} on {} ({pct}% accuracy).",
    "No significant difference in {} was observed between {} and {} ({p}).",
    "{} increased with {} but not with {}.",
    "An increase in {} predicted a decline in {} after adjustment for {} ({stat}).",
)
_CONCLUSIONS = (
    "These findings suggest that {} may contribute to {}.",
    "Our results highlight the importance of {} for {} and {}.",
    "{} should be considered in future research on {}.",
    "This work provides a basis for {} and opens new avenues for {}.",
    "Further studies are needed to clarify the role of {} in {}.",
)
_TITLES = (
    "{} and {} in {}: a {design}",
    "Effects of {} on {} among {}",
    "The role of {} in {} and {}",
    "{} as a predictor of {} in {}",
    "Towards {} for {}: evidence from {}",
    "Association between {} and {} in {}: a {design}",
    "A new approach to {} in {} using {}",
    "{} under {}: implications for {}",
    "Modelling {} with {} and {}",
    "Does {} improve {}? Evidence from {}",
    "Long-term {} of {} in {}: a {design}",
    "{} and {}: a {design} of {}",
    "{} and {} as determinants of {} in {}: a {design}",
    "Comparing {} and {} for {} in {}",
    "{} of {} and {} among {}: findings from a {design}",
)
_SECTIONS = (
    ("Background", _BACKGROUND, 3),
    ("Objective", _AIM, 1),
    ("Methods", _METHODS, 3),
    ("Results", _RESULTS, 5),
    ("Conclusions", _CONCLUSIONS, 2),
)
# Noun phrase shapes as (adjectives, nouns) with their weights.
_PHRASE_SHAPES, _PHRASE_CUM = _weighted([((1, 1), 45), ((0, 2), 22), ((0, 1), 23), ((1, 2), 10)])


def _words(text: str) -> list[str]:
    """Return the whitespace-separated words of `text` (long word lists stay readable)."""
    return text.split()


def _ordered_words(general: str, discipline: str, purpose: str) -> list[str]:
    head = list(dict.fromkeys(_words(general)))
    tail = [word for word in dict.fromkeys(_words(discipline)) if word not in head]
    random.Random(f"catalogue-synthetic:vocabulary:{purpose}").shuffle(tail)
    return head + tail


_PLURAL_NOUNS = frozenset(
    _words(
        "patients symptoms adolescents women children students workers adults emissions "
        "complications attitudes"
    )
)
NOUNS = _ordered_words(_GENERAL_NOUNS, _DISCIPLINE_NOUNS, "nouns")
ADJECTIVES = _ordered_words(_GENERAL_ADJECTIVES, _DISCIPLINE_ADJECTIVES, "adjectives")
# Steeper than Zipf's 1.0 so a ~1,000-word vocabulary still has a tail at ~0.1% of articles;
# the offset keeps the head from being dominated by a single word.
_NOUN_ZIPF = _Zipf(len(NOUNS), exponent=2.6, offset=30, values=NOUNS)
_ADJECTIVE_ZIPF = _Zipf(len(ADJECTIVES), exponent=2.0, offset=8, values=ADJECTIVES)
_KEYWORD_NOUNS = _Zipf(len(NOUNS), exponent=1.5, offset=10, values=NOUNS)
_KEYWORD_ADJECTIVES = _Zipf(len(ADJECTIVES), exponent=1.5, offset=10, values=ADJECTIVES)


# --------------------------------------------------------------------------------------------
# Keywords: a shared, seed-independent list, the most used first.

_HEAD_KEYWORDS = """
machine learning|depression|climate change|COVID-19|anxiety|deep learning|obesity|
inflammation|oxidative stress|public health|quality of life|mental health|diabetes|
sustainability|education|children|breast cancer|risk factors|epidemiology|children and
adolescents|biomarkers|meta-analysis|systematic review|cognition|apoptosis|
artificial intelligence|prognosis|machine vision|renewable energy|gene expression|
schizophrenia|Alzheimer's disease|hypertension|stroke|PTSD|fMRI|CRISPR|RNA-seq|
microbiome|social media|innovation|governance|psychotherapy|therapeutic alliance|
nanoparticles|graphene|photocatalysis|lithium-ion batteries|drug delivery|
antimicrobial resistance|vaccination|air pollution|biodiversity|remote sensing|
corporate governance|economic growth|financial crisis|migration|gender|inequality|
well-being|resilience|emotion regulation|attention|working memory|autism|ADHD|
mindfulness|cognitive behavioural therapy|randomised controlled trial|primary care|
nursing|palliative care|telemedicine|health policy|cost-effectiveness|surgery|
heart failure|atrial fibrillation|sepsis|tuberculosis|HIV|malaria|influenza|
immunotherapy|chemotherapy|radiotherapy|prostate cancer|lung cancer|colorectal cancer|
genomics|proteomics|metabolomics|epigenetics|stem cells|zebrafish|Arabidopsis|
evolution|phylogeny|ecology|conservation|agriculture|food security|water quality|
groundwater|drought|flood risk|wildfire|earthquake|permafrost|ocean acidification|
smart grid|internet of things|cybersecurity|blockchain|cloud computing|big data|
natural language processing|computer vision|reinforcement learning|optimisation|
finite element analysis|computational fluid dynamics|additive manufacturing|
corrosion|fatigue|concrete|steel|polymers|composites|thin films|superconductivity|
quantum computing|dark matter|exoplanets|gravitational waves|neutrinos|cosmology|
literacy|curriculum|higher education|teacher education|bilingualism|
discourse analysis|translation|archaeology|museum studies|cultural heritage|
colonialism|religion|ethics|philosophy of science|urban planning|housing|
transport|tourism|entrepreneurship|marketing|supply chain|accounting|auditing|
"""


def keyword_terms(count: int) -> list[str]:
    """Return the first `count` synthetic keyword terms, the most used first (always the same)."""
    terms: list[str] = []
    seen: set[str] = set()
    for term in " ".join(_words(_HEAD_KEYWORDS)).split("|"):
        term = term.strip()
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    rng = random.Random("catalogue-synthetic:keywords")
    # Keywords end up in the searchable text too: their words follow a Zipf law as well, or
    # tens of thousands of keywords would make every word of the vocabulary common.
    noun, adjective = _KEYWORD_NOUNS.pick, _KEYWORD_ADJECTIVES.pick
    while len(terms) < count:
        shape = rng.random()
        if shape < 0.35:
            term = f"{adjective(rng)} {noun(rng)}"
        elif shape < 0.65:
            term = f"{noun(rng)} {noun(rng)}"
        elif shape < 0.85:
            term = f"{adjective(rng)} {noun(rng)} {noun(rng)}"
        else:
            term = f"{noun(rng)} of {noun(rng)}"
        if term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return terms[:count]


def _ensure_keywords(writer: _Writer, *, count: int) -> list[int]:
    """Create the synthetic keywords not yet there (matched ignoring case); return their ids."""
    existing: dict[str, int] = {}
    slugs: set[str] = set()
    for pk, term, slug in Keyword.objects.values_list("id", "term", "slug"):
        existing[term.lower()] = pk
        slugs.add(slug)
    next_id = writer.first_free_id(Keyword)
    ids, rows = [], []
    for term in keyword_terms(count):
        key = term.lower()
        if key not in existing:
            base = slugify(fold(term))[:240] or "keyword"
            slug, counter = base, 2
            while slug in slugs:
                slug, counter = f"{base}-{counter}", counter + 1
            slugs.add(slug)
            existing[key] = next_id
            rows.append((next_id, term, slug))
            next_id += 1
        ids.append(existing[key])
    writer.insert(Keyword, ("id", "term", "slug"), rows)
    return ids


# --------------------------------------------------------------------------------------------
# Journals

_PUBLISHERS, _PUBLISHER_CUM = _weighted(
    [
        ("Elsevier", 18), ("Springer Nature", 14), ("Wiley", 10), ("Taylor & Francis", 9),
        ("SAGE Publications", 5), ("MDPI", 6), ("Oxford University Press", 4),
        ("Cambridge University Press", 3), ("Frontiers Media", 4), ("IEEE", 4),
        ("American Psychological Association", 2), ("American Chemical Society", 2),
        ("Royal Society of Chemistry", 2), ("IOP Publishing", 2), ("BMJ Publishing Group", 1.5),
        ("Wolters Kluwer", 2), ("De Gruyter", 1.5), ("Karger", 1), ("Thieme", 1),
        ("Emerald Publishing", 1.5), ("Brill", 1), ("Public Library of Science", 1),
        ("Annual Reviews", 0.5), ("Hindawi", 1.5), ("University of Chicago Press", 0.5),
    ]
)  # fmt: skip
_REGIONS = (
    "European", "American", "Asian", "British", "Chinese", "Japanese", "Canadian", "Nordic",
    "Australian", "African", "Latin American", "Scandinavian", "Indian", "Korean", "Iberian",
)  # fmt: skip
_QUALIFIERS = (
    "Applied", "Clinical", "Experimental", "Computational", "Comparative", "Theoretical",
    "Contemporary", "Translational", "Integrative", "Quantitative",
)  # fmt: skip
_JOURNAL_PATTERNS, _JOURNAL_PATTERN_CUM = _weighted(
    [
        ("Journal of {t}", 20), ("{t} Research", 6), ("International Journal of {t}", 10),
        ("{r} Journal of {t}", 8), ("Annals of {t}", 3), ("Advances in {t}", 4),
        ("{t} Letters", 3), ("{t} Reports", 3), ("Frontiers in {t}", 3), ("Trends in {t}", 2),
        ("Current Opinion in {t}", 1), ("{t} Review", 3), ("Archives of {t}", 2),
        ("Progress in {t}", 2), ("Journal of {q} {t}", 8), ("{t} and {u}", 3),
        ("Journal of {t} and {u}", 6), ("{r} {t}", 2), ("Annual Review of {t}", 1),
        ("{t}: An International Journal", 2), ("{q} {t}", 3), ("{t} Quarterly", 2),
    ]
)  # fmt: skip
_ABBREVIATIONS = {
    "Journal": "J", "International": "Int", "Research": "Res", "Review": "Rev",
    "Clinical": "Clin", "Psychology": "Psychol", "Medicine": "Med", "Medical": "Med",
    "Science": "Sci", "Sciences": "Sci", "Engineering": "Eng", "Applied": "Appl",
    "Advances": "Adv", "Annals": "Ann", "American": "Am", "European": "Eur", "British": "Br",
    "Chinese": "Chin", "Japanese": "Jpn", "Canadian": "Can", "Nordic": "Nord",
    "Australian": "Aust", "African": "Afr", "Latin": "Lat", "Scandinavian": "Scand",
    "Indian": "Indian", "Korean": "Korean", "Iberian": "Iber", "Letters": "Lett",
    "Reports": "Rep", "Physics": "Phys", "Chemistry": "Chem", "Biology": "Biol",
    "Molecular": "Mol", "Environmental": "Environ", "Management": "Manage",
    "Economics": "Econ", "Social": "Soc", "Health": "Health", "Education": "Educ",
    "Educational": "Educ", "Technology": "Technol", "Computer": "Comput",
    "Computational": "Comput", "Mathematics": "Math", "Statistics": "Stat", "Ecology": "Ecol",
    "Evolution": "Evol", "Behavior": "Behav", "Behavioral": "Behav", "Neuroscience": "Neurosci",
    "Surgery": "Surg", "Nursing": "Nurs", "Pharmacology": "Pharmacol", "Materials": "Mater",
    "Systems": "Syst", "Studies": "Stud", "Communication": "Commun", "Development": "Dev",
    "Developmental": "Dev", "Geography": "Geogr", "History": "Hist", "Philosophy": "Philos",
    "Language": "Lang", "Linguistics": "Linguist", "Literature": "Lit", "Finance": "Finance",
    "Business": "Bus", "Accounting": "Account", "Marketing": "Mark", "Information": "Inf",
    "Electrical": "Electr", "Electronic": "Electron", "Mechanical": "Mech",
    "Mechanics": "Mech", "Civil": "Civ", "Structural": "Struct", "Industrial": "Ind",
    "Agricultural": "Agric", "Veterinary": "Vet", "Dentistry": "Dent", "Oncology": "Oncol",
    "Cardiology": "Cardiol", "Neurology": "Neurol", "Pediatrics": "Pediatr",
    "Genetics": "Genet", "Immunology": "Immunol", "Microbiology": "Microbiol",
    "Virology": "Virol", "Physiology": "Physiol", "Biochemistry": "Biochem",
    "Geology": "Geol", "Geophysics": "Geophys", "Oceanography": "Oceanogr",
    "Astronomy": "Astron", "Astrophysics": "Astrophys", "Nuclear": "Nucl", "Optics": "Opt",
    "Practice": "Pract", "Experimental": "Exp", "Cognitive": "Cogn", "Analysis": "Anal",
    "Analytical": "Anal", "Planning": "Plan", "Political": "Polit", "Sociology": "Sociol",
    "Anthropology": "Anthropol", "Frontiers": "Front", "Trends": "Trends", "Progress": "Prog",
    "Current": "Curr", "Opinion": "Opin", "Archives": "Arch", "Annual": "Annu",
    "Quarterly": "Q", "Comparative": "Comp", "Theoretical": "Theor", "Contemporary": "Contemp",
    "Translational": "Transl", "Integrative": "Integr", "Quantitative": "Quant",
    "Biological": "Biol", "Chemical": "Chem", "Energy": "Energy", "Policy": "Policy",
    "Theory": "Theory", "Public": "Public", "Care": "Care", "Law": "Law",
    "Epidemiology": "Epidemiol", "Hospitality": "Hosp", "Administration": "Adm",
    "Artificial": "Artif", "Intelligence": "Intell", "Biophysics": "Biophys",
    "Psychiatry": "Psychiatry", "Sustainability": "Sustain", "Renewable": "Renew",
    "Infectious": "Infect", "Diseases": "Dis", "Rehabilitation": "Rehabil",
}  # fmt: skip
_VOWELS = frozenset("aeiou")


def abbreviate_title(title: str) -> str:
    """Return an NLM/ISO 4-like abbreviation: "Journal of Applied Ecology" -> "J Appl Ecol"."""
    words = []
    for word in title.replace(":", "").replace(",", "").split():
        if word.lower() in {"of", "and", "the", "in", "on", "for", "an", "a", "&"}:
            continue
        if word in _ABBREVIATIONS:
            words.append(_ABBREVIATIONS[word])
        elif len(word) <= 6 or "-" in word or "(" in word:
            words.append(word)
        else:
            # ISO 4 style: cut just before a vowel after at least six letters ("Perinat").
            cut = next(
                (i for i in range(6, len(word) - 1)
                 if word[i] in _VOWELS and word[i - 1] not in _VOWELS),
                len(word),
            )  # fmt: skip
            words.append(word[:cut])
    return " ".join(words)


def _issn(rng: random.Random) -> str:
    digits = f"{rng.randrange(10**7):07d}"
    return f"{digits[:4]}-{digits[4:]}{identifiers.issn_check_digit(digits)}"


@dataclass
class _Journal:
    id: int
    subjects: tuple[_Subject, ...]
    founded: int
    issues_per_year: int
    article_numbers: str  # "" for page ranges, else a pattern such as "e{:05d}"
    home_keywords: tuple[int, ...]  # indexes into the keyword pool
    publisher: str


def _journal_topics(subjects: Sequence[_Subject]) -> list[list[str]]:
    """Return for each subject the topic names journals are named after."""
    topics = []
    for subject in subjects:
        name = subject.name.removeprefix("General ").split(" (")[0]
        if "," not in name:  # "Earth and Planetary Sciences" is one topic
            topics.append([name])
            continue
        parts = [part.strip() for part in name.replace(" and ", ", ").split(",") if part.strip()]
        topics.append([name, *parts])
    return topics


def _write_journals(
    writer: _Writer,
    *,
    seed: int,
    count: int,
    subjects: Sequence[_Subject],
    keyword_count: int,
) -> list[_Journal]:
    rng = _rng(seed, "journals")
    subject_zipf = _Zipf(len(subjects), exponent=0.9, offset=3)
    subject_order = _SUBJECT_ORDER
    keyword_zipf = _Zipf(keyword_count, exponent=1.0, offset=5)
    topics = _journal_topics(subjects)
    by_field: dict[str, list[int]] = {}  # ASJC field ("32") -> indexes of its subjects
    for index, subject in enumerate(subjects):
        by_field.setdefault(subject.code[:2], []).append(index)
    taken_issns = set(
        itertools.chain.from_iterable(Journal.objects.values_list("issn_print", "issn_electronic"))
    )
    titles: set[str] = set()
    next_id = writer.first_free_id(Journal)
    journals, rows = [], []
    for number in range(count):
        primary = subject_order[subject_zipf.one(rng)]
        chosen = [primary]
        for _ in range(rng.choices((0, 1, 2), (55, 30, 15))[0]):
            if rng.random() < 0.6:  # mostly another subject of the same field
                candidate = rng.choice(by_field[subjects[primary].code[:2]])
            else:
                candidate = subject_order[subject_zipf.one(rng)]
            if candidate not in chosen:
                chosen.append(candidate)
        title = _journal_title(rng, topics[primary], topics[chosen[-1]], titles, number)
        issn_print = "" if rng.random() < 0.2 else _unique_issn(rng, taken_issns)
        issn_electronic = "" if rng.random() < 0.08 else _unique_issn(rng, taken_issns)
        publisher = rng.choices(_PUBLISHERS, cum_weights=_PUBLISHER_CUM)[0]
        article_numbers = ""
        if rng.random() < 0.18:
            article_numbers = rng.choice(("e{:05d}", "{:d}", "{:06d}", "e0{:06d}", "ab{:04d}"))
        journal = _Journal(
            id=next_id,
            subjects=tuple(subjects[index] for index in chosen),
            founded=min(2020, int(rng.triangular(1880, 2020, 1995))),
            issues_per_year=rng.choice((4, 4, 6, 6, 12, 12, 24)),
            article_numbers=article_numbers,
            home_keywords=tuple(keyword_zipf.draw(rng, 20)),
            publisher=publisher,
        )
        journals.append(journal)
        rows.append(
            (next_id, title, abbreviate_title(title), issn_print, issn_electronic, publisher)
        )
        next_id += 1
    fields = ("id", "title", "abbreviated_title", "issn_print", "issn_electronic", "publisher")
    writer.insert(Journal, fields, rows)
    return journals


def _unique_issn(rng: random.Random, taken: set[str]) -> str:
    while True:
        issn = _issn(rng)
        if issn not in taken:
            taken.add(issn)
            return issn


def _journal_title(
    rng: random.Random, topics: list[str], other_topics: list[str], taken: set[str], number: int
) -> str:
    for _ in range(12):
        pattern = rng.choices(_JOURNAL_PATTERNS, cum_weights=_JOURNAL_PATTERN_CUM)[0]
        topic = rng.choice(topics)
        other = rng.choice(other_topics)
        if "{u}" in pattern and (other == topic or " and " in topic or "," in topic):
            continue
        title = pattern.format(t=topic, u=other, r=rng.choice(_REGIONS), q=rng.choice(_QUALIFIERS))
        if title not in taken:
            taken.add(title)
            return title
    title = f"{topics[0]} Section {number}"
    taken.add(title)
    return title


# --------------------------------------------------------------------------------------------
# Authors

_GIVEN_NAMES = _words(
    """
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara
Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony
Sandra Mark Ashley Paul Emily Steven Donna Andrew Michelle Joshua Carol Kevin Amanda Brian
Melissa George Deborah Timothy Stephanie Jason Rebecca Ryan Laura Jacob Sharon Nicholas
Cynthia Eric Kathleen Jonathan Amy Stephen Angela Benjamin Anna Samuel Emma Alexander Olivia
Peter Sophie Lukas Hannah Jonas Lea Maximilian Felix Marie Jan Anke Pieter Sanne Daan Femke
Sven Ingrid Lars Astrid Mikko Aino Pierre Camille Jean Claire Luc Isabelle Antoine Chloé
Marco Giulia Luca Francesca Alessandro Chiara José María Carlos Lucía Javier Carmen Diego
Ana João Beatriz Pedro Mariana Wei Li Jing Xin Hao Yan Lei Ming Yuki Haruto Sakura Kenji
Akiko Hiroshi Min-jun Seo-yeon Ji-ho Ji-woo Priya Rahul Ananya Arjun Deepika Vikram Aisha
Omar Fatima Ahmed Layla Hassan Mehmet Elif Ayşe Mustafa Olga Ivan Natalia Dmitri Anastasia
Sergei Katarzyna Piotr Agnieszka Tomasz Nkechi Chinedu Amara Kwame Ama Thabo Zanele Sigal
Pim Mirjam Christoph Bruce Noa Yosef Tamar Kai Leilani Mateo Valentina Santiago Camila
Zoltán Eszter Ondřej Tereza Dimitrios Eleni Siobhán Niamh Eoin Ciarán
"""
)
_FAMILY_NAMES = [
    *_words(
        """
Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore
Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright
Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans
Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson
Reed Bailey Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes
Price Sanders Myers Long Ross Foster Müller Schmidt Schneider Fischer Weber Meyer Wagner
Becker Schulz Hoffmann Koch Richter Klein Wolf Schröder Neumann Jansen Janssen Visser
Smit Bakker Mulder Bos Vos Peters Hendriks Dekker Andersson Johansson Karlsson Nilsson
Eriksson Larsson Hansen Nielsen Jensen Pedersen Virtanen Korhonen Mäkinen Dubois Durand
Lefebvre Moreau Laurent Simon Michel Garnier Rossi Russo Ferrari Esposito Bianchi Romano
Colombo Ricci García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez
Díaz Silva Santos Oliveira Souza Pereira Costa Ferreira Almeida Wang Li Zhang Liu Chen
Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao Luo Sato Suzuki Takahashi Tanaka
Watanabe Ito Yamamoto Nakamura Kobayashi Kato Kim Lee Park Choi Jung Kang Cho Yoon Jang
Lim Nguyen Tran Le Pham Hoang Singh Kumar Sharma Patel Gupta Reddy Iyer Das Chatterjee
Mehta Khan Ahmed Ali Hussain Rahman Hassan Ibrahim Yilmaz Kaya Demir Şahin Çelik Ivanov
Smirnov Kuznetsov Popov Petrov Kowalski Nowak Wiśniewski Wójcik Kowalczyk Novák Horváth
Nagy Kovács Papadopoulos Georgiou Cohen Levi Mizrahi Okafor Adeyemi Mensah Nkosi Dlamini
Mwangi Otieno O'Brien O'Connor MacDonald McCarthy Zilcha-Mano Cuijpers Flückiger Wampold
Horvath Reijnders Huibers
"""
    ),
    "Del Re",  # a family name with a space in it, as in the seed data
]
_PARTICLES = {
    "van": ("Dijk", "Leeuwen", "Dam", "Beek", "Vliet", "Rijn"),
    "van der": ("Berg", "Meer", "Linden", "Heijden", "Veen", "Wal"),
    "van den": ("Broek", "Bosch", "Heuvel", "Bergh"),
    "de": ("Vries", "Jong", "Groot", "Boer", "Graaf", "Wit"),
    "de la": ("Cruz", "Fuente", "Torre", "Rosa", "Vega"),
    "von": ("Braun", "Stein", "Arnim", "Bülow"),
    "da": ("Silva", "Costa", "Rocha"),
    "di": ("Stefano", "Marco", "Luca"),
    "del": ("Río", "Valle", "Castillo"),
    "le": ("Roux", "Goff", "Gall"),
    "ten": ("Have", "Brink", "Cate"),
    "dos": ("Santos", "Reis"),
}
_PARTICLE_CHOICES = list(_PARTICLES.items())
_SUFFIXES = ("Jr.", "Jr.", "Jr.", "Sr.", "II", "III", "III", "IV")
_CORPORATE_KINDS = (
    "Study Group", "Consortium", "Collaborative Group", "Trial Investigators",
    "Working Group", "Network", "Collaboration",
)  # fmt: skip
_CORPORATE_TOPICS = [
    " ".join(word if word[:1].isupper() else word.capitalize() for word in term.split())
    for term in keyword_terms(120)
    if len(term) > 4
]
_INITIALS = "ABCDEFGHIJKLMNOPRSTVWY"
AUTHOR_FIELDS = ("id", "family_name", "given_names", "particle", "suffix", "corporate_name",
                 "orcid")  # fmt: skip


def _orcid(rng: random.Random) -> str:
    block = rng.choice(("0001", "0002", "0003", "0009"))
    digits = f"0000{block}{rng.randrange(10**7):07d}"
    return "-".join(
        (digits[:4], digits[4:8], digits[8:12], digits[12:] + identifiers.orcid_check_digit(digits))
    )


def _author_row(rng: random.Random, author_id: int, taken_orcids: set[str]) -> tuple:
    draw = rng.random()
    if draw < 0.004:
        topic = rng.choice(_CORPORATE_TOPICS)
        name = f"{topic} {rng.choice(_CORPORATE_KINDS)}"
        if rng.random() < 0.3:
            name = f"{rng.choice(_REGIONS)} {name}"
        return (author_id, "", "", "", "", name, "")
    particle = ""
    if draw < 0.05:
        particle, families = rng.choice(_PARTICLE_CHOICES)
        family = rng.choice(families)
    else:
        family = rng.choice(_FAMILY_NAMES)
    shape = rng.random()
    if shape < 0.25:  # initials only: "J. R."
        given = " ".join(f"{rng.choice(_INITIALS)}." for _ in range(rng.choice((1, 1, 2))))
    elif shape < 0.55:  # with a middle initial: "Marcus J."
        given = f"{rng.choice(_GIVEN_NAMES)} {rng.choice(_INITIALS)}."
    else:
        given = rng.choice(_GIVEN_NAMES)
    suffix = rng.choice(_SUFFIXES) if rng.random() < 0.007 else ""
    orcid = ""
    if rng.random() < 0.35:
        orcid = _orcid(rng)
        while orcid in taken_orcids:
            orcid = _orcid(rng)
        taken_orcids.add(orcid)
    return (author_id, family, given, particle, suffix, "", orcid)


def _write_authors(
    writer: _Writer, *, seed: int, count: int, batch_size: int, progress: Progress | None
) -> int:
    """Write `count` authors with consecutive ids; return the first id."""
    rng = _rng(seed, "authors")
    taken_orcids = set(Author.objects.exclude(orcid="").values_list("orcid", flat=True))
    first_id = writer.first_free_id(Author)
    for start in range(0, count, batch_size):
        stop = min(count, start + batch_size)
        rows = [_author_row(rng, first_id + n, taken_orcids) for n in range(start, stop)]
        writer.insert(Author, AUTHOR_FIELDS, rows)
        if progress:
            progress("authors", stop, count)
    return first_id


# --------------------------------------------------------------------------------------------
# Articles

_OUTPUT_TYPES, _OUTPUT_TYPE_CUM = _weighted(
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
_LANGUAGES, _LANGUAGE_CUM = _weighted(
    [("en", 93), ("de", 1.8), ("fr", 1.3), ("es", 1.4), ("zh", 0.9), ("ja", 0.6), ("nl", 0.4),
     ("pt", 0.5), ("it", 0.3), ("ru", 0.3), ("ko", 0.2), ("pl", 0.1), ("sv", 0.1), ("", 0.1)]
)  # fmt: skip
FIRST_YEAR, LAST_YEAR = 1950, 2026
# Output grows ~8% a year, so ~89% of the records are from 2000 on; the current year is partial.
_YEARS, _YEAR_CUM = _weighted(
    (year, math.exp(0.08 * (year - FIRST_YEAR)) * (0.5 if year == LAST_YEAR else 1.0))
    for year in range(FIRST_YEAR, LAST_YEAR + 1)
)
# Authors per journal article, 1 to 12, mostly 2 to 5 (mean 4.5; 4.3 over all outputs).
_AUTHOR_COUNTS, _AUTHOR_COUNT_CUM = _weighted(
    zip(range(1, 13), (8, 15, 18, 16, 13, 10, 7, 5, 3, 2, 2, 1), strict=True)
)
_KEYWORD_COUNTS, _KEYWORD_COUNT_CUM = _weighted(
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
        "design": rng.choice(_STUDY_DESIGNS),
    }


class _ArticleStream:
    """Makes article rows in order: the n-th article is the same whatever the batch size."""

    def __init__(
        self,
        *,
        seed: int,
        articles: int,
        journals: list[_Journal],
        subjects: list[_Subject],
        keyword_ids: list[int],
        author_first_id: int,
        author_count: int,
    ) -> None:
        self.seed = seed
        self.articles = articles
        self.rng = _rng(seed, "articles")
        self.journals = journals
        self.subjects = subjects
        self.keyword_ids = keyword_ids
        self.keyword_terms = keyword_terms(len(keyword_ids))
        self.journal_zipf = _Zipf(len(journals), exponent=1.0, offset=5)
        self.keyword_zipf = _Zipf(len(keyword_ids), exponent=1.05, offset=3)
        self.author_zipf = _Zipf(author_count, exponent=0.9, offset=60)
        self.subject_zipf = _Zipf(
            len(subjects), exponent=0.9, offset=3, values=[subjects[i] for i in _SUBJECT_ORDER]
        )
        self.author_first_id = author_first_id
        self.author_count = author_count
        # Part of the author slots introduce the next unused author, so (nearly) every author
        # of the pool has an article; the rest follow the Zipf law.
        self.next_new_author = 0
        self.new_author_share = min(1.0, author_count / (articles * 4.3) * 1.05)

    def batches(self, *, first_id: int, batch_size: int, now: object) -> Iterator[_ArticleBatch]:
        """Yield the articles in batches, with ids from `first_id` on."""
        for start in range(0, self.articles, batch_size):
            batch = _ArticleBatch()
            for number in range(start + 1, min(self.articles, start + batch_size) + 1):
                self._article(batch, first_id + number - 1, number, now)
            yield batch

    def _article(self, batch: _ArticleBatch, article_id: int, number: int, now: object) -> None:
        rng = self.rng
        output_type = rng.choices(_OUTPUT_TYPES, cum_weights=_OUTPUT_TYPE_CUM)[0]
        journal = None
        if output_type in _IN_JOURNALS:
            journal = self.journals[self.journal_zipf.one(rng)]
        year, month, day, state = self._date_and_state(rng, output_type)
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
        batch.articles.append(
            (
                article_id, output_type.value, peer_reviewed, title, abstract, language,
                journal.id if journal else None, volume, issue, first_page, last_page,
                article_number, page_count, state.value, year, month, day,
                doi_for(seed=self.seed, number=number), pmid, "", note, now, now,
            )
        )  # fmt: skip
        if journal is not None:
            subjects = journal.subjects
        else:
            first, second = self.subject_zipf.draw(rng, 2)
            subjects = (first,) if first == second or rng.random() < 0.5 else (first, second)
        for position, author_id in enumerate(self._authors(rng, output_type), start=1):
            affiliation = ""
            if rng.random() < 0.3:
                city, country = rng.choice(_CITIES)
                institution = rng.choice(_INSTITUTIONS).format(c=city)
                department = rng.choice(subjects).department
                affiliation = f"Department of {department}, {institution}, {country}"
            batch.authorships.append((article_id, author_id, position, affiliation))
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

    def _keywords(self, rng: random.Random, journal: _Journal | None) -> list[int]:
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
        title_template = rng.choice(_TITLES)
        sentences: list[tuple[str, str]] = []  # (section label, template)
        for label, templates, usual in _SECTIONS:
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
        title = title_template.format(*phrases[:used], design=rng.choice(_TITLE_DESIGNS))
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
        shapes = rng.choices(_PHRASE_SHAPES, cum_weights=_PHRASE_CUM, k=count)
        nouns = iter(_NOUN_ZIPF.draw(rng, sum(shape[1] for shape in shapes)))
        adjectives = iter(_ADJECTIVE_ZIPF.draw(rng, sum(shape[0] for shape in shapes)))
        phrases = []
        for adjective_count, noun_count in shapes:
            phrase = next(nouns)
            if noun_count == 2:
                # "risk in children", not "children risk"
                head = next(nouns)
                phrase = f"{head} in {phrase}" if phrase in _PLURAL_NOUNS else f"{phrase} {head}"
            if adjective_count:
                phrase = f"{next(adjectives)} {phrase}"
            phrases.append(phrase)
        return phrases
