"""The results charts: each bar's share written as the reader's locale writes a percentage."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

from knowflow.feedback.charts import distribution_svg, standards_svg
from knowflow.l10n import locale_from_header

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


ROWS = [
    SimpleNamespace(label="Not useful", standard="unacceptable", share=1 / 8, count=1),
    SimpleNamespace(label="Useful", standard="superior", share=7 / 8, count=7),
]


def test_distribution_bars_write_their_share_in_the_readers_locale() -> None:
    english = distribution_svg(ROWS, title="How useful?", locale=locale_from_header("en-GB"))
    german = distribution_svg(ROWS, title="How useful?", locale=locale_from_header("de-DE"))

    # Each bar's figure: its standard's symbol, the share, the number of answers.
    assert _texts(english)[1::2] == ["✗ 12% (1)", "★ 88% (7)"]
    assert _texts(german)[1::2] == ["✗ 12\xa0% (1)", "★ 88\xa0% (7)"]


def test_standards_bar_writes_its_shares_in_the_readers_locale() -> None:
    french = standards_svg(2, 3, 5, title="Standards", locale=locale_from_header("fr"))
    english = standards_svg(2, 3, 5, title="Standards", locale=locale_from_header("en"))

    assert _texts(english) == ["✗20%", "✓30%", "★50%"]
    assert _texts(french) == ["✗20\xa0%", "✓30\xa0%", "★50\xa0%"]
