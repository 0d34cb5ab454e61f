"""User-written Markdown, made fit for each place it is shown: a page, an email, a calendar.

- `render_markdown`: safe HTML for our pages, rendered by markdown-it and sanitised by nh3.
  Raw HTML in the source is not rendered at all, and nh3 removes anything a renderer bug could
  still let through (scripts, event handlers, javascript: links).
- `markdown_to_email_html`: the same, for the HTML part of an email: no images (a remote image
  is a read receipt and a tracking pixel), and only http(s) links, checked by `links`.
- `markdown_to_text`: readable plain text for an email's text part and a calendar's
  DESCRIPTION, which calendar applications show as typed: no `**`, `#` or `[..](..)`; a
  link reads "text (address)", a list item "- item", a heading is a line of its own.

In plain text every link the reader sees is an address they might copy, so only http(s)
addresses are kept (`knowflow.links`): a `javascript:` or `data:` link keeps its words and
loses its address. Raw HTML is dropped (its words kept, never its tags), because some calendar
applications render a DESCRIPTION as HTML.

This module sits beside `links` rather than in `web` because domains (integrations) use it
and domains never import a surface.
"""

from __future__ import annotations

import functools
import html
import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from knowflow.links import is_web_url

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
}


def render_markdown(text: str) -> str:
    """Safe HTML for a page (links get rel="noopener noreferrer nofollow")."""
    html_text = _renderer.render(text or "")
    return nh3.clean(
        html_text,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


class _PermissiveMarkdownIt(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        # markdown-it leaves a link it finds unsafe as literal "[text](javascript:…)"; the
        # renderers below parse every link instead and decide themselves what survives of it
        # (its words).
        return True


# Raw HTML is parsed (not treated as text) so that it can be dropped token by token.
_text_parser = _PermissiveMarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")
_email_parser = _PermissiveMarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    "table"
)

_EMAIL_TAGS = _ALLOWED_TAGS - {"img"}


def _web_href(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if is_web_url(value) else None
    return value


def markdown_to_email_html(text: str) -> str:
    """Sanitised HTML for an email's HTML part: our page tags minus images; a link keeps its
    address only when it is http(s) (relative and mailto: addresses go nowhere from a mail)."""
    return nh3.clean(
        _email_parser.render(text or ""),
        tags=_EMAIL_TAGS,
        attributes={"a": {"href", "title"}},
        attribute_filter=_web_href,
        link_rel="noopener noreferrer",
    )


# A tag-like run left in text (an entity such as "&lt;script&gt;" decodes to one): dropped,
# for the calendar applications that render DESCRIPTION as HTML.
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)


def _inline_text(tokens: list[Token]) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []  # (href, where its words start in `out`)
    for token in tokens:
        kind = token.type
        if kind in ("text", "code_inline"):
            out.append(token.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "link_open":
            links.append((str(token.attrGet("href") or ""), len(out)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            words = "".join(out[start:]).strip()
            if is_web_url(href) and words != href:
                out.append(f" ({href})" if words else href)
        elif kind == "image":
            alt = "".join(child.content for child in token.children or [])
            out.append(alt)
        # html_inline, em/strong markers: nothing of them is shown
    return "".join(out)


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join([first + lines[0], *(rest + line if line else line for line in lines[1:])])


def _blocks(tokens: list[Token], start: int, stop: int) -> tuple[list[str], int]:
    """The plain-text blocks of tokens[start:stop] up to the closing token of the level."""
    blocks: list[str] = []
    i = start
    while i < stop:
        token = tokens[i]
        kind = token.type
        if kind.endswith("_close"):
            return blocks, i + 1
        if kind == "inline":
            blocks.append(_inline_text(token.children or []))
            i += 1
        elif kind in ("paragraph_open", "heading_open"):
            inner, i = _blocks(tokens, i + 1, stop)
            blocks.append("\n".join(inner))
        elif kind in ("bullet_list_open", "ordered_list_open"):
            ordered = kind == "ordered_list_open"
            number = int(token.attrGet("start") or 1)
            items: list[str] = []
            i += 1
            while i < stop and tokens[i].type == "list_item_open":
                inner, i = _blocks(tokens, i + 1, stop)
                marker = f"{number}. " if ordered else "- "
                items.append(_indent("\n".join(inner), marker, " " * len(marker)))
                number += 1
            i += 1  # the list's closing token
            blocks.append("\n".join(items))
        elif kind == "blockquote_open":
            inner, i = _blocks(tokens, i + 1, stop)
            blocks.append(_indent("\n\n".join(inner), "> ", "> "))
        elif kind in ("fence", "code_block"):
            blocks.append(_indent(token.content.rstrip("\n"), "    ", "    "))
            i += 1
        elif kind == "hr":
            blocks.append("———")
            i += 1
        elif kind == "html_block":
            words = html.unescape(nh3.clean(token.content, tags=set())).strip()
            if words:
                blocks.append(words)
            i += 1
        elif kind == "table_open":
            rows: list[str] = []
            i += 1
            while i < stop and tokens[i].type != "table_close":
                if tokens[i].type == "tr_open":
                    cells: list[str] = []
                    i += 1
                    while tokens[i].type != "tr_close":
                        if tokens[i].type == "inline":
                            cells.append(_inline_text(tokens[i].children or []).strip())
                        i += 1
                    rows.append(" | ".join(cells))
                i += 1
            i += 1
            blocks.append("\n".join(rows))
        else:
            i += 1
    return blocks, i


# Text with none of these is Markdown only in its paragraphs. Everything else a character or a
# line start can mean needs one of them: emphasis, code, links and images, raw HTML and
# autolinks, escapes, tables, entities; headings, lists, quotes, fences, indented code and
# setext underlines at the start of a line. ("!" and a "#" inside a line mean nothing alone.)
_MARKUP_CHARACTER = re.compile(
    r"[*_`\[\]<\\|]|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);"
)
_MARKUP_LINE = re.compile(r"^(?: {4}|\t| {0,3}(?:[-+=>#~]|\d{1,9}[.)]))", re.MULTILINE)


def _is_prose(text: str) -> bool:
    return not _MARKUP_CHARACTER.search(text) and not _MARKUP_LINE.search(text)


def _prose_to_text(text: str) -> str:
    """What the parser makes of prose, without parsing: paragraphs split at blank lines, each
    line stripped (a calendar feed of 500 sessions would otherwise parse 500 abstracts)."""
    paragraphs = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = ("\n".join(line.strip() for line in part.strip().split("\n")) for part in paragraphs)
    return "\n\n".join(part for part in cleaned if part)


@functools.lru_cache(maxsize=1024)
def markdown_to_text(text: str) -> str:
    """Readable plain text from Markdown (see the module docstring for what becomes of what).

    Cached: a feed repeats one session's abstract for each of its dates.
    """
    if _is_prose(text or ""):
        return _prose_to_text(text or "")
    tokens = _text_parser.parse(text or "")
    blocks, _ = _blocks(tokens, 0, len(tokens))
    plain = "\n\n".join(block.strip("\n") for block in blocks if block.strip())
    plain = _TAG.sub("", plain)
    return re.sub(r"\n{3,}", "\n\n", plain).strip()
