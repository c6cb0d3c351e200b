"""Keywords: a shared, seed-independent list, the most used first."""

from __future__ import annotations

import random

from django.utils.text import slugify

from catalogue.models import Keyword, fold
from catalogue.synthetic.vocabulary import KEYWORD_ADJECTIVES, KEYWORD_NOUNS, split_words
from catalogue.synthetic.writers import Writer

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
    for term in " ".join(split_words(_HEAD_KEYWORDS)).split("|"):
        term = term.strip()
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    rng = random.Random("catalogue-synthetic:keywords")
    # Keywords end up in the searchable text too: their words follow a Zipf law as well, or
    # tens of thousands of keywords would make every word of the vocabulary common.
    noun, adjective = KEYWORD_NOUNS.pick, KEYWORD_ADJECTIVES.pick
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


def ensure_keywords(writer: Writer, *, count: int) -> list[int]:
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
