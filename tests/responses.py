"""Reading what the catalogue answered: a response's body, and BibTeX parsed independently."""

import bibtexparser
from bibtexparser.middlewares import MonthIntMiddleware, SeparateCoAuthors, SplitNameParts
from django.http import StreamingHttpResponse


def parse_bibtex(text: str):
    """Return `text` parsed by bibtexparser (names split), asserting every block parsed."""
    library = bibtexparser.parse_string(
        text, append_middleware=[SeparateCoAuthors(), SplitNameParts(), MonthIntMiddleware(True)]
    )
    assert library.failed_blocks == []
    return library


def body(response) -> str:
    """Return a response's body as text, whether streamed or not."""
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")
