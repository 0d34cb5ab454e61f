"""Markdown made readable as plain text (calendars, email text) and as email HTML."""

from __future__ import annotations

import gzip
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from knowflow import markdown as knowflow_markdown
from knowflow.markdown import markdown_to_email_html, markdown_to_text

HOSTILE = (
    "Click [here](javascript:alert(1)) or [there](JaVaScRiPt:alert(2)) "
    "or [data](data:text/html;base64,PHNjcmlwdD4=).\n\n"
    "<script>alert(3)</script>\n\n"
    '<div onclick="alert(4)">Hello <b>world</b></div>\n\n'
    "Inline <img src=x onerror=alert(5)> and &lt;script&gt;alert(6)&lt;/script&gt;.\n\n"
    "![tracker](https://tracker.example/pixel.png)\n"
)


class Elements(HTMLParser):
    """Every element and attribute of an HTML fragment, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)


def test_markdown_to_text_reads_as_plain_text() -> None:
    source = (
        "# Intro to **Rust**\n\n"
        "Learn *ownership* with [the book](https://doc.rust-lang.org/book/) and `cargo`,\n"
        "see <https://example.org/faq>.\n\n"
        "## Agenda\n\n"
        "- setup\n- borrowing, with [notes](http://notes.example/b)\n  - nested\n\n"
        "3. third\n4. fourth\n\n"
        "> a **quote**\n\n"
        "---\n\n"
        "    cargo run\n"
    )

    assert markdown_to_text(source) == (
        "Intro to Rust\n\n"
        "Learn ownership with the book (https://doc.rust-lang.org/book/) and cargo,\n"
        "see https://example.org/faq.\n\n"
        "Agenda\n\n"
        "- setup\n- borrowing, with notes (http://notes.example/b)\n  - nested\n\n"
        "3. third\n4. fourth\n\n"
        "> a quote\n\n"
        "———\n\n"
        "    cargo run"
    )


def test_markdown_to_text_keeps_the_words_of_hostile_markdown_and_nothing_live() -> None:
    assert markdown_to_text(HOSTILE) == (
        "Click here or there or data.\n\nHello world\n\nInline  and alert(6).\n\ntracker"
    )


def test_markdown_to_text_drops_links_that_are_not_web_addresses() -> None:
    text = markdown_to_text("[page](/sessions/x/) and [mail](mailto:a@example.org)")

    assert text == "page and mail"


def test_markdown_to_email_html_keeps_web_links_and_drops_scripts_images_and_bad_links() -> None:
    html = markdown_to_email_html(
        HOSTILE + "\nRead [the book](https://doc.rust-lang.org/book/) and **this**."
    )

    parsed = Elements(html)
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert "strong" in parsed.tags
    hrefs = [value for tag, name, value in parsed.attributes if name == "href"]
    assert hrefs == ["https://doc.rust-lang.org/book/"]
    assert not [name for _, name, _ in parsed.attributes if name.startswith("on")]
    assert "<script>" not in html


def _parsed_text(text: str) -> str:
    """markdown_to_text through the parser, skipping the shortcut for prose."""
    markdown_to_text.cache_clear()
    prose, knowflow_markdown._is_prose = knowflow_markdown._is_prose, lambda text: False
    try:
        return markdown_to_text(text)
    finally:
        knowflow_markdown._is_prose = prose
        markdown_to_text.cache_clear()


def test_prose_shortcut_gives_what_the_parser_gives() -> None:
    prose = "Two lines\n  of one paragraph.  \n\n\n Another one; 3 > 2, #1 & ok!\r\n"

    assert knowflow_markdown._is_prose(prose)
    assert markdown_to_text(prose) == _parsed_text(prose)
    assert markdown_to_text(prose) == "Two lines\nof one paragraph.\n\nAnother one; 3 > 2, #1 & ok!"


@pytest.mark.shared
def test_prose_shortcut_agrees_with_the_parser_on_real_talk_descriptions(
    shared_dir: Path,
) -> None:
    with gzip.open(shared_dir / "data/talks.jsonl.gz", "rt") as handle:
        texts = [json.loads(line).get("description") or "" for line in handle][:3000]
    prose = [text for text in texts if knowflow_markdown._is_prose(text)]

    differing = [text for text in prose if markdown_to_text(text) != _parsed_text(text)]

    assert len(prose) > len(texts) // 2
    assert differing == []
