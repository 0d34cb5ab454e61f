"""The dashboard's period selector shows, in words, the period the page computes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def _shown(query: str) -> tuple[list[str], str, list[str]]:
    """The selected option, the sentence naming the period, and every option's words."""
    html = signed_in(make_person(role=Person.Role.ENABLER)).get(f"/insights/{query}").content
    html = html.decode()
    select = re.search(r'<select name="period"[^>]*>(.*?)</select>', html, re.S).group(1)
    selected = re.findall(r"<option [^>]*selected>(.*?)</option>", select)
    sentence = re.search(r'<p class="meta">([^(]*) \(', html).group(1)
    return selected, sentence, re.findall(r"<option [^>]*>(.*?)</option>", select)


@pytest.mark.parametrize("query", ["", "?period="])
def test_no_choice_selects_and_names_the_default_period(query: str) -> None:
    assert _shown(query) == (
        ["Last 90 days"],
        "Last 90 days",
        ["Last 30 days", "Last 90 days", "Last 365 days", "The dates below"],
    )


def test_a_chosen_preset_is_selected_and_named() -> None:
    assert _shown("?period=last-30-days")[:2] == (["Last 30 days"], "Last 30 days")


def test_dates_win_over_a_preset_and_the_selector_says_so() -> None:
    today = timezone.now().date()
    start, end = today - timedelta(days=10), today
    shown = _shown(f"?period=last-365-days&start={start}&end={end}")
    assert shown[:2] == (["The dates below"], f"{start} to {end}")
