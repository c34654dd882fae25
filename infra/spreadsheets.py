"""Tables as spreadsheets (XlsxWriter) and CSV: the exports of the district's figures and ledger.

A table is a title, its columns and its rows; each column says how its cells are shown, so a rate is a number
formatted as a percentage (a spreadsheet can sum and sort it), never a string with a "%"."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal

import xlsxwriter

Kind = Literal["text", "int", "percent", "number", "datetime"]


@dataclass(frozen=True)
class Column:
    header: str  # in Chinese: what the sheet shows
    kind: Kind = "text"
    width: int = 12


@dataclass(frozen=True)
class Chart:
    """A native chart beside a table: the ``values`` column (an index) against the ``labels`` column."""

    title: str
    labels: int = 0
    values: int = 1
    kind: Literal["column", "bar"] = "column"


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name (at most 31 characters in a workbook)
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    chart: Chart | None = None


_FORMATS: dict[Kind, dict[str, Any]] = {
    "text": {}, "int": {"num_format": "0"}, "percent": {"num_format": "0.0%"}, "number": {"num_format": "0.00"},
    "datetime": {"num_format": "yyyy-mm-dd hh:mm"},
}


class XlsxWriter:
    """A workbook written to ``target`` (a path or a binary file) a row at a time: constant_memory flushes each
    row to disk as the next begins, so a ledger of many thousand rows is streamed, not held. Headers bold and
    frozen; an empty cell for a missing value (a rate with no tasks)."""

    def __init__(self, target: str | os.PathLike[str] | IO[bytes]) -> None:
        self.book = xlsxwriter.Workbook(target, {"in_memory": False, "constant_memory": True,
                                                 "remove_timezone": True})
        self._header = self.book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
        self._formats = {kind: self.book.add_format(spec) for kind, spec in _FORMATS.items()}
        self._sheet: Any = None
        self._columns: Sequence[Column] = ()
        self._row = 0

    def sheet(self, title: str, columns: Sequence[Column]) -> None:
        """Start a sheet (at most 31 characters of ``title``); rows written next go to it."""
        self._sheet, self._columns, self._row = self.book.add_worksheet(title[:31]), columns, 0
        for c, column in enumerate(columns):
            self._sheet.set_column(c, c, column.width)
            self._sheet.write_string(0, c, column.header, self._header)
        self._sheet.freeze_panes(1, 0)

    def row(self, values: Sequence[Any]) -> None:
        self._row += 1
        for c, (column, value) in enumerate(zip(self._columns, values, strict=True)):
            if value is None:
                continue
            if column.kind == "text":
                self._sheet.write_string(self._row, c, str(value))
            elif column.kind == "datetime":
                self._sheet.write_datetime(self._row, c, value, self._formats["datetime"])
            else:
                self._sheet.write_number(self._row, c, value, self._formats[column.kind])

    def chart(self, chart: Chart) -> None:
        """The chart over the rows written to the current sheet, placed to the right of its columns."""
        if self._row == 0:
            return  # nothing to draw
        name = self._sheet.get_name()
        drawn = self.book.add_chart({"type": chart.kind})
        drawn.add_series({"name": chart.title, "categories": [name, 1, chart.labels, self._row, chart.labels],
                          "values": [name, 1, chart.values, self._row, chart.values], "fill": {"color": "#3B6EA5"}})
        drawn.set_title({"name": chart.title})
        drawn.set_legend({"none": True})
        self._sheet.insert_chart(1, len(self._columns) + 1, drawn)

    def close(self, created: datetime | None = None) -> None:
        """``created``: the workbook's creation date (the record's, never the clock: the same bytes again)."""
        if created is not None:
            self.book.set_properties({"created": created.replace(tzinfo=None)})
        self.book.close()


def xlsx(tables: Sequence[Table], created: datetime | None = None) -> bytes:
    """One sheet per table (and its chart), as a workbook in memory (small tables: the scores, a month's report)."""
    out = io.BytesIO()
    writer = XlsxWriter(out)
    for table in tables:
        writer.sheet(table.title, table.columns)
        for row in table.rows:
            writer.row(row)
        if table.chart is not None:
            writer.chart(table.chart)
    writer.close(created)
    return out.getvalue()


class CsvWriter:
    """CSV with a byte-order mark (so a spreadsheet opens the Chinese headers as UTF-8), a row at a time."""

    def __init__(self, out: IO[str], columns: Sequence[Column]) -> None:
        self.columns = columns
        out.write("\ufeff")
        self._writer = csv.writer(out)
        self._writer.writerow([c.header for c in columns])

    def row(self, values: Sequence[Any]) -> None:
        self._writer.writerow([_csv_cell(column, value) for column, value in zip(self.columns, values, strict=True)])


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = CsvWriter(out, table.columns)
    for row in table.rows:
        writer.row(row)
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
