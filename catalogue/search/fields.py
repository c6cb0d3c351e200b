"""The form fields that validate search parameters: the query, years and facet value lists.

Each facet's declaration (catalogue/search/facets.py) names the field class of its values;
the error messages are the ones the page and the API return.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from catalogue.search.query import Query, QueryError, parse_query

# More values than this for one facet is not a real selection, and would make long SQL.
MAX_VALUES_PER_FACET = 50
MAX_ID = 2**63 - 1
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class QueryField(forms.CharField):
    """The search box: cleans to a parsed Query (empty Query for no words)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(strip=True, **kwargs)

    def clean(self, value: Any) -> Query:
        text = super().clean(value)
        if not text:
            return Query()
        try:
            return parse_query(text)
        except QueryError as error:
            raise ValidationError(str(error), code="query") from None


class ValueListField(forms.Field):
    """A repeatable parameter (?keyword=1&keyword=2): cleans to a list of values."""

    widget = forms.MultipleHiddenInput
    noun = "value"

    def __init__(self, *, noun: str = "value", **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.noun = noun

    def to_python(self, value: Any) -> list:
        if value in (None, ""):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        values = [str(item).strip() for item in values if str(item).strip()]
        if len(values) > MAX_VALUES_PER_FACET:
            raise ValidationError(
                f"Too many {self.noun} values ({len(values)}): at most {MAX_VALUES_PER_FACET}.",
                code="too_many",
            )
        return list(dict.fromkeys(self.convert(item) for item in values))

    def convert(self, item: str) -> Any:
        """Return one value as the search takes it (raise ValidationError if invalid)."""
        return item


class IdListField(ValueListField):
    """Ids of journals, authors, keywords or subject areas."""

    def convert(self, item: str) -> int:
        # Plain ASCII digits only: "²" and "①" pass str.isdigit() but int() refuses them,
        # and int() reads "１２" or "١٢" as 12; 5,000 digits would make int() itself raise.
        plain = item.isascii() and item.isdigit() and len(item) <= 19
        if not plain or not 1 <= int(item) <= MAX_ID:
            raise ValidationError(
                f"“{item[:50]}” is not a {self.noun} id: ids are whole numbers such as 12.",
                code="invalid_id",
            )
        return int(item)


class ChoiceListField(ValueListField):
    """Codes from a fixed list; "true"/"false" lists clean to booleans."""

    def __init__(self, *, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = dict(choices)

    def convert(self, item: str) -> Any:
        if item not in self.choices:
            raise ValidationError(
                f"“{item[:50]}” is not a known {self.noun}; use one of: {', '.join(self.choices)}.",
                code="invalid_choice",
            )
        return item == "true" if set(self.choices) == {"true", "false"} else item


class LanguageListField(ValueListField):
    """ISO 639 language codes, in any case."""

    def convert(self, item: str) -> str:
        item = item.lower()
        if not _LANGUAGE.match(item):
            raise ValidationError(
                f"“{item[:50]}” is not a language code: use ISO 639 codes such as en or de.",
                code="invalid_language",
            )
        return item


class YearField(forms.IntegerField):
    """A year from 1000 to 2999."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(
            min_value=1000,
            max_value=2999,
            error_messages={
                "invalid": "The year must be a whole number such as 2010.",
                "min_value": "The year must be 1000 or later.",
                "max_value": "The year must be 2999 or earlier.",
            },
            **kwargs,
        )

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        # int() reads "２０１０" and "1_0" too; a negative year gets "must be 1000 or later".
        digits = text.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(text)
