"""Tables as spreadsheets (XlsxWriter) and CSV: the exports of the district's figures and ledger.

A table is a title, its columns and its rows; each column says how its cells are shown, so a rate is a number
formatted as a percentage (a spreadsheet can sum and sort it), never a string with a "%"."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import xlsxwriter

Kind = Literal["text", "int", "percent", "number", "datetime"]


@dataclass(frozen=True)
class Column:
    header: str  # in Chinese: what the sheet shows
    kind: Kind = "text"
    width: int = 12


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name (at most 31 characters in a workbook)
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


_FORMATS: dict[Kind, dict[str, Any]] = {
    "text": {}, "int": {"num_format": "0"}, "percent": {"num_format": "0.0%"}, "number": {"num_format": "0.00"},
    "datetime": {"num_format": "yyyy-mm-dd hh:mm"},
}


def xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table; headers bold and frozen; empty cells for missing values (a rate with no tasks)."""
    out = io.BytesIO()
    # constant_memory writes each row as it comes: a ledger of many rows is streamed, not held.
    book = xlsxwriter.Workbook(out, {"in_memory": False, "constant_memory": True, "remove_timezone": True})
    header = book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    formats = {kind: book.add_format(spec) for kind, spec in _FORMATS.items()}
    for table in tables:
        sheet = book.add_worksheet(table.title[:31])
        for c, column in enumerate(table.columns):
            sheet.set_column(c, c, column.width)
            sheet.write_string(0, c, column.header, header)
        sheet.freeze_panes(1, 0)
        for r, row in enumerate(table.rows, start=1):
            for c, (column, value) in enumerate(zip(table.columns, row, strict=True)):
                if value is None:
                    continue
                if column.kind == "text":
                    sheet.write_string(r, c, str(value))
                elif column.kind == "datetime":
                    sheet.write_datetime(r, c, value, formats["datetime"])
                else:
                    sheet.write_number(r, c, value, formats[column.kind])
    book.close()
    return out.getvalue()


def csv_text(table: Table) -> str:
    """The table as CSV with a byte-order mark, so a spreadsheet opens the Chinese headers as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([c.header for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(column, value) for column, value in zip(table.columns, row, strict=True)])
    return out.getvalue()


def _csv_cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == "percent":
        return f"{value * 100:.1f}%"
    if column.kind == "number":
        return f"{value:.2f}"
    if column.kind == "datetime":
        return str(value.strftime("%Y-%m-%d %H:%M"))
    return str(value)
