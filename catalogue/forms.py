"""Forms for librarians: the BibTeX upload (file or pasted text)."""

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from catalogue import conf
from catalogue.importer import human_size
from catalogue.models import OnDuplicate

PASTED_FILENAME = "pasted text"


class UploadLimitHandler(FileUploadHandler):
    """Stop reading an upload as soon as it is over the import limit, and remember that.

    Put first in `request.upload_handlers` before the request body is read; then the form
    reports the size instead of Django buffering a huge file to disk first.
    """

    def __init__(self, request=None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_big = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The whole request announces more than a file of the limit plus the other fields.
        if content_length and content_length > self.limit + settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            self.too_big = True

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        if self.too_big:
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.too_big = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class ImportForm(forms.Form):
    file = forms.FileField(
        label="BibTeX file",
        required=False,
        help_text="A .bib file in any common encoding (UTF-8, UTF-16, Windows-1252…).",
        widget=forms.ClearableFileInput(attrs={"accept": ".bib,.bibtex,.txt,text/x-bibtex"}),
    )
    text = forms.CharField(
        label="…or paste BibTeX",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
    )
    on_duplicate = forms.ChoiceField(
        label="When a record is already in the catalogue",
        choices=OnDuplicate.choices,
        initial=OnDuplicate.SKIP,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, upload_too_big: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.upload_too_big = upload_too_big
        self.fields[
            "file"
        ].help_text += f" Up to {human_size(conf.get('CATALOGUE_IMPORT_MAX_BYTES'))}."
        self.fields[
            "text"
        ].help_text = f"Up to {human_size(conf.get('CATALOGUE_IMPORT_MAX_PASTE_BYTES'))}."

    def clean(self) -> dict:
        cleaned = super().clean()
        upload, text = cleaned.get("file"), cleaned.get("text") or ""
        limit = conf.get("CATALOGUE_IMPORT_MAX_BYTES")
        if self.upload_too_big or (upload is not None and upload.size > limit):
            raise forms.ValidationError(
                f"The file is larger than {human_size(limit)}, the largest import accepted. "
                "Split it into smaller files.",
                code="too_big",
            )
        if upload is not None and text.strip():
            raise forms.ValidationError(
                "Choose a file or paste text, not both.", code="both_sources"
            )
        if upload is None and not text.strip():
            raise forms.ValidationError(
                "Choose a BibTeX file or paste BibTeX text.", code="no_source"
            )
        if upload is None:
            paste_limit = conf.get("CATALOGUE_IMPORT_MAX_PASTE_BYTES")
            if len(text.encode("utf-8")) > paste_limit:
                raise forms.ValidationError(
                    f"The pasted text is larger than {human_size(paste_limit)}: "
                    "upload it as a file instead.",
                    code="too_big",
                )
        return cleaned

    def source(self) -> tuple[bytes, str]:
        """Return the uploaded or pasted bytes and the name to record them under."""
        upload = self.cleaned_data.get("file")
        if upload is not None:
            return b"".join(upload.chunks()), upload.name
        return self.cleaned_data["text"].encode("utf-8"), PASTED_FILENAME
