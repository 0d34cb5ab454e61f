"""CSV that a spreadsheet opens without running anything: the one writer every export uses.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (or, after the tab/CR, as the start of one), so a
display name such as ``=HYPERLINK("http://evil", "Click")`` would become a live link, or worse,
in the leader's spreadsheet. Such cells get a leading apostrophe, which every spreadsheet shows
as text and which a person reading the file can still recognise. Numbers stay numbers: a
negative figure is written by Python as ``-3`` and cannot carry a formula.

``defusedcsv`` on PyPI does the same for most characters but leaves tab- and CR-led cells alone
and rewrites ``|`` inside text, so we keep our own few lines.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A plain number written as text ("-12", "+3.5", "-1,200.00") cannot start a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9,]*(\.[0-9]+)?%?")


def neutralise_cell(value: object) -> object:
    """The value as it may go into a CSV cell: text that could start a formula is prefixed
    with an apostrophe; numbers, plain numeric text and ``None`` (an empty cell) pass as they are."""
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeWriter:
    """``csv.writer`` with every cell passed through :func:`neutralise_cell`."""

    def __init__(self, stream: _Writable, **fmtparams: Any) -> None:
        self._writer = csv.writer(stream, **fmtparams)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([neutralise_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: _Writable, **fmtparams: Any) -> SafeWriter:
    """The CSV writer for every export (pages, API, commands): ``csv.writer`` made safe."""
    return SafeWriter(stream, **fmtparams)
