"""CSV files the staff download: streamed a row at a time, and safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator
from itertools import chain

from django.http import HttpResponse, StreamingHttpResponse


class _Echo:
    """A file that hands back what is written: csv.writer's rows, streamed one at a time."""

    def write(self, value: str) -> str:
        return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A value a spreadsheet will not run as a formula: one starting like a formula gets a quote."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The file's lines, the header first, each cell safe to open in a spreadsheet."""
    writer = csv.writer(_Echo())
    return chain([writer.writerow(header)], (writer.writerow([_cell(v) for v in r]) for r in rows))


def csv_download(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """A CSV file streamed a row at a time (a million rows in little memory); its columns are in
    docs/EXPORTS.md."""
    response = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_text(header: list[str], rows: Iterable[list]) -> str:
    """The same file as one string, for a small one drawn once and answered many times (a kept report)."""
    return "".join(_lines(header, rows))


def csv_attachment(filename: str, text: str) -> HttpResponse:
    """A CSV file made already (csv_text), as a download."""
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
