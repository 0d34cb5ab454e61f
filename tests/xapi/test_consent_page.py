"""The follow-up page asks, in an unticked box, whether to also record in the company's learning
record that the person applied what they learned; only when an LRS is configured, only on a
follow-up that asks "have you applied it?", and only a ticked box sends anything."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from knowflow.feedback.models import Kind, Response
from knowflow.outbound.models import OutboundPost
from knowflow.xapi.services import xapi_applied_enqueue_due
from tests.factories import make_person
from tests.feedback.helpers import GOOD, attend, ended_occurrence, open_requests
from tests.xapi.helpers import FOLLOW_UP
from tests.xapi.lrs import Lrs

pytestmark = pytest.mark.django_db

BOX = "record-applied-in-lrs"
LABEL = "Also record in my company's learning record that I applied this (your name is attached)"


def _link(kind: str = Kind.FOLLOW_UP_30) -> str:
    occurrence = ended_occurrence()
    attend(occurrence, [make_person()])
    ((_request, token),) = open_requests(occurrence, kind=kind).values()
    return f"/feedback/r/{token}/"


def _box(html: str) -> str | None:
    found = re.search(rf'<input type="checkbox" name="{BOX}"[^>]*>', html)
    return found.group(0) if found else None


def test_the_follow_up_offers_the_box_unticked(lrs: Lrs) -> None:
    page = Client().get(_link()).content.decode()

    assert _box(page) == (
        f'<input type="checkbox" name="{BOX}" value="1" aria-describedby="lrs-consent-help">'
    )
    assert LABEL in page


def test_the_after_session_survey_does_not_offer_it(lrs: Lrs) -> None:
    page = Client().get(_link(Kind.AFTER_SESSION)).content.decode()

    assert _box(page) is None
    assert LABEL not in page


@pytest.mark.usefixtures("no_lrs")
def test_without_an_lrs_the_box_is_not_shown() -> None:
    page = Client().get(_link()).content.decode()

    assert _box(page) is None


def test_ticking_the_box_records_it_and_says_so(lrs: Lrs) -> None:
    done = Client().post(_link(), {**FOLLOW_UP, BOX: "1"}).content.decode()

    assert "Your company's learning record will say, with your name, that you applied" in done
    assert Response.objects.count() == 1
    assert OutboundPost.objects.count() == 0  # written tomorrow, with that day's others
    xapi_applied_enqueue_due(now=timezone.now() + timedelta(days=1))
    assert OutboundPost.objects.filter(kind="xapi.statement").count() == 1


def test_leaving_it_unticked_sends_nothing(lrs: Lrs) -> None:
    done = Client().post(_link(), FOLLOW_UP).content.decode()

    assert re.search(r"<h1>Thank you</h1>", done)
    assert "learning record" not in done
    assert Response.objects.count() == 1
    assert OutboundPost.objects.count() == 0


def test_a_refused_answer_keeps_the_box_ticked_and_sends_nothing(lrs: Lrs) -> None:
    page = Client().post(_link(), {**FOLLOW_UP, "how_often": "", BOX: "1"})

    assert page.status_code == 200
    assert _box(page.content.decode()) == (
        f'<input type="checkbox" name="{BOX}" value="1" '
        'aria-describedby="lrs-consent-help" checked>'
    )
    assert Response.objects.count() == 0
    assert OutboundPost.objects.count() == 0


def test_the_after_session_survey_ignores_a_forged_box(lrs: Lrs) -> None:
    """A hand-made POST with the box on a survey that does not offer it sends nothing."""
    Client().post(_link(Kind.AFTER_SESSION), {**GOOD, BOX: "1"})

    assert Response.objects.count() == 1
    assert OutboundPost.objects.count() == 0
