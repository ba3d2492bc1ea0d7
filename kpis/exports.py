"""CSV and XLSX downloads of a report, safe to open in a spreadsheet (SPEC §6: "exports escape
cells that a spreadsheet would run as formulas").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's "CSV
injection" list) is written with a leading apostrophe, so that a name such as
``=cmd|' /C calc'!A0`` is shown as text and never run. Numbers are written as numbers (a negative
NPS stays a number). XLSX files are written with XlsxWriter (write-only, no dependency) and its
automatic string-to-formula and string-to-URL conversions turned off, and the same escaping.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

#: A text cell starting with one of these would be read as a formula by a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def escape_cell(value: Any) -> Any:
    """``value`` safe for a spreadsheet cell: text that a spreadsheet would run as a formula gets a
    leading apostrophe; numbers, dates and ``None`` are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        # The center's time zone (TIME_ZONE), as on the screens, with its offset: 2026-03-04T14:00:00+01:00.
        return timezone.localtime(value).isoformat()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A CSV download (UTF-8 with a byte-order mark, so that spreadsheets read accents)."""
    response = HttpResponse(content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([escape_cell(str(header)) for header in headers])
    for row in rows:
        writer.writerow([escape_cell(_text(value)) for value in row])
    return response


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One worksheet: a bold header row, then the rows; text escaped, numbers as numbers."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    sheet = workbook.add_worksheet(title[:31] or "Report")
    bold = workbook.add_format({"bold": True})
    for column, header in enumerate(headers):
        sheet.write_string(0, column, escape_cell(str(header)), bold)
    for line, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            value = _text(value)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                sheet.write_string(line, column, escape_cell(str(value)))
            else:
                sheet.write_number(line, column, value)
    workbook.close()
    return buffer.getvalue()


def xlsx_response(filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(title, headers, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
