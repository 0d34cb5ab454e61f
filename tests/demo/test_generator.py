"""The small demo organisation meets its specification and is the same for the same seed."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from django.db.models import Count, F, Q
from django.test import Client
from django.utils import timezone

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.circles.models import Circle, Membership
from knowflow.conferences.models import Conference
from knowflow.demo.generator import DemoAlreadyLoaded, demo_load
from knowflow.demo.vocabulary import DEMO_PASSWORD, PLACES
from knowflow.events import selectors
from knowflow.events.models import Attendance, Occurrence, Registration, Room, Session
from knowflow.topics.models import Topic

NOW = timezone.now().replace(second=0, microsecond=0)


def snapshot() -> dict[str, list[tuple]]:
    """Everything that makes the organisation what it is, without database ids."""
    return {
        "people": list(
            Person.objects.order_by("slug").values_list(
                "display_name",
                "slug",
                "timezone",
                "working_hours",
                "office__name",
                "org_unit__slug",
                "role",
            )
        ),
        "sessions": list(
            Session.objects.order_by("slug").values_list(
                "title", "slug", "abstract", "format", "level", "language", "status", "circle__slug"
            )
        ),
        "speakers": sorted(
            Session.speakers.through.objects.values_list("session__slug", "person__slug")
        ),
        "occurrences": sorted(
            Occurrence.objects.values_list(
                "session__slug", "start", "end", "room__name", "capacity"
            )
        ),
        "registrations": sorted(
            Registration.objects.values_list(
                "occurrence__session__slug", "occurrence__start", "person__slug", "status"
            )
        ),
    }


@pytest.fixture
def small_demo(db: None) -> None:
    # Survey answers go through the feedback services (slow); one test below covers them.
    demo_load(seed=7, size="small", now=NOW, with_feedback=False)


@pytest.mark.django_db
def test_small_demo_counts(small_demo: None) -> None:
    assert 290 <= Person.objects.count() <= 310
    assert OrgUnit.objects.count() >= 8
    assert list(OrgUnit.objects.filter(parent=None).values_list("kind", flat=True)) == ["company"]
    assert OrgUnit.objects.filter(kind="team", parent__kind="division").count() >= 6
    # The organisation's twelve, and four showing a circle's other states (demo/circles.py).
    assert Circle.objects.count() == 16
    assert sorted(set(Circle.objects.values_list("state", flat=True))) == [
        "active",
        "dormant",
        "forming",
        "proposed",
        "sunset",
    ]
    assert Membership.objects.filter(role=Membership.Role.FACILITATOR).count() == 12
    assert Circle.objects.filter(visibility=Circle.Visibility.INVITE_ONLY).count() >= 2
    assert (
        Membership.objects.filter(role=Membership.Role.CHAMPION).values("circle").distinct().count()
        == 16
    )
    assert Topic.objects.count() == 60
    assert Topic.objects.exclude(parent=None).count() >= 40
    assert Topic.objects.exclude(synonyms=[]).count() >= 50
    assert Session.objects.count() == 250 + 14  # the organisation's, and DevDays' talks
    assert set(Session.objects.values_list("format", flat=True)) == set(Session.Format.values)
    assert set(Session.objects.values_list("level", flat=True)) == set(Session.Level.values)
    assert set(Session.objects.values_list("status", flat=True)) == set(Session.Status.values)
    assert Session.objects.exclude(language="en").count() >= 5
    assert Office.objects.count() >= 4
    assert Room.objects.values("office").distinct().count() >= 4


@pytest.mark.django_db
def test_small_demo_time_zones_span_continents(small_demo: None) -> None:
    zones = set(Person.objects.values_list("timezone", flat=True))
    continent = {place.zone: place.continent for place in PLACES}
    assert len(zones) >= 12
    assert {"Asia/Kolkata", "Australia/Sydney"} <= zones
    assert len({continent[zone] for zone in zones}) >= 4
    assert all(Office.objects.values_list("timezone", flat=True))


@pytest.mark.django_db
def test_small_demo_working_hours_vary(small_demo: None) -> None:
    hours = Counter(str(h) for h in Person.objects.values_list("working_hours", flat=True))
    default = str([["09:00", "17:00"]] * 5 + [None, None])
    assert hours.most_common(1)[0][0] == default
    assert hours[str([["08:00", "16:00"]] * 5 + [None, None])] >= 3
    sunday_to_thursday = [["09:00", "17:00"]] * 4 + [None, None, ["09:00", "17:00"]]
    assert Person.objects.filter(
        working_hours=sunday_to_thursday, timezone__in=["Asia/Jerusalem", "Asia/Dubai"]
    ).exists()
    night = [p for p in Person.objects.all() if any(w and w.crosses_midnight for w in p.hours.days)]
    assert night


@pytest.mark.django_db
def test_small_demo_occurrences_cover_every_mode_and_never_double_book(small_demo: None) -> None:
    occurrences = Occurrence.objects.all()
    assert occurrences.filter(room__isnull=False, online_url="").exists()
    assert occurrences.filter(room__isnull=True).exists()
    assert occurrences.filter(room__isnull=False).exclude(online_url="").exists()
    assert occurrences.filter(start__lt=NOW).exists()
    assert occurrences.filter(start__gt=NOW).exists()
    clashes = Occurrence.objects.filter(
        room__isnull=False,
        room__occurrences__start__lt=F("end"),
        room__occurrences__end__gt=F("start"),
    ).exclude(room__occurrences__pk=F("pk"))
    assert clashes.count() == 0
    in_room_only = occurrences.filter(room__isnull=False, online_url="")
    assert in_room_only.filter(capacity__gt=F("room__capacity")).count() == 0


@pytest.mark.django_db
def test_small_demo_registrations_respect_capacity_and_waitlist(small_demo: None) -> None:
    per_occurrence = Occurrence.objects.annotate(
        going=Count("registrations", filter=Q(registrations__status="going")),
        waiting=Count("registrations", filter=Q(registrations__status="waitlisted")),
    )
    assert per_occurrence.filter(going__gt=F("capacity")).count() == 0
    # People wait only when the occurrence is full.
    assert per_occurrence.filter(waiting__gt=0).exclude(going=F("capacity")).count() == 0
    assert per_occurrence.filter(waiting__gt=0, start__gt=NOW).exists()
    assert Registration.objects.filter(occurrence__start__lt=NOW).exists()
    assert Registration.objects.filter(occurrence__start__gt=NOW).exists()
    assert set(Attendance.objects.values_list("mode", flat=True)) == set(Attendance.Mode.values)
    assert Attendance.objects.filter(occurrence__start__gt=NOW).count() == 0
    assert Registration.objects.filter(requested_at__gt=F("occurrence__start")).count() == 0


@pytest.mark.django_db
def test_small_demo_accounts_sign_in_and_have_something_to_see(small_demo: None) -> None:
    for username in ("admin", "enabler", "speaker", "member", "leader"):
        assert Client().login(username=username, password=DEMO_PASSWORD)
    assert Person.objects.get(user__username="admin").user.is_superuser is True
    assert Person.objects.get(user__username="enabler").role == Person.Role.ENABLER
    leader = Client()
    assert leader.login(username="leader", password=DEMO_PASSWORD)
    assert Person.objects.get(user__username="leader").role == Person.Role.LEADER
    assert leader.get("/insights/").status_code == 200
    speaker = Person.objects.get(user__username="speaker")
    given = Occurrence.objects.filter(session__speakers=speaker)
    assert given.filter(start__gt=NOW).exists()
    assert given.filter(end__lt=NOW).exists()
    member = Person.objects.get(user__username="member")
    assert member.memberships.count() == 4  # three joined, one started (Rust Curious)
    assert member.skills.count() == 4
    assert len(selectors.upcoming_registrations(viewer=member)) >= 1
    assert len(selectors.upcoming_for_viewer(viewer=member)) >= 5
    assert Attendance.objects.filter(person=member).exists()


@pytest.mark.django_db
def test_small_demo_has_a_conference_with_a_published_programme_and_a_changelog(
    small_demo: None,
) -> None:
    member = Client()
    assert member.login(username="member", password=DEMO_PASSWORD)
    listing = member.get("/conferences/").content.decode()
    assert "DevDays" in listing
    assert "Programme published (release 2)" in listing
    slug = Conference.objects.get(name="DevDays").slug
    page = member.get(f"/conferences/{slug}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "14 talks" in text
    assert "Keynote: what we learned running 400 services" in text
    assert "moved from" in text  # release 2's changelog
    assert "3 in your agenda" in text
    exported = member.get(f"/{slug}/schedule.json")
    assert exported.status_code == 200
    assert exported.json()["schedule"]["version"] == "2"


@pytest.mark.django_db
def test_small_demo_has_an_open_call_with_proposals_and_a_co_speaker_to_confirm(
    small_demo: None,
) -> None:
    member = Client()
    assert member.login(username="member", password=DEMO_PASSWORD)
    slug = Conference.objects.get(name="Data Summit").slug
    call = member.get(f"/conferences/{slug}/cfp/").content.decode()
    assert "Open</span> until" in call
    assert "Rust for data pipelines" in call  # the member's draft
    assert "Feature stores, a year later" in call and "proposed by Priya Venkatesh" in call
    wanted = member.get(f"/conferences/{slug}/cfp/wanted/").content.decode()
    assert "Data contracts between teams" in wanted and "Rust for data pipelines" not in wanted


@pytest.mark.django_db
def test_demo_same_seed_gives_same_organisation(small_demo: None) -> None:
    first = snapshot()
    with pytest.raises(DemoAlreadyLoaded):
        demo_load(seed=7, size="small", now=NOW, with_feedback=False)
    demo_load(seed=7, size="small", now=NOW, reset=True, with_feedback=False)
    assert snapshot() == first
    demo_load(seed=8, size="small", now=NOW, reset=True, with_feedback=False)
    other = snapshot()
    assert other["people"] != first["people"]
    assert other["sessions"] != first["sessions"]


@pytest.mark.django_db
def test_demo_refuses_a_database_with_other_data() -> None:
    Topic.objects.create(name="Gardening", slug="gardening")
    with pytest.raises(DemoAlreadyLoaded):
        demo_load(seed=1, size="small", reset=True)
    assert Person.objects.count() == 0


def test_now_is_aware() -> None:
    assert isinstance(NOW, datetime) and timezone.is_aware(NOW)


@pytest.mark.slow  # builds a whole demo organisation
@pytest.mark.django_db
def test_small_demo_has_survey_answers_for_the_results_pages() -> None:
    from knowflow.feedback.models import Response, SurveyRequest

    demo_load(seed=7, size="small", now=NOW)

    assert Response.objects.count() == 1500
    assert SurveyRequest.objects.filter(status=SurveyRequest.Status.ANSWERED).count() == 1500


def test_small_demo_library_has_recordings_of_past_sessions(small_demo: None) -> None:
    from knowflow.library.models import Resource

    recordings = Resource.objects.filter(kind=Resource.Kind.RECORDING).select_related("session")
    assert recordings.count() > 50
    assert all(r.session.status == Session.Status.DONE for r in recordings)
    assert all(r.url.startswith("https://video.example.org/watch/") for r in recordings)
    assert all(r.owner_id is not None for r in recordings)
