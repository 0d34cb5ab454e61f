"""Numbers and money in the viewer's locale.

A person's locale comes from their company account (the provider's ``locale`` claim, stored on
the person); without one their browser says which they read (``Accept-Language``), and the
site's ``LANGUAGE_CODE`` stands in when it says nothing we know.
Only the *format* follows the viewer — the page's words stay in English, so Django's own
translations are never switched on by this (a German browser must not get German form errors
on an English page).

Formats come from babel (the CLDR data): "212,940.00" in English, "212.940,00" in German,
"212 940,00" in French. Money carries the organisation's currency (``KNOWFLOW_CURRENCY``, an ISO
4217 code) when one is set, else it is shown as a plain amount with two decimals. CSV and the API
stay machine-readable: they never go through here.
"""

from __future__ import annotations

from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, format_percent
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation.trans_real import parse_accept_lang_header

_ATTRIBUTE = "_knowflow_locale"


def _parse(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def default_locale() -> Locale:
    return _parse(settings.LANGUAGE_CODE) or Locale("en")


def locale_from_header(header: str) -> Locale:
    """The first locale of an ``Accept-Language`` header (by preference) that babel knows;
    ``"de-CH,de;q=0.9"`` → de_CH. A header that is absent, ``*`` or unknown gives the site's."""
    for tag, _quality in parse_accept_lang_header(header or ""):
        if tag == "*":
            continue
        found = _parse(tag)
        if found is not None:
            return found
    return default_locale()


def supported_locale(tag: str) -> str | None:
    """``tag`` (``"de-CH"``, ``"fr_FR"``) as the locale name Knowflow stores (``"de_CH"``), or
    None when babel does not know it."""
    if not isinstance(tag, str) or not tag.strip() or len(tag) > 35:
        return None
    found = _parse(tag.strip())
    return str(found) if found is not None else None


def viewer_locale(request: HttpRequest | None) -> Locale:
    """The locale to format numbers for this request, worked out once per request: the
    signed-in person's own (set from their company account), else their browser's."""
    if request is None:
        return default_locale()
    cached = getattr(request, _ATTRIBUTE, None)
    if cached is None:
        own = getattr(getattr(request, "viewer", None), "locale", "")
        cached = (_parse(own) if own else None) or locale_from_header(
            request.headers.get("Accept-Language", "")
        )
        setattr(request, _ATTRIBUTE, cached)
    return cached


def format_money(amount: Decimal | float | int | None, *, locale: Locale) -> str:
    """An amount of money, two decimals, grouped as the locale groups; with the currency when
    the organisation set one. ``None`` (no figure) is an en dash."""
    if amount is None:
        return "–"
    currency = getattr(settings, "KNOWFLOW_CURRENCY", "")
    if currency:
        return format_currency(amount, currency, locale=locale)
    return format_decimal(amount, format="#,##0.00", locale=locale)


def format_number(
    value: Decimal | float | int | None, *, locale: Locale, decimals: int | None = None
) -> str:
    """A count or a measure, grouped as the locale groups; ``decimals`` fixes the digits after
    the separator (a ratio: 2), else the value keeps the ones it was computed with ("6.0" stays
    "6.0", or "6,0" in German): only the separators change, never the precision."""
    if value is None:
        return "–"
    if decimals is None:
        written = str(value)
        decimals = len(written.partition(".")[2]) if "e" not in written.lower() else 3
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale)


def format_share(share: float | Decimal | None, *, locale: Locale, decimals: int = 0) -> str:
    """A share (0–1) as a percentage: "85%" in English, "85 %" in German or French; with
    ``decimals``, up to that many digits after the separator ("42.5%", "40%")."""
    if share is None:
        return "–"
    if decimals:
        return format_percent(
            round(float(share), decimals + 2), locale=locale, decimal_quantization=False
        )
    return format_percent(share, locale=locale)
