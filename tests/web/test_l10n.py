"""Numbers and money in the reader's locale, as the browser asks for it."""

from __future__ import annotations

from decimal import Decimal

from django.test import override_settings

from knowflow import l10n

AMOUNT = Decimal("212940.00")


def test_the_first_known_locale_of_the_header_wins() -> None:
    assert str(l10n.locale_from_header("de-CH,de;q=0.9,en;q=0.8")) == "de_CH"
    assert str(l10n.locale_from_header("xx-YY, fr;q=0.5")) == "fr"
    assert str(l10n.locale_from_header("en;q=0.2, de;q=0.9")) == "de"


def test_no_header_a_star_or_nonsense_gives_the_sites_language() -> None:
    for header in ("", "*", "not a locale!!", ";q=1"):
        assert str(l10n.locale_from_header(header)) == "en", header


def test_money_without_a_currency_is_a_plain_amount_in_each_locale() -> None:
    shown = {
        tag: l10n.format_money(AMOUNT, locale=l10n.locale_from_header(tag))
        for tag in ("en-US", "de-DE", "fr-FR")
    }

    assert shown == {"en-US": "212,940.00", "de-DE": "212.940,00", "fr-FR": "212\u202f940,00"}


@override_settings(KNOWFLOW_CURRENCY="EUR")
def test_money_carries_the_organisations_currency_where_the_locale_puts_it() -> None:
    assert l10n.format_money(AMOUNT, locale=l10n.locale_from_header("en")) == "€212,940.00"
    assert l10n.format_money(AMOUNT, locale=l10n.locale_from_header("de")) == "212.940,00\xa0€"


def test_a_number_keeps_its_precision_and_changes_only_its_separators() -> None:
    de, en = l10n.locale_from_header("de"), l10n.locale_from_header("en")

    assert l10n.format_number(6.0, locale=de) == "6,0"
    assert l10n.format_number(12345, locale=en) == "12,345"
    assert l10n.format_number(Decimal("26517.5"), locale=de) == "26.517,5"
    assert l10n.format_number(Decimal("266.175"), locale=en, decimals=2) == "266.18"
    assert l10n.format_number(None, locale=en) == "–"


def test_shares_are_whole_percentages_as_each_locale_writes_them() -> None:
    assert l10n.format_share(2 / 3, locale=l10n.locale_from_header("en")) == "67%"
    assert l10n.format_share(2 / 3, locale=l10n.locale_from_header("de")) == "67\xa0%"
