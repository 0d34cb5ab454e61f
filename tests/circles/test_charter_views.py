"""Pages to start a circle, review it, edit its charter, name roles, hand over, sunset and
revive; the circle page as a community's home with its health."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from knowflow.circles.models import Circle, Membership
from knowflow.library.models import Resource
from knowflow.mail.models import OutboxMessage
from tests.circles.test_views import messages_of, section
from tests.conftest import signed_in
from tests.factories import make_circle, make_occurrence, make_person, make_session, org_unit

pytestmark = pytest.mark.django_db

CHARTER = {
    "name": "Platform guild",
    "mission": "Share how we run the platform.",
    "scope": "Kubernetes, CI; not product features.",
    "cadence": "fortnightly",
    "visibility": "open",
    "topics": "",
}


def figures(html: str) -> dict[str, str]:
    block = re.search(r'<dl class="summary" id="health-figures">(.*?)</dl>', html, re.S)
    assert block
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", block.group(1)))


def test_a_member_starts_a_circle_and_lands_on_its_page_as_champion() -> None:
    starter = make_person(name="Sam Starter")
    client = signed_in(starter)

    response = client.post("/circles/new/", CHARTER, follow=True)

    html = response.content.decode()
    circle = Circle.objects.get(name="Platform guild")
    assert messages_of(html) == ["Platform guild is open, and you are its champion."]
    assert (circle.cadence, circle.scope, circle.state) == (
        "fortnightly",
        "Kubernetes, CI; not product features.",
        "forming",
    )
    assert '<span class="badge info">Forming</span>' in html
    assert "meets every two weeks · 1 member" in html
    assert re.sub(r"<[^>]+>", "", re.search(r'id="circle-leads">(.*?)</p>', html).group(1)) == (
        "Champion: Sam Starter"
    )
    assert section(html, "Members") == ["Sam Starter"]


def test_starting_a_circle_with_a_taken_name_shows_the_error_and_writes_nothing() -> None:
    make_circle(name="Platform guild")
    client = signed_in(make_person())

    response = client.post("/circles/new/", {**CHARTER, "name": "platform GUILD"})

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<div class="error-summary" role="alert" tabindex="-1"><h2>There is a problem</h2>' in html
    )
    assert "There is already a circle called platform GUILD." in html
    assert Circle.objects.count() == 1


def test_starting_a_circle_with_an_unknown_cadence_is_a_form_error() -> None:
    client = signed_in(make_person())

    response = client.post("/circles/new/", {**CHARTER, "cadence": "daily"})

    assert "Select a valid choice. daily is not one of the available choices." in (
        response.content.decode()
    )
    assert Circle.objects.count() == 0


@override_settings(KNOWFLOW_CIRCLE_APPROVAL=True)
def test_with_approval_on_the_proposal_waits_and_an_enabler_approves_it_from_the_list() -> None:
    starter, enabler = make_person(name="Sam"), make_person(role="enabler")
    signed_in(starter).post("/circles/new/", CHARTER)
    circle = Circle.objects.get(name="Platform guild")
    outsider = signed_in(make_person())
    reviewer = signed_in(enabler)

    hidden = outsider.get(f"/circles/{circle.slug}/")
    listed = reviewer.get("/circles/").content.decode()
    response = reviewer.post(
        f"/circles/{circle.slug}/review/", {"decision": "approve", "reason": ""}, follow=True
    )

    assert hidden.status_code == 404
    assert "Waiting for your approval (1)" in listed
    assert f'<a href="/circles/{circle.slug}/review/">Review</a>' in listed
    assert messages_of(response.content.decode()) == [
        "Platform guild is approved: it is open. Its starter is emailed."
    ]
    assert Circle.objects.get(pk=circle.pk).state == "forming"
    assert outsider.get(f"/circles/{circle.slug}/").status_code == 200
    assert OutboxMessage.objects.get(kind="circles.decision").recipient == starter.email


@override_settings(KNOWFLOW_CIRCLE_APPROVAL=True)
def test_declining_without_a_reason_keeps_the_form_and_changes_nothing() -> None:
    signed_in(make_person()).post("/circles/new/", CHARTER)
    circle = Circle.objects.get(name="Platform guild")

    response = signed_in(make_person(role="enabler")).post(
        f"/circles/{circle.slug}/review/", {"decision": "decline", "reason": ""}
    )

    assert "Say why the circle is declined: its starter reads it." in response.content.decode()
    assert Circle.objects.get(pk=circle.pk).state == "proposed"
    assert OutboxMessage.objects.count() == 0


def test_review_page_is_refused_to_a_member() -> None:
    circle = make_circle(name="Ops")
    Circle.objects.filter(pk=circle.pk).update(state="proposed")

    response = signed_in(make_person()).post(
        f"/circles/{circle.slug}/review/", {"decision": "approve"}
    )

    assert response.status_code == 403
    assert "<p>Only enablers approve or decline circles.</p>" in response.content.decode()
    assert Circle.objects.get(pk=circle.pk).state == "proposed"


def test_circle_page_reads_like_a_home_with_health_resources_and_leads() -> None:
    now = timezone.now()
    champion = make_person(name="Cara Champion", tz="Europe/Berlin", org_unit=org_unit("Data"))
    facilitator = make_person(name="Fay Facilitator", tz="America/New_York")
    member = make_person(name="Max Member")
    circle = make_circle(name="Frontend", champions=[champion])
    Membership.objects.create(circle=circle, person=facilitator, role="facilitator")
    Membership.objects.create(circle=circle, person=member)
    Circle.objects.filter(pk=circle.pk).update(
        mission="Ship **accessible** UIs.", scope="Web and mobile.", state="active"
    )
    held = make_occurrence(
        session=make_session(title="CSS grid", circle=circle, speakers=[member]),
        start=now - timedelta(days=2),
    )
    held.attendances.create(person=facilitator, mode="online")
    Resource.objects.create(kind="note", title="Grid cheatsheet", slug="grid", circle=circle)

    html = signed_in(make_person()).get(f"/circles/{circle.slug}/").content.decode()

    assert '<span class="badge ok">Active</span>' in html
    assert "<p>Ship <strong>accessible</strong> UIs.</p>" in html
    assert "<h3>Scope</h3>" in html
    assert re.sub(r"<[^>]+>", "", re.search(r'id="circle-leads">(.*?)</p>', html).group(1)) == (
        "Champion: Cara Champion · Facilitator: Fay Facilitator"
    )
    assert figures(html) == {
        "Active members": "2 of 3 (last 90 days)",
        "Sessions a month": "0.3, aiming for 1 (monthly)",
        "Newcomers": "3 in the last 30 days",
        "Reach": "1 org unit, 3 time zones",
        "Last activity": "today",
    }
    assert section(html, "Resources") == ["Grid cheatsheet"]
    assert section(html, "Past sessions") == ["CSS grid"]
    assert '<span class="picker-initials" aria-hidden="true">FF</span>' in html


def test_champion_edits_the_charter() -> None:
    champion = make_person()
    circle = make_circle(name="Ops", champions=[champion])

    response = signed_in(champion).post(
        f"/circles/{circle.slug}/edit/", {**CHARTER, "name": "Ops", "cadence": "weekly"}
    )

    circle.refresh_from_db()
    assert response.status_code == 302
    assert (circle.cadence, circle.mission) == ("weekly", "Share how we run the platform.")


def test_edit_charter_by_a_member_is_403_and_changes_nothing() -> None:
    circle = make_circle(name="Ops", champions=[make_person()])

    response = signed_in(make_person()).post(f"/circles/{circle.slug}/edit/", CHARTER)

    assert response.status_code == 403
    assert "Only the circle&#x27;s champions and enablers can edit it." in response.content.decode()
    assert Circle.objects.get(pk=circle.pk).name == "Ops"


def test_champion_names_a_facilitator_and_removes_a_member_on_the_people_page() -> None:
    champion, helper, leaving = make_person(), make_person(name="Hel Per"), make_person()
    circle = make_circle(name="Ops", champions=[champion])
    Membership.objects.create(circle=circle, person=leaving)
    client = signed_in(champion)

    named = client.post(
        f"/circles/{circle.slug}/people/",
        {"person": helper.slug, "role": "facilitator"},
        follow=True,
    )
    client.post(f"/circles/{circle.slug}/people/{leaving.slug}/remove/")

    assert messages_of(named.content.decode()) == ["Hel Per is now a facilitator of Ops."]
    assert sorted(circle.memberships.values_list("person__display_name", "role")) == sorted(
        [(champion.display_name, "champion"), ("Hel Per", "facilitator")]
    )


def test_hand_over_from_the_people_page() -> None:
    old, new = make_person(name="Old"), make_person(name="New One")
    circle = make_circle(name="Ops", champions=[old])

    response = signed_in(old).post(
        f"/circles/{circle.slug}/hand-over/", {"person": new.slug}, follow=True
    )

    assert messages_of(response.content.decode()) == [
        "New One now champions Ops; you stay a member."
    ]
    assert dict(circle.memberships.values_list("person__display_name", "role")) == {
        "Old": "member",
        "New One": "champion",
    }


def test_sunset_asks_first_then_labels_the_page_and_hides_join() -> None:
    champion = make_person()
    circle = make_circle(name="Ops", champions=[champion])
    client = signed_in(champion)

    confirm = client.get(f"/circles/{circle.slug}/sunset/").content.decode()
    client.post(f"/circles/{circle.slug}/sunset/")
    page = signed_in(make_person()).get(f"/circles/{circle.slug}/").content.decode()

    assert "<h1>Sunset Ops?</h1>" in confirm
    assert Circle.objects.get(pk=circle.pk).state == "sunset"
    assert '<span class="badge">Sunset</span>' in page
    assert "it takes no new members.</p>" in page
    assert "Join this circle" not in page


def test_revive_by_a_member_is_403_and_keeps_it_sunset() -> None:
    circle = make_circle(name="Ops", champions=[make_person()])
    Circle.objects.filter(pk=circle.pk).update(state="sunset")

    response = signed_in(make_person()).post(f"/circles/{circle.slug}/revive/")

    assert response.status_code == 403
    assert Circle.objects.get(pk=circle.pk).state == "sunset"


def test_circle_list_shows_state_and_health_and_puts_sunset_last() -> None:
    make_circle(name="Alpha")
    old = make_circle(name="Aardvarks")
    Circle.objects.filter(pk=old.pk).update(state="sunset")

    html = signed_in(make_person()).get("/circles/").content.decode()

    names = re.findall(r'<a href="/circles/[^"]+/"><strong>([^<]+)</strong></a>', html)
    assert names == ["Alpha", "Aardvarks"]
    assert "0 active · 0.0 of 1 sessions a month (monthly)" in html
    assert '<a class="button" href="/circles/new/">Start a circle</a>' in html


def test_a_big_circle_shows_its_first_sixty_faces_and_counts_the_rest() -> None:
    champion = make_person(name="Aaa Champion")
    circle = make_circle(name="Big", champions=[champion])
    for n in range(64):
        Membership.objects.create(circle=circle, person=make_person(name=f"Member {n:02}"))

    html = signed_in(make_person()).get(f"/circles/{circle.slug}/").content.decode()

    shown = section(html, "Members")
    assert (len(shown), shown[0]) == (60, "Aaa Champion")
    assert "<h2>Members (65)</h2>" in html
    assert '<p class="meta">… and 5 more.</p>' in html
