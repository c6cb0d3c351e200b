"""Persistent identifiers: DOI, ISSN, ORCID, PMID and ISO 639 language codes.

Each identifier has a `normalise_*` function (the canonical stored form, or the
input unchanged when it cannot be recognised) and a `validate_*` function that
raises `ValidationError` with a message a librarian can act on.
"""

import re
from collections.abc import Iterable
from urllib.parse import unquote

from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError

DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*|info:doi/|urn:doi:|doi\s+)",
    re.IGNORECASE,
)
_ISSN_PATTERN = re.compile(r"^(\d{4})-?(\d{3}[\dX])$")
_ORCID_PATTERN = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")
_ORCID_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?orcid\.org/", re.IGNORECASE)
_LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}$")

# ISO 639-1 codes Django's LANG_INFO lacks (it names only the languages Django is translated
# into), in English: without them a record in Chinese or Latin would show "zh" or "la".
_MORE_LANGUAGE_NAMES = dict(
    line.split(" ", 1)
    for line in """aa Afar
ab Abkhazian
ae Avestan
ak Akan
am Amharic
an Aragonese
as Assamese
av Avaric
ay Aymara
ba Bashkir
bi Bislama
bm Bambara
bo Tibetan
ce Chechen
ch Chamorro
co Corsican
cr Cree
cu Church Slavic
cv Chuvash
dv Divehi
dz Dzongkha
ee Ewe
ff Fulah
fj Fijian
fo Faroese
gn Guarani
gu Gujarati
gv Manx
ha Hausa
ho Hiri Motu
ht Haitian Creole
hz Herero
ie Interlingue
ii Sichuan Yi
ik Inupiaq
iu Inuktitut
jv Javanese
kg Kongo
ki Kikuyu
kj Kuanyama
kl Kalaallisut
kr Kanuri
ks Kashmiri
ku Kurdish
kv Komi
kw Cornish
la Latin
lg Ganda
li Limburgish
ln Lingala
lo Lao
lu Luba-Katanga
mg Malagasy
mh Marshallese
mi Maori
mt Maltese
na Nauru
nd North Ndebele
ng Ndonga
nr South Ndebele
nv Navajo
ny Chichewa
oc Occitan
oj Ojibwa
om Oromo
or Odia
pi Pali
ps Pashto
qu Quechua
rm Romansh
rn Rundi
rw Kinyarwanda
sa Sanskrit
sc Sardinian
sd Sindhi
se Northern Sami
sg Sango
si Sinhala
sm Samoan
sn Shona
so Somali
ss Swati
st Southern Sotho
su Sundanese
ti Tigrinya
tl Tagalog
tn Tswana
to Tonga
ts Tsonga
tw Twi
ty Tahitian
ve Venda
vo Volapük
wa Walloon
wo Wolof
xh Xhosa
yi Yiddish
yo Yoruba
za Zhuang
zh Chinese
zu Zulu""".splitlines()
)


def normalise_doi(value: str) -> str:
    """Return the DOI lower-cased, without URL or `doi:` prefix and surrounding space."""
    doi = (value or "").strip()
    # Prefixes can be stacked in the wild ("doi: https://doi.org/10...").
    while True:
        stripped = _DOI_PREFIX.sub("", doi, count=1).strip()
        if stripped == doi:
            break
        doi = stripped
    if "%" in doi:
        # DOIs copied from resolver URLs are percent-encoded ("10.1000%2Fabc").
        doi = unquote(doi)
    return doi.lower()


def validate_doi(value: str) -> None:
    """Raise ValidationError unless `value` is a normalised DOI (10.prefix/suffix)."""
    if not DOI_PATTERN.match(value or ""):
        raise ValidationError(
            "%(value)s is not a DOI: expected 10.<registrant>/<suffix>, e.g. 10.1037/a0040435.",
            code="invalid_doi",
            params={"value": value},
        )


