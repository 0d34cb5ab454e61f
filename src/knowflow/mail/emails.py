"""The HTML part of outbox emails, beside their plain text (what every email shares).

Every email leaves as multipart/alternative: the text the service wrote, and an HTML form of
the same words. HTML mail runs no script and knows no Content-Security-Policy, so it is kept
plain: no style sheet, no image (a remote image is a tracking pixel), and the only links are
http(s) addresses (`knowflow.links`). Everything a person wrote is escaped by the template, or
sanitised by `knowflow.markdown` when it is Markdown (a session's abstract, in
`events.notifications`).
"""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from knowflow.links import is_web_url

# An address in plain text, without the punctuation a sentence puts after it.
_ADDRESS = re.compile(r"https?://[^\s<>\"“”‘’]+[^\s<>\"“”‘’.,;:!?)\]]")


def _linked(line: str) -> str:
    """One line of plain text as HTML, its http(s) addresses made links."""
    out: list[str] = []
    last = 0
    for match in _ADDRESS.finditer(line):
        address = match.group(0)
        if not is_web_url(address):
            continue
        out.append(escape(line[last : match.start()]))
        out.append(f'<a href="{escape(address)}">{escape(address)}</a>')
        last = match.end()
    out.append(escape(line[last:]))
    return "".join(out)


def text_paragraphs_html(text: str) -> SafeString:
    """Plain text as HTML paragraphs: a blank line starts a paragraph, a line break stays one,
    addresses become links. The text is escaped: nothing in it is markup."""
    paragraphs = [part.strip("\n") for part in re.split(r"\n\s*\n", text.strip())]
    html = "\n".join(
        "<p>" + "<br>\n".join(_linked(line) for line in part.split("\n")) + "</p>"
        for part in paragraphs
        if part.strip()
    )
    return mark_safe(html)  # noqa: S308 - every piece escaped above


def plain_email_html(*, subject: str, body: str) -> str:
    """The HTML part of an email written as plain text (survey requests, review reminders)."""
    return render_to_string(
        "mail/email/plain.html", {"subject": subject, "body": text_paragraphs_html(body)}
    )
