"""Authors: people with international names, particles, suffixes and ORCIDs, and a few groups."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from catalogue import identifiers
from catalogue.models import Author
from catalogue.synthetic.keywords import keyword_terms
from catalogue.synthetic.sampling import draw_unique, seeded_random
from catalogue.synthetic.vocabulary import REGIONS, split_words
from catalogue.synthetic.writers import Writer

if TYPE_CHECKING:
    from catalogue.synthetic.generator import Progress  # a type only: generator imports us

_GIVEN_NAMES = split_words(
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
    *split_words(
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
            name = f"{rng.choice(REGIONS)} {name}"
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
    orcid = draw_unique(_orcid, rng, taken_orcids) if rng.random() < 0.35 else ""
    return (author_id, family, given, particle, suffix, "", orcid)


def write_authors(
    writer: Writer, *, seed: int, count: int, batch_size: int, progress: Progress | None
) -> tuple[int, list[tuple[str, str, str, str, str]]]:
    """Write `count` authors with consecutive ids; return the first id and their names.

    The names (family, given, particle, suffix, corporate: PrintedName.NAME_FIELDS' order)
    are in id order, for the authorships to print them.
    """
    rng = seeded_random(seed, "authors")
    taken_orcids = set(Author.objects.exclude(orcid="").values_list("orcid", flat=True))
    first_id = writer.first_free_id(Author)
    names = []
    for start in range(0, count, batch_size):
        stop = min(count, start + batch_size)
        rows = [_author_row(rng, first_id + n, taken_orcids) for n in range(start, stop)]
        writer.insert(Author, AUTHOR_FIELDS, rows)
        names.extend(row[1:6] for row in rows)
        if progress:
            progress("authors", stop, count)
    return first_id, names
