"""Language names for people: sessions and resources store a code ("en", "pt-br"), pages
show the name ("English", "Brazilian Portuguese").

The names come from Django's own table of languages (``django.conf.locale.LANG_INFO``), the
one its admin and language switcher use, so no list of our own goes stale.
"""

from __future__ import annotations

from django.conf.locale import LANG_INFO


def language_name(code: str) -> str:
    """The English name of a language code; a code Django does not know is shown as stored
    (it was typed by a person, so it is at least their word for it)."""
    key = (code or "").strip().lower().replace("_", "-")
    info = LANG_INFO.get(key)
    if info is not None and "fallback" in info:
        info = LANG_INFO.get(info["fallback"][0])
    if info is None and "-" in key:  # a regional variant Django lacks: "en-in" → English
        info = LANG_INFO.get(key.split("-", 1)[0])
    return info["name"] if info is not None and "name" in info else (code or "").strip()


def language_choices(*, keep: str = "") -> list[tuple[str, str]]:
    """Every language Django names, as (code, name) sorted by name, for a select box; ``keep``
    (a stored code Django does not know) is offered too, so editing a record never changes
    its language unasked."""
    choices = sorted(
        ((code, info["name"]) for code, info in LANG_INFO.items() if "name" in info),
        key=lambda choice: choice[1],
    )
    keep = (keep or "").strip()
    if keep and keep not in dict(choices):
        choices.insert(0, (keep, language_name(keep)))
    return choices
