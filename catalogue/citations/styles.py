"""Citation styles: the ones configured in CITATION_STYLES (see catalogue/conf.py), by id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from catalogue import conf

CSL_DIR = Path(__file__).resolve().parent.parent / "csl"


class UnknownStyle(ValueError):
    """A style id that is not in CITATION_STYLES."""

    def __init__(self, style: str, available: Iterable[str]) -> None:
        self.style = style
        self.available = list(available)
        super().__init__(
            f"Unknown citation style {style!r}; available styles: {', '.join(self.available)}."
        )


@dataclass(frozen=True)
class CitationStyle:
    id: str
    label: str
    path: Path
    locale: str | None = None


def available_styles() -> dict[str, CitationStyle]:
    """Return the configured styles by id, in settings order."""
    styles = {}
    for style_id, config in conf.get("CITATION_STYLES").items():
        path = Path(config["csl"])
        if not path.is_absolute():
            path = CSL_DIR / path
        styles[style_id] = CitationStyle(
            id=style_id, label=config["label"], path=path, locale=config.get("locale")
        )
    return styles


def get_style(style: str) -> CitationStyle:
    """Return the configured style `style`, or raise UnknownStyle listing the available ids."""
    styles = available_styles()
    try:
        return styles[style]
    except (KeyError, TypeError):
        raise UnknownStyle(str(style), styles) from None


def default_style() -> str:
    """Return the style used when none is asked for (CITATION_DEFAULT_STYLE)."""
    return conf.get("CITATION_DEFAULT_STYLE")
