"""Server-made SVG charts for the results pages (no JavaScript, no CDN).

Colour is never the only signal: every bar carries its standard in words and a symbol
(✗ unacceptable, ✓ acceptable, ★ superior), and each chart has a text title for screen
readers; the page shows the same numbers in a table next to it. Percentages are written as
the viewer's locale writes them ("85%", "85 %"), like every other number on the page.
"""

from __future__ import annotations

from collections.abc import Sequence

from babel import Locale
from django.utils.html import escape

from knowflow.l10n import default_locale, format_share

COLOURS = {"unacceptable": "#b3261e", "acceptable": "#8a6d00", "superior": "#1c7c3c"}
SYMBOLS = {"unacceptable": "✗", "acceptable": "✓", "superior": "★"}


def distribution_svg(
    rows: Sequence[object], *, title: str, width: int = 560, locale: Locale | None = None
) -> str:
    """One horizontal bar per answer option: length = share, colour + word = standard."""
    locale = locale or default_locale()
    bar_x, bar_w, row_h = 250, width - 250 - 90, 26
    height = row_h * len(rows) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    for i, row in enumerate(rows):
        y = 4 + i * row_h
        standard = row.standard  # type: ignore[attr-defined]
        label = str(row.label)  # type: ignore[attr-defined]
        short = label if len(label) <= 38 else label[:37] + "…"
        share = float(row.share)  # type: ignore[attr-defined]
        parts.append(
            f'<text x="0" y="{y + 17}" font-size="12"><title>{escape(label)}</title>{escape(short)}</text>'
            f'<rect x="{bar_x}" y="{y + 4}" width="{bar_w}" height="16" fill="#eef0f4"/>'
            f'<rect x="{bar_x}" y="{y + 4}" width="{max(bar_w * share, 0):.1f}" height="16" '
            f'fill="{COLOURS[standard]}"/>'
            f'<text x="{bar_x + bar_w + 6}" y="{y + 17}" font-size="12">'
            f"{SYMBOLS[standard]} {format_share(share, locale=locale)} ({row.count})</text>"  # type: ignore[attr-defined]
        )
    parts.append("</svg>")
    return "".join(parts)


def standards_svg(
    unacceptable: int,
    acceptable: int,
    superior: int,
    *,
    title: str,
    width: int = 240,
    locale: Locale | None = None,
) -> str:
    """One stacked bar: the share of answers judged unacceptable / acceptable / superior."""
    locale = locale or default_locale()
    total = unacceptable + acceptable + superior
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="20" '
        f'viewBox="0 0 {width} 20"><title>{escape(title)}</title>'
    ]
    x = 0.0
    for standard, value in (
        ("unacceptable", unacceptable),
        ("acceptable", acceptable),
        ("superior", superior),
    ):
        w = width * value / total if total else 0
        if w:
            parts.append(
                f'<rect x="{x:.1f}" y="2" width="{w:.1f}" height="16" fill="{COLOURS[standard]}"/>'
            )
            if w > 34:
                parts.append(
                    f'<text x="{x + 3:.1f}" y="15" font-size="11" fill="#fff">'
                    f"{SYMBOLS[standard]}{format_share(value / total, locale=locale)}</text>"
                )
        x += w
    parts.append("</svg>")
    return "".join(parts)
