"""Server-made SVG charts and CSV tables for insights.

Readable without colour: bars are black or white-with-black-outline (current vs previous
period) and every bar carries its number as text; the legend names the two by their fill
pattern, not their colour. Every chart has a <title> and <desc> for screen readers, and the
same numbers are always offered as a table and as CSV.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape

from babel import Locale
from babel.numbers import format_decimal

from knowflow import csvsafe
from knowflow.discovery.knowledge_map import KnowledgeMap
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


QUOTE = {'"': "&quot;"}


def knowledge_map_chart(
    *,
    title: str,
    description: str,
    drawing: KnowledgeMap,
    hrefs: Mapping[str, str],
) -> str:
    """The knowledge map: circles (filled discs sized by members), topics (hollow squares) and
    org units (grey diamonds sized by their people in circles) at the positions the layout
    computed. Lines between circles are solid, their width growing with the shared members,
    the number written at their middle (thin, grey and unnumbered when they share only
    topics); a circle's topics are joined by dashed lines, a unit
    to its circles by dotted ones. A node with a page in ``hrefs`` (node id -> URL) is a link,
    so the picture can be walked by keyboard; each node and line has a <title>."""
    legend_h = 28
    width, height = max(drawing.width, 420), drawing.height + legend_h
    at = {n.id: n for n in drawing.nodes}
    top = max([e.weight for e in drawing.edges if e.kind == "circle"] + [1])
    parts = [
        # A group, not an image: an image's children are hidden from screen readers, and the
        # circles and topics here are links they must reach.
        f'<svg xmlns="http://www.w3.org/2000/svg" role="group" class="knowledge-map" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="sans-serif" font-size="11" aria-labelledby="map-title" '
        f'aria-describedby="map-desc">',
        f'<title id="map-title">{escape(title)}</title>',
        f'<desc id="map-desc">{escape(description)}</desc>',
        # The legend and the lines are for the eye; a screen reader gets the same facts from
        # the description and the tables, and the nodes (links) by name.
        '<g aria-hidden="true">',
        '<circle cx="8" cy="10" r="6" fill="#1d2330"/><text x="18" y="14">circle (size: members)</text>',
        '<rect x="160" y="5" width="10" height="10" fill="#fff" stroke="#1d2330" stroke-width="1.5"/>'
        '<text x="176" y="14">topic</text>',
        '<path d="M225 4 L231 10 L225 16 L219 10 Z" fill="#767f8e"/>'
        '<text x="236" y="14">org unit (size: people in circles)</text>',
        '<line x1="430" y1="10" x2="460" y2="10" stroke="#1d2330" stroke-width="3"/>'
        '<text x="465" y="14">shared members</text>',
        "</g>",
        f'<g transform="translate(0 {legend_h})">',
        '<g aria-hidden="true">',
    ]
    for edge in drawing.edges:
        a, b = at.get(edge.a), at.get(edge.b)
        if a is None or b is None:
            continue
        tip = escape(f"{a.label} – {b.label}" + (f": {edge.label}" if edge.label else ""))
        if edge.kind == "circle" and edge.weight:
            stroke = f'stroke="#1d2330" stroke-width="{0.8 + 5 * edge.weight / top:.2f}"'
        elif edge.kind == "circle":  # topics only, no shared member: thin and grey
            stroke = 'stroke="#545d6e" stroke-width="0.8"'
        elif edge.kind == "topic":
            stroke = 'stroke="#545d6e" stroke-width="0.8" stroke-dasharray="4 3"'
        else:
            stroke = 'stroke="#767f8e" stroke-width="0.8" stroke-dasharray="1 3"'
        parts.append(
            f'<line x1="{a.x:.1f}" y1="{a.y:.1f}" x2="{b.x:.1f}" y2="{b.y:.1f}" {stroke}>'
            f"<title>{tip}</title></line>"
        )
    for edge in drawing.edges:
        a, b = at.get(edge.a), at.get(edge.b)
        if edge.kind != "circle" or not edge.weight or a is None or b is None:
            continue
        parts.append(
            f'<text x="{(a.x + b.x) / 2:.1f}" y="{(a.y + b.y) / 2 + 3:.1f}" text-anchor="middle" '
            f'font-size="9" fill="#1d2330" stroke="#fff" stroke-width="3" paint-order="stroke">'
            f"{edge.weight}</text>"
        )
    parts.append("</g>")
    for node in drawing.nodes:
        x, y, r = node.x, node.y, node.radius
        if node.kind == "circle":
            shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#1d2330"/>'
            tip = f"{node.label}: circle, {node.size} members"
        elif node.kind == "topic":
            shape = (
                f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
                f'fill="#fff" stroke="#1d2330" stroke-width="1.5"/>'
            )
            tip = f"{node.label}: topic of {node.size} circle{'s' if node.size != 1 else ''}"
        else:
            shape = (
                f'<path d="M{x:.1f} {y - r:.1f} L{x + r:.1f} {y:.1f} L{x:.1f} {y + r:.1f} '
                f'L{x - r:.1f} {y:.1f} Z" fill="#767f8e"/>'
            )
            tip = f"{node.label}: org unit, {node.size} people in circles"
        label = (
            f'<text x="{x:.1f}" y="{y + r + 11:.1f}" text-anchor="middle" fill="#1d2330" '
            f'stroke="#fff" stroke-width="3" paint-order="stroke">{escape(node.short_label)}</text>'
        )
        body = f"<title>{escape(tip)}</title>{shape}{label}"
        href = hrefs.get(node.id)
        if href:
            parts.append(f'<a href="{escape(href, QUOTE)}">{body}</a>')
        else:
            parts.append(f"<g>{body}</g>")
    parts.append("</g></svg>")
    return "".join(parts)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()
