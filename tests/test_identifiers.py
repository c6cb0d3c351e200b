import pytest
from django.core.exceptions import ValidationError

from catalogue import identifiers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1037/a0040435", "10.1037/a0040435"),
        ("10.1037/A0040435", "10.1037/a0040435"),
        ("  10.1037/a0040435 ", "10.1037/a0040435"),
        ("doi:10.1037/a0040435", "10.1037/a0040435"),
        ("DOI: 10.1037/a0040435", "10.1037/a0040435"),
        ("https://doi.org/10.1037/a0040435", "10.1037/a0040435"),
        ("http://dx.doi.org/10.1037/a0040435", "10.1037/a0040435"),
        ("HTTPS://DOI.ORG/10.1037/A0040435", "10.1037/a0040435"),
        ("doi.org/10.1037/a0040435", "10.1037/a0040435"),
        ("doi: https://doi.org/10.1037/a0040435", "10.1037/a0040435"),
        ("info:doi/10.1037/a0040435", "10.1037/a0040435"),
        ("https://doi.org/10.1037%2Fa0040435", "10.1037/a0040435"),
        (
            "10.1146/annurev-clinpsy-050718-095424",
            "10.1146/annurev-clinpsy-050718-095424",
        ),
        (
            "10.1002/(SICI)1097-4679(199805)54:3<1::AID>3.0.CO;2-P",
            "10.1002/(sici)1097-4679(199805)54:3<1::aid>3.0.co;2-p",
        ),
        ("", ""),
    ],
)
def test_normalise_doi(raw, expected):
    assert identifiers.normalise_doi(raw) == expected


@pytest.mark.parametrize("doi", ["10.1037/a0040435", "10.12345/x.y-z_(1)"])
def test_validate_doi_accepts(doi):
    identifiers.validate_doi(doi)


@pytest.mark.parametrize(
    "doi", ["", "a0040435", "10.1/abc", "11.1037/a0040435", "10.1037/", "10.1037/a b"]
)
def test_validate_doi_rejects_with_message(doi):
    with pytest.raises(ValidationError) as excinfo:
        identifiers.validate_doi(doi)
    assert excinfo.value.code == "invalid_doi"
    assert "is not a DOI" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0003-066X", "0003-066X"),
        ("0003066x", "0003-066X"),
        (" 1935 990X ", "1935-990X"),
        ("abc", "ABC"),
    ],
)
def test_normalise_issn(raw, expected):
    assert identifiers.normalise_issn(raw) == expected


@pytest.mark.parametrize("issn", ["0003-066X", "1935-990X", "0033-3204", "1548-5943"])
def test_validate_issn_accepts_correct_check_digits(issn):
    identifiers.validate_issn(issn)


def test_validate_issn_rejects_wrong_check_digit_and_names_the_right_one():
    with pytest.raises(ValidationError) as excinfo:
        identifiers.validate_issn("0003-0661")
    assert excinfo.value.code == "invalid_issn_checksum"
    assert excinfo.value.messages == ["0003-0661 has a wrong check digit (expected X)."]


@pytest.mark.parametrize("issn", ["0003066X", "003-066X", "0003-06XX", "", "ISSN 0003-066X"])
def test_validate_issn_rejects_malformed(issn):
    with pytest.raises(ValidationError) as excinfo:
        identifiers.validate_issn(issn)
    assert excinfo.value.code == "invalid_issn"


def test_valid_issns_normalises_drops_invalid_and_duplicates_keeping_order():
    issns, errors = identifiers.valid_issns(["1935-990x", "0003066X", "0003-0661", "1935 990X"])
    assert issns == ["1935-990X", "0003-066X"]
    assert errors == ["0003-0661 has a wrong check digit (expected X)."]


def test_orcid_normalise_and_validate():
    assert identifiers.normalise_orcid("https://orcid.org/0000-0002-1825-0097") == (
        "0000-0002-1825-0097"
    )
    assert identifiers.normalise_orcid("000000021825009x") == "0000-0002-1825-009X"
    identifiers.validate_orcid("0000-0002-1825-0097")
    identifiers.validate_orcid("0000-0002-1694-233X")


def test_orcid_wrong_check_digit():
    with pytest.raises(ValidationError) as excinfo:
        identifiers.validate_orcid("0000-0002-1825-0098")
    assert excinfo.value.code == "invalid_orcid_checksum"
    assert "expected 7" in excinfo.value.messages[0]


@pytest.mark.parametrize("orcid", ["0000-0002-1825", "0000000218250097", "abcd-0002-1825-0097"])
def test_orcid_malformed(orcid):
    with pytest.raises(ValidationError) as excinfo:
        identifiers.validate_orcid(orcid)
    assert excinfo.value.code == "invalid_orcid"


def test_pmid_and_language():
    identifiers.validate_pmid("28481579")
    identifiers.validate_language("en")
    identifiers.validate_language("deu")
    for bad in ("0123", "12a", ""):
        with pytest.raises(ValidationError):
            identifiers.validate_pmid(bad)
    for bad in ("EN", "english", "e", ""):
        with pytest.raises(ValidationError):
            identifiers.validate_language(bad)
    assert identifiers.language_name("en") == "English"
    assert identifiers.language_name("nl") == "Dutch"
    assert identifiers.language_name("xyz") == "xyz"
