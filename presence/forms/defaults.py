"""Default presence (D1, D2, D4): one rep's default, a bulk change, and the CSV round trip."""

from __future__ import annotations

import csv
import io

from django import forms

from portal.csv_export import TooManyRows, read_rows
from presence.selectors import pickable_statuses
from presence.services.config import DefaultRow

from ._base import ServiceForm, StatusChoiceField

MAX_CSV_BYTES = 1_000_000
MAX_CSV_ROWS = 20_000
HEADER = ("representative", "status")
OPTIONAL_COLUMNS = ("name",)  # written by the export for people; ignored on upload
NO_DEFAULT = ""  # the "no default (Available, D1)" choice


class DefaultStatusField(StatusChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=pickable_statuses(),  # D2: the service checks again on every write
            required=False,
            empty_label="No default (Available)",
            error_messages={
                "invalid_choice": "Pick one of the listed statuses: active statuses that "
                "representatives can set."
            },
            **kwargs,
        )


class RepresentativeDefaultForm(ServiceForm):
    """One rep's default presence, set in place from the representatives list."""

    status = DefaultStatusField(label="Default presence")
    service_fields = {"default_presence_id": "status"}


class BulkDefaultForm(ServiceForm):
    """D4 by selection (ids of the page's checkboxes) or by filter (its query string)."""

    SELECTED, FILTER = "selected", "filter"
    status = DefaultStatusField(label="New default presence")
    target = forms.ChoiceField(
        choices=[
            (SELECTED, "The representatives I ticked"),
            (FILTER, "Every representative matching the filter"),
        ],
        initial=SELECTED,
        widget=forms.RadioSelect,
        label="Apply to",
    )
    representative = forms.TypedMultipleChoiceField(
        coerce=int, required=False, choices=(), label="Representatives"
    )
    filter = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
    service_fields = {"representative_ids": "representative"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any number: the service refuses ids outside the admin's scope (never trust the form).
        self.fields["representative"].valid_value = lambda value: str(value).isdigit()

    def clean(self):
        data = super().clean()
        if data.get("target") == self.SELECTED and not data.get("representative"):
            self.add_error(
                "representative",
                "Tick at least one representative, or choose every representative matching "
                "the filter.",
            )
        return data


def decode_csv(data: bytes) -> str:
    """UTF-8 (a byte-order mark is fine) or a ValidationError saying what is wrong."""
    if not data.strip():
        raise forms.ValidationError(
            "The file is empty. Download the current defaults for an example."
        )
    if len(data) > MAX_CSV_BYTES:
        raise forms.ValidationError(
            f"The file is too big ({len(data):,} bytes); at most {MAX_CSV_BYTES:,} bytes "
            f"({MAX_CSV_ROWS:,} rows). Split it in several files."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise forms.ValidationError(
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read). "
            "Save it as “CSV UTF-8” and upload it again."
        ) from None


def parse_csv(text: str) -> list[DefaultRow]:
    """Rows of a CSV `representative,status[,name]`; file-level problems are a ValidationError,
    a line with the wrong number of values becomes a row with its problem (listed as invalid)."""
    if "\x00" in text:
        raise forms.ValidationError("The file contains NUL characters: it is not a CSV text file.")
    lines = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(lines, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(lines, None)
        if header is None:
            raise forms.ValidationError(
                "The file is empty. Download the current defaults for an example."
            )
        names = tuple(cell.strip().lower() for cell in header)
        if names[:2] != HEADER or any(n not in OPTIONAL_COLUMNS for n in names[2:]):
            raise forms.ValidationError(
                f"The first line must be the header “representative,status” (got “{','.join(header)[:80]}”). "
                "Column 1: the representative's external id or e-mail; column 2: the status name "
                "(empty: no default)."
            )
        rows = []
        # A cell the export guarded against CSV injection comes back as it was (D4 round trip).
        for line, cells in read_rows(lines, max_rows=MAX_CSV_ROWS):
            problem = ""
            if len(cells) < 2 or len(cells) > len(names):
                problem = (
                    f"Expected {len(names)} values (representative, status), found {len(cells)}."
                )
            rows.append(
                DefaultRow(
                    line=line,
                    representative=cells[0] if cells else "",
                    status=cells[1] if len(cells) > 1 else "",
                    problem=problem,
                )
            )
    except csv.Error as error:
        raise forms.ValidationError(f"The file is not a readable CSV: {error}.") from None
    except TooManyRows as error:
        raise forms.ValidationError(str(error)) from None
    if not rows:
        raise forms.ValidationError("The file has a header but no rows.")
    return rows


class DefaultsCsvForm(ServiceForm):
    """D4 by CSV upload; `rows` holds the parsed rows once valid."""

    file = forms.FileField(
        label="CSV file",
        help_text="Header “representative,status”; one representative per line (external id or "
        "e-mail), the status by name, empty for no default. UTF-8, at most 1 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(
                f"The file is too big ({upload.size:,} bytes); at most {MAX_CSV_BYTES:,} bytes."
            )
        self.text = decode_csv(upload.read())
        self.rows = parse_csv(self.text)
        return upload
