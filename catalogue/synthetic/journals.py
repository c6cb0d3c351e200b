"""Journals: titles, ISSNs, publishers and the subjects and keywords each journal favours."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

from catalogue import identifiers
from catalogue.models import Journal
from catalogue.synthetic.sampling import Zipf, draw_unique, seeded_random, weighted_choices
from catalogue.synthetic.subjects import SUBJECT_ORDER, SyntheticSubject
from catalogue.synthetic.vocabulary import REGIONS
from catalogue.synthetic.writers import Writer

_PUBLISHERS, _PUBLISHER_CUM = weighted_choices(
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
_QUALIFIERS = (
    "Applied", "Clinical", "Experimental", "Computational", "Comparative", "Theoretical",
    "Contemporary", "Translational", "Integrative", "Quantitative",
)  # fmt: skip
_JOURNAL_PATTERNS, _JOURNAL_PATTERN_CUM = weighted_choices(
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
class SyntheticJournal:
    """A generated journal with what its articles draw on: subjects, volumes, keywords."""

    id: int
    subjects: tuple[SyntheticSubject, ...]
    founded: int
    issues_per_year: int
    article_numbers: str  # "" for page ranges, else a pattern such as "e{:05d}"
    home_keywords: tuple[int, ...]  # indexes into the keyword pool
    publisher: str


def _journal_topics(subjects: Sequence[SyntheticSubject]) -> list[list[str]]:
    """Return for each subject the topic names journals are named after."""
    topics = []
    for subject in subjects:
        name = subject.topic
        if "," not in name:  # "Earth and Planetary Sciences" is one topic
            topics.append([name])
            continue
        parts = [part.strip() for part in name.replace(" and ", ", ").split(",") if part.strip()]
        topics.append([name, *parts])
    return topics


def write_journals(
    writer: Writer,
    *,
    seed: int,
    count: int,
    subjects: Sequence[SyntheticSubject],
    keyword_count: int,
) -> list[SyntheticJournal]:
    """Write `count` journals in `subjects` and return them with what their articles use."""
    rng = seeded_random(seed, "journals")
    subject_zipf = Zipf(len(subjects), exponent=0.9, offset=3)
    subject_order = SUBJECT_ORDER
    keyword_zipf = Zipf(keyword_count, exponent=1.0, offset=5)
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
        issn_print = "" if rng.random() < 0.2 else draw_unique(_issn, rng, taken_issns)
        issn_electronic = "" if rng.random() < 0.08 else draw_unique(_issn, rng, taken_issns)
        publisher = rng.choices(_PUBLISHERS, cum_weights=_PUBLISHER_CUM)[0]
        article_numbers = ""
        if rng.random() < 0.18:
            article_numbers = rng.choice(("e{:05d}", "{:d}", "{:06d}", "e0{:06d}", "ab{:04d}"))
        journal = SyntheticJournal(
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


def _journal_title(
    rng: random.Random, topics: list[str], other_topics: list[str], taken: set[str], number: int
) -> str:
    for _ in range(12):
        pattern = rng.choices(_JOURNAL_PATTERNS, cum_weights=_JOURNAL_PATTERN_CUM)[0]
        topic = rng.choice(topics)
        other = rng.choice(other_topics)
        if "{u}" in pattern and (other == topic or " and " in topic or "," in topic):
            continue
        title = pattern.format(t=topic, u=other, r=rng.choice(REGIONS), q=rng.choice(_QUALIFIERS))
        if title not in taken:
            taken.add(title)
            return title
    title = f"{topics[0]} Section {number}"
    taken.add(title)
    return title