def issn_check_digit(first_seven: str) -> str:
    """Return the ISSN check character (0-9 or X) for seven digits."""
    weights = range(8, 1, -1)
    total = sum(int(digit) * weight for digit, weight in zip(first_seven, weights, strict=True))
    remainder = (11 - total % 11) % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_issn(value: str) -> str:
    """Return the ISSN as NNNN-NNNC with an upper-case X, or the stripped input if unrecognised."""
    issn = (value or "").strip().upper().replace(" ", "")
    match = _ISSN_PATTERN.match(issn)
    if not match:
        return issn
    return f"{match.group(1)}-{match.group(2)}"


def validate_issn(value: str) -> None:
    """Raise ValidationError unless `value` is an ISSN (NNNN-NNNC) with a correct check digit."""
    match = _ISSN_PATTERN.match(value or "")
    if not match or "-" not in value:
        raise ValidationError(
            "%(value)s is not an ISSN: expected NNNN-NNNC, e.g. 0003-066X.",
            code="invalid_issn",
            params={"value": value},
        )
    digits = match.group(1) + match.group(2)
    if issn_check_digit(digits[:7]) != digits[7]:
        raise ValidationError(
            "%(value)s has a wrong check digit (expected %(expected)s).",
            code="invalid_issn_checksum",
            params={"value": value, "expected": issn_check_digit(digits[:7])},
        )


def valid_issns(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """Return the distinct valid ISSNs among `values`, normalised, and why each other failed."""
    issns: list[str] = []
    errors: list[str] = []
    for value in values:
        issn = normalise_issn(value)
        try:
            validate_issn(issn)
        except ValidationError as error:
            errors.append(error.messages[0])
            continue
        if issn not in issns:
            issns.append(issn)
    return issns, errors


def orcid_check_digit(first_fifteen: str) -> str:
    """Return the ORCID check character (ISO 7064 MOD 11-2) for fifteen digits."""
    total = 0
    for digit in first_fifteen:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalise_orcid(value: str) -> str:
    """Return the ORCID as 0000-0000-0000-000X without URL, or the stripped input if unknown."""
    orcid = _ORCID_PREFIX.sub("", (value or "").strip()).upper()
    match = _ORCID_PATTERN.match(orcid)
    if not match:
        return orcid
    return "-".join(match.groups())


def validate_orcid(value: str) -> None:
    """Raise ValidationError unless `value` is a normalised ORCID iD with a correct check digit."""
    match = _ORCID_PATTERN.match(value or "")
    if not match or value.count("-") != 3:
        raise ValidationError(
            "%(value)s is not an ORCID iD: expected 0000-0000-0000-000X.",
            code="invalid_orcid",
            params={"value": value},
        )
    digits = "".join(match.groups())
    if orcid_check_digit(digits[:15]) != digits[15]:
        raise ValidationError(
            "%(value)s has a wrong check digit (expected %(expected)s).",
            code="invalid_orcid_checksum",
            params={"value": value, "expected": orcid_check_digit(digits[:15])},
        )


def validate_pmid(value: str) -> None:
    """Raise ValidationError unless `value` is a PubMed identifier (1 to 9 digits)."""
    if not re.fullmatch(r"[1-9]\d{0,8}", value or ""):
        raise ValidationError(
            "%(value)s is not a PMID: expected up to 9 digits, e.g. 28481579.",
            code="invalid_pmid",
            params={"value": value},
        )


def validate_language(value: str) -> None:
    """Raise ValidationError unless `value` looks like an ISO 639-1/639-3 code ("en", "deu")."""
    if not _LANGUAGE_PATTERN.match(value or ""):
        raise ValidationError(
            "%(value)s is not an ISO 639 language code: "
            "expected 2 or 3 lower-case letters, e.g. en.",
            code="invalid_language",
            params={"value": value},
        )


def language_name(code: str) -> str:
    """Return the English name of an ISO 639 code ("en" -> "English"), or the code itself."""
    info = LANG_INFO.get(code)
    if info and "name" in info:
        return info["name"]
    return _MORE_LANGUAGE_NAMES.get(code, code)
