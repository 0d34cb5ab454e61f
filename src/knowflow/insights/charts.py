"""Server-made SVG charts and CSV tables for insights.

Readable without colour: bars are black or white-with-black-outline (current vs previous
period) and every bar carries its number as text; the legend names the two by their fill
pattern, not their colour. Every chart has a <title> and <desc> for screen readers, and the
same numbers are always offered as a table and as CSV.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

from babel import Locale
from babel.numbers import format_decimal

from knowflow import csvsafe
from knowflow.l10n import default_locale, format_share


def _num(value: float | None, *, locale: Locale, percent: bool = False) -> str:
    """A bar's figure as the viewer's locale writes it, at most one decimal ("1,234.5",
    "1.234,5"); with ``percent``, a percentage (0–100) written as a share ("42.5%", "42,5 %")."""
    if value is None:
        return "–"
    if percent:
        return format_share(value / 100, locale=locale, decimals=1)
    return format_decimal(value, format="#,##0.#", locale=locale)


def bar_chart(
    *,
    title: str,
    rows: Sequence[tuple[str, float | None, float | None]],
    unit: str = "",
    percent: bool = False,
    locale: Locale | None = None,
    legend: bool = True,
) -> str:
    """Horizontal bars: (label, current, previous or None). ``unit`` follows each figure
    (" h"); ``percent`` says the figures are percentages (0–100), written in the locale's way.
    Without ``legend`` (no previous period to compare with) the "this period / previous
    period" key is left out.
    """
    locale = locale or default_locale()

    def num(value: float | None) -> str:
        return _num(value, locale=locale, percent=percent)

    width, label_w, row_h = 640, 200, 34
    height = 50 + row_h * max(len(rows), 1)
    values = [v or 0 for _, c, p in rows for v in (c, p)]
    top = max(values + [1])
    scale = (width - label_w - 90) / top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(title)}: "
        + escape("; ".join(f"{label} {num(c)}{unit}" for label, c, _ in rows))
        + "</desc>",
    ]
    if legend:
        parts += [
            '<rect x="0" y="0" width="14" height="10" fill="#000"/><text x="18" y="10">this period</text>',
            '<rect x="110" y="0" width="14" height="10" fill="#fff" stroke="#000"/>'
            '<text x="128" y="10">previous period</text>',
        ]
    for i, (label, current, previous) in enumerate(rows):
        y = 30 + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{escape(label[:32])}</text>'
        )
        bar = (current or 0) * scale
        parts.append(f'<rect x="{label_w}" y="{y}" width="{bar:.1f}" height="13" fill="#000"/>')
        parts.append(
            f'<text x="{label_w + bar + 4:.1f}" y="{y + 11}">{num(current)}{escape(unit)}</text>'
        )
        if previous is not None:
            bar = previous * scale
            parts.append(
                f'<rect x="{label_w}" y="{y + 15}" width="{bar:.1f}" height="11" fill="#fff" stroke="#000"/>'
            )
            parts.append(
                f'<text x="{label_w + bar + 4:.1f}" y="{y + 25}" font-size="10">{num(previous)}{escape(unit)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def network_chart(
    *, title: str, nodes: Sequence[str], edges: Iterable[tuple[str, str, int]]
) -> str:
    """Org units on a circle; a line per link, its width growing with the link's weight and
    its weight written at its middle. Isolated units are drawn as hollow squares."""
    size = 640
    centre, radius = size / 2, size / 2 - 120
    edges = list(edges)
    linked = {n for a, b, _ in edges for n in (a, b)}
    position = {}
    for i, name in enumerate(nodes):
        angle = 2 * math.pi * i / max(len(nodes), 1) - math.pi / 2
        position[name] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle))
    top = max([w for _, _, w in edges] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f"<desc>{len(nodes)} org units, {len(edges)} links; isolated: "
        + escape(", ".join(n for n in nodes if n not in linked) or "none")
        + "</desc>",
    ]
    for a, b, w in edges:
        if a not in position or b not in position:
            continue
        (x1, y1), (x2, y2) = position[a], position[b]
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#444" '
            f'stroke-width="{0.5 + 5 * w / top:.2f}"><title>{escape(a)} – {escape(b)}: {w}</title></line>'
        )
    for name, (x, y) in position.items():
        if name in linked:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="#000"/>')
        else:
            parts.append(
                f'<rect x="{x - 7:.1f}" y="{y - 7:.1f}" width="14" height="14" fill="#fff" stroke="#000" stroke-width="2"/>'
            )
        anchor = "start" if x >= centre else "end"
        dx = 11 if x >= centre else -11
        parts.append(
            f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}">{escape(name[:28])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()
