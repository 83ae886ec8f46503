"""The one CSV writer of the portal. Every export (the historical reports, a rep's timeline, the
default presence round trip) streams through csv_response(), so no cell can reach a spreadsheet as
a formula.

CSV injection (OWASP): Excel and LibreOffice run a cell that starts with `=`, `+`, `-` or `@` as a
formula (tab and carriage return can hide such a start), so a rep named `@cmd|' /C calc'!A0` or a
status named `=HYPERLINK(...)` would run on the supervisor's machine. safe_cell() puts a `'` in
front of such a text cell, headers included; the spreadsheet then shows it as text. Numbers are
the portal's own figures and pass as they are (a negative number is not a formula). The fullwidth
forms of the four signs are neutralised too: some spreadsheets fold them to the ASCII sign. A text
whose `'`s are followed by one of them gets one more `'`, so restore_cell() (the importer's
inverse, for the round trip) gives back exactly what was exported.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
ESCAPE = "'"


def _needs_escape(text: str) -> bool:
    return text.lstrip(ESCAPE)[:1] in FORMULA_STARTS


def safe_cell(value):
    """The value a spreadsheet shows as written: text that could start a formula gets a `'`."""
    if isinstance(value, str) and _needs_escape(value):
        return ESCAPE + value
    return value


def restore_cell(text: str) -> str:
    """The inverse of safe_cell() for a cell read back from an exported file."""
    if text[:1] == ESCAPE and _needs_escape(text[1:]):
        return text[1:]
    return text


class TooManyRows(ValueError):
    """A file with more rows than an upload takes; its message is the sentence to show."""


def read_rows(lines, *, max_rows: int):
    """(line number, cells) of each non-blank row after the header of a csv.reader `lines`, every
    cell stripped and restored (restore_cell: an exported file reads back as it was). More than
    `max_rows` rows: TooManyRows."""
    count = 0
    for values in lines:
        if not any(cell.strip() for cell in values):
            continue
        count += 1
        if count > max_rows:
            raise TooManyRows(f"The file has more than {max_rows:,} rows; split it.")
        yield lines.line_num, [restore_cell(cell.strip()).strip() for cell in values]


class _Echo:
    """A file-like object whose write() hands the line back (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """The lines of a CSV file, every cell through safe_cell()."""
    writer = csv.writer(_Echo())
    yield writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_response(
    filename: str, header: Iterable, rows: Iterable[Iterable], *, bom: bool = False
) -> StreamingHttpResponse:
    """A streamed CSV download; `bom` starts it with a byte-order mark (spreadsheets then read
    UTF-8 without asking)."""

    def lines() -> Iterator[str]:
        if bom:
            yield "\ufeff"
        yield from csv_lines(header, rows)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
