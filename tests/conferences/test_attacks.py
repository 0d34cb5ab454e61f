"""Attacks on the conferences app, as a member, a leader, an enabler, someone who left or
nobody would try them: ids from another conference, requests without CSRF, odd input in the
address and the forms, names in the anonymous lists, markup in the exports, a squatted
library collection.

Tests marked ``# BUG`` in their docstring fail on the code as it is; the others hold now and
stay as guards."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.test import Client, override_settings
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.services import person_deactivate
from knowflow.conferences import planning, proposals, selectors
from knowflow.conferences.models import (
    ConferenceTalk,
    ProgrammeDraft,
    Proposal,
    ProposalStar,
    Release,
    Star,
)
from knowflow.conferences.report import conference_recordings_collect
from knowflow.conferences.services import release_publish, star_set, talk_add
from knowflow.errors import Conflict
from knowflow.events.models import Occurrence, Session
from knowflow.events.services import occurrence_update
from knowflow.integrations.services import calendar_feed_token_regenerate
from knowflow.library.models import Collection, Resource
from knowflow.library.services import collection_create
from knowflow.mail.services import outbox_deliver_due
from tests.conferences.conftest import Built, build_conference
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_room, make_session

pytestmark = pytest.mark.django_db

TIME_LIMIT = 5.0
QUESTION = "Who is it for?"


# Helpers --------------------------------------------------------------------------------------


def published(talks: int = 3, slug: str = "devdays", name: str = "DevDays") -> Built:
    built = build_conference(talks=talks, slug=slug, name=name)
    release_publish(actor=built.enabler, conference=built.conference)
    return built


def planned(talks: int = 4, slug: str = "devdays") -> Built:
    built = build_conference(talks=talks, slug=slug)
    Person.objects.filter(sessions_given__conference_talk__conference=built.conference).update(
        timezone="Europe/Berlin"
    )
    planning.programme_settings_update(
        actor=built.enabler,
        conference=built.conference,
        slot_times="10:00, 11:00 12:00",
        slot_minutes=45,
        rooms=built.rooms,
    )
    return built


def draft_of(built: Built) -> ProgrammeDraft:
    return planning.programme_build(
        actor=built.enabler, conference=built.conference, time_limit=TIME_LIMIT
    )


def open_call(built: Built) -> None:
    now = timezone.now()
    proposals.call_update(
        actor=built.enabler,
        conference=built.conference,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        formats=["talk", "workshop"],
        questions=[QUESTION],
    )


def proposal_by(
    person: Person,
    built: Built,
    *,
    title: str = "Query plans for analysts",
    abstract: str = "Read an EXPLAIN and fix the three most common slow queries.",
    submit: bool = True,
) -> Proposal:
    return proposals.proposal_save(
        actor=person,
        conference=built.conference,
        fields=proposals.ProposalFields(
            title=title,
            abstract=abstract,
            format="talk",
            level="intermediate",
            track=None,
            answers={QUESTION: "Analysts."},
            co_speakers=[],
            available_days=[built.conference.starts_on],
            available_from=None,
            available_until=None,
            submit=submit,
        ),
    )


def lenient(person: Person | None = None) -> Client:
    """A client that answers a server error with its 500 page instead of raising it."""
    client = signed_in(person) if person is not None else Client()
    client.raise_request_exception = False
    return client


# 1. Authorisation and ids of another conference -----------------------------------------------


def test_every_conference_page_refuses_a_deactivated_person_and_sends_nobody_in() -> None:
    published()
    gone = make_person(name="Left Already")
    client = signed_in(gone)
    admin = make_person(role=Person.Role.ADMIN)
    person_deactivate(person=gone, actor=admin)
    for url in (
        "/conferences/",
        "/conferences/devdays/",
        "/conferences/devdays/cfp/",
        "/conferences/devdays/cfp/wanted/",
        "/conferences/devdays/report/",
        "/devdays/schedule.json",
    ):
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert "login" in answer["Location"], url


def test_a_deactivated_persons_feed_secret_opens_no_export() -> None:
    published()
    gone = make_person()
    token = calendar_feed_token_regenerate(person=gone, actor=gone)
    person_deactivate(person=gone, actor=make_person(role=Person.Role.ADMIN))
    answer = Client().get(f"/devdays/schedule.ics?key={token.secret}")
    assert answer.status_code == 404
    assert answer.content == b"There is no calendar feed at this address."
    assert Client().get(f"/devdays/agenda.ics?key={token.secret}").status_code == 404


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        (Person.Role.MEMBER, "/conferences/devdays/publish/", 403),
        (Person.Role.LEADER, "/conferences/devdays/publish/", 403),
        (Person.Role.MEMBER, "/conferences/devdays/plan/", 403),
        (Person.Role.LEADER, "/conferences/devdays/plan/", 403),
        (Person.Role.MEMBER, "/conferences/devdays/cfp/settings/", 403),
        (Person.Role.MEMBER, "/conferences/devdays/cfp/proposals/", 403),
        (Person.Role.LEADER, "/conferences/devdays/cfp/proposals/", 403),
        (Person.Role.MEMBER, "/conferences/devdays/report/", 403),
        (Person.Role.LEADER, "/conferences/devdays/report/", 200),
        (Person.Role.ADMIN, "/conferences/devdays/report/", 200),
        (Person.Role.ADMIN, "/conferences/devdays/plan/", 200),
    ],
)
def test_each_role_reaches_only_its_pages(role: str, url: str, status: int) -> None:
    published()
    assert signed_in(make_person(role=role)).get(url).status_code == status


def test_nobody_signed_in_is_sent_to_sign_in_from_every_page() -> None:
    built = published()
    draft = ProgrammeDraft.objects.create(
        conference=built.conference,
        created_by=built.enabler,
        problem={},
        fingerprint="x",
        assignment={},
        status="optimal",
        bound=0,
        seconds=0,
    )
    for url in (
        "/conferences/",
        "/conferences/devdays/",
        "/conferences/devdays/publish/",
        "/conferences/devdays/report/",
        "/conferences/devdays/cfp/",
        "/conferences/devdays/cfp/settings/",
        "/conferences/devdays/cfp/proposals/",
        "/conferences/devdays/cfp/new/",
        "/conferences/devdays/cfp/wanted/",
        "/conferences/devdays/plan/",
        f"/conferences/devdays/plan/drafts/{draft.pk}/",
        "/devdays/schedule.json",
        "/devdays/schedule.xml",
        "/devdays/schedule.ics",
        "/devdays/agenda.ics",
    ):
        answer = Client().get(url)
        assert answer.status_code == 302, url
        assert "login" in answer["Location"], url


def test_a_draft_of_another_conference_is_not_found_through_this_ones_address() -> None:
    mine = planned(talks=2, slug="devdays")
    theirs = planned(talks=2, slug="datadays")
    draft = draft_of(theirs)
    client = signed_in(mine.enabler)
    assert client.get(f"/conferences/devdays/plan/drafts/{draft.pk}/").status_code == 404
    answer = client.post(f"/conferences/devdays/plan/drafts/{draft.pk}/", {"action": "apply"})
    assert answer.status_code == 404
    assert ProgrammeDraft.objects.get(pk=draft.pk).applied_at is None


def test_a_talk_of_another_conference_cannot_be_pinned_or_starred_through_this_one() -> None:
    planned(talks=2, slug="devdays")
    theirs = planned(talks=2, slug="datadays")
    enabler = make_person(role=Person.Role.ENABLER)
    client = signed_in(enabler)
    answer = client.post(
        "/conferences/devdays/plan/",
        {"action": "pin", "talk": str(theirs.talks[0].pk), "pinned": "1"},
    )
    assert answer.status_code == 404
    assert not ConferenceTalk.objects.filter(pinned=True).exists()
    member = signed_in(make_person())
    answer = member.post(
        f"/conferences/devdays/talks/{theirs.talks[0].guid}/star/", {"starred": "1"}
    )
    assert answer.status_code == 404
    assert Star.objects.count() == 0


def test_a_proposal_of_another_conference_is_not_found_through_this_ones_address() -> None:
    mine = build_conference(talks=0, slug="devdays")
    theirs = build_conference(talks=0, slug="datadays", enabler=mine.enabler)
    open_call(mine)
    open_call(theirs)
    author = make_person()
    proposal = proposal_by(author, theirs)
    client = signed_in(author)
    base = f"/conferences/devdays/cfp/{proposal.pk}"
    assert client.get(f"{base}/edit/").status_code == 404
    assert client.post(f"{base}/withdraw/").status_code == 404
    assert client.post(f"{base}/want/", {"wanted": "1"}).status_code == 404
    assert client.post(f"{base}/cospeak/", {"answer": "confirm"}).status_code == 404
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.SUBMITTED
    assert ProposalStar.objects.count() == 0


def test_someone_elses_proposal_cannot_be_read_edited_or_withdrawn() -> None:
    built = build_conference(talks=0)
    open_call(built)
    author = make_person(name="Priya Venkatesh")
    draft = proposal_by(author, built, title="My secret draft", submit=False)
    other = signed_in(make_person())
    answer = other.get(f"/conferences/devdays/cfp/{draft.pk}/edit/")
    assert answer.status_code == 403
    assert "My secret draft" not in answer.content.decode()
    answer = other.post(f"/conferences/devdays/cfp/{draft.pk}/withdraw/")
    assert answer.status_code == 403
    answer = other.post(f"/conferences/devdays/cfp/{draft.pk}/want/", {"wanted": "1"}, follow=True)
    assert "My secret draft" not in answer.content.decode()
    draft.refresh_from_db()
    assert (draft.state, draft.title) == (Proposal.State.DRAFT, "My secret draft")


def test_post_only_pages_refuse_a_get_and_change_nothing() -> None:
    built = published()
    open_call(built)
    proposal = proposal_by(make_person(), built)
    client = signed_in(built.enabler)
    for url in (
        f"/conferences/devdays/talks/{built.talks[0].guid}/star/",
        f"/conferences/devdays/cfp/{proposal.pk}/want/",
        f"/conferences/devdays/cfp/{proposal.pk}/withdraw/",
        f"/conferences/devdays/cfp/{proposal.pk}/cospeak/",
    ):
        assert client.get(url).status_code == 405, url
    assert Star.objects.count() == 0 and ProposalStar.objects.count() == 0


def test_a_post_without_csrf_token_changes_nothing() -> None:
    built = planned(talks=2)
    release_publish(actor=built.enabler, conference=built.conference)
    open_call(built)
    member = make_person()
    proposal = proposal_by(member, built)
    draft = draft_of(built)
    enabler = Client(enforce_csrf_checks=True)
    enabler.force_login(built.enabler.user)
    someone = Client(enforce_csrf_checks=True)
    someone.force_login(member.user)
    for client, url, data in (
        (someone, f"/conferences/devdays/talks/{built.talks[0].guid}/star/", {"starred": "1"}),
        (someone, f"/conferences/devdays/cfp/{proposal.pk}/withdraw/", {}),
        (someone, f"/conferences/devdays/cfp/{proposal.pk}/want/", {"wanted": "1"}),
        (enabler, "/conferences/devdays/publish/", {}),
        (enabler, "/conferences/devdays/plan/", {"action": "build"}),
        (enabler, f"/conferences/devdays/plan/drafts/{draft.pk}/", {"action": "apply"}),
        (enabler, "/conferences/devdays/report/", {}),
    ):
        assert client.post(url, data).status_code == 403, url
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.SUBMITTED
    assert (Star.objects.count(), ProposalStar.objects.count()) == (0, 0)
    assert ProgrammeDraft.objects.count() == 1
    assert ProgrammeDraft.objects.get().applied_at is None
    assert Release.objects.count() == 1


def test_a_leader_cannot_collect_recordings_and_nothing_is_made() -> None:
    built = published()
    Resource.objects.create(
        kind=Resource.Kind.RECORDING,
        title="Talk 1 recording",
        slug="talk-1-recording",
        session=built.talks[0].session,
        url="https://video.example.org/1",
        owner=built.enabler,
    )
    leader = signed_in(make_person(role=Person.Role.LEADER))
    assert leader.post("/conferences/devdays/report/").status_code == 403
    assert Collection.objects.count() == 0


# 2. Anonymity ----------------------------------------------------------------------------------


def test_the_wanted_list_shows_no_speaker_name_anywhere_in_the_page() -> None:
    built = build_conference(talks=0)
    open_call(built)
    author = make_person(name="Priya Venkatesh")
    proposal_by(
        author,
        built,
        abstract="Priya Venkatesh shows how venkatesh's team fixed twelve slow queries.",
    )
    page = signed_in(make_person()).get("/conferences/devdays/cfp/wanted/").content.decode()
    assert "Priya" not in page and "Venkatesh" not in page.replace("[speaker]", "")
    assert "venkatesh" not in page.lower()
    assert author.slug not in page


def test_a_speakers_name_in_the_proposals_title_is_not_shown_on_the_wanted_list() -> None:
    """# BUG: the wanted list anonymises the abstract but prints the title as written, so a
    title such as "Priya's guide to query plans" names its speaker to every member."""
    built = build_conference(talks=0)
    open_call(built)
    author = make_person(name="Priya Venkatesh")
    proposal_by(author, built, title="Priya's guide to query plans")
    page = signed_in(make_person()).get("/conferences/devdays/cfp/wanted/").content.decode()
    assert "Priya" not in page


def test_a_hyphenated_first_name_alone_is_hidden_from_the_wanted_list() -> None:
    """# BUG: `without_speakers` splits names on spaces only: "Anne-Marie Dupont" hides
    "Anne-Marie" and "Dupont", but "Anne" and "Marie" alone (as colleagues write them) stay."""
    built = build_conference(talks=0)
    open_call(built)
    author = make_person(name="Anne-Marie Dupont")
    proposal_by(
        author,
        built,
        abstract="Marie has run our billing database for six years and shows what broke.",
    )
    page = signed_in(make_person()).get("/conferences/devdays/cfp/wanted/").content.decode()
    assert "Marie" not in page


def test_members_see_no_counts_and_nobody_sees_who_wants_a_proposal() -> None:
    built = build_conference(talks=0)
    open_call(built)
    proposal = proposal_by(make_person(), built)
    fan = make_person(name="Zed Fanperson")
    proposals.proposal_star_set(actor=fan, proposal=proposal, starred=True)
    member_page = signed_in(make_person()).get("/conferences/devdays/cfp/wanted/")
    organiser_page = signed_in(built.enabler).get("/conferences/devdays/cfp/wanted/")
    assert "would like to see it</span>" not in member_page.content.decode()
    assert "1 would like to see it" in organiser_page.content.decode()
    for page in (member_page, organiser_page):
        assert "Zed Fanperson" not in page.content.decode()
    every = signed_in(built.enabler).get("/conferences/devdays/cfp/proposals/").content.decode()
    assert "Zed Fanperson" not in every


def test_nobody_sees_who_starred_a_talk_on_the_programme_or_in_the_exports() -> None:
    built = published()
    fan = make_person(name="Zed Fanperson")
    star_set(actor=fan, talk=built.talks[0], starred=True)
    for client in (signed_in(built.enabler), signed_in(make_person())):
        for url in (
            "/conferences/devdays/",
            "/devdays/schedule.json",
            "/devdays/schedule.xml",
            "/devdays/schedule.ics",
            "/devdays/agenda.ics",
        ):
            assert "Fanperson" not in client.get(url).content.decode(), url


def test_a_member_who_left_no_longer_counts_as_wanting_to_see_a_talk() -> None:
    """# BUG: stars are kept and counted after their member is deactivated: the organisers'
    "N want to see it", the talk's expected audience (a hard room-size rule) and the attendee
    conflicts of the programme all include people who left the organisation."""
    built = published()
    gone = make_person()
    star_set(actor=gone, talk=built.talks[0], starred=True)
    star_set(actor=gone, talk=built.talks[1], starred=True)
    person_deactivate(person=gone, actor=make_person(role=Person.Role.ADMIN))
    assert selectors.star_counts(conference_id=built.conference.pk) == {}
    assert selectors.interest_of(conference=built.conference) == {}


# 3. Injection and output ----------------------------------------------------------------------

NASTY = '<script>alert("x")</script>\r\nBEGIN:VEVENT\r\nX-EVIL:1;,\\ \x07\x0b'


def nasty_conference() -> Built:
    built = build_conference(talks=1)
    speaker = make_person(name='Eve <img src=x onerror=alert(1)> "Q"')
    session = make_session(
        title="Evil " + NASTY,
        abstract="About " + NASTY,
        speakers=[speaker],
        status=Session.Status.SCHEDULED,
    )
    room = make_room(name="Room <b>" + NASTY)
    make_occurrence(
        session=session,
        start=datetime(2030, 6, 5, 8, 0, tzinfo=UTC),
        room=room,
        online_url="https://meet.example.org/x",
    )
    from knowflow.conferences.services import track_create

    track = track_create(
        actor=built.enabler, conference=built.conference, name="Track <i>\"'&", colour="#123456"
    )
    talk_add(actor=built.enabler, conference=built.conference, session=session, track=track)
    release_publish(actor=built.enabler, conference=built.conference)
    return built


def test_markup_in_titles_rooms_tracks_and_names_is_escaped_on_the_pages() -> None:
    built = nasty_conference()
    client = signed_in(built.enabler)
    for url in ("/conferences/devdays/", "/conferences/devdays/publish/"):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
        assert "Room <b>" not in page and "Track <i>" not in page, url


def test_schedule_xml_stays_well_formed_with_markup_and_control_characters() -> None:
    from lxml import etree

    built = nasty_conference()
    content = signed_in(built.enabler).get("/devdays/schedule.xml").content
    tree = etree.fromstring(content)
    titles = [e.text for e in tree.iter("title")]
    assert any(t and t.startswith("Evil <script>") for t in titles)
    json.loads(signed_in(built.enabler).get("/devdays/schedule.json").content)


def test_schedule_ics_keeps_line_breaks_in_a_title_inside_its_property() -> None:
    built = nasty_conference()
    content = signed_in(built.enabler).get("/devdays/schedule.ics").content
    calendar = icalendar.Calendar.from_ical(content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    for line in content.split(b"\r\n"):
        assert not line.startswith(b"X-EVIL"), line
        assert not (line.startswith(b"BEGIN:VEVENT") and line != b"BEGIN:VEVENT"), line
        assert len(line) <= 75, line
    evil = next(e for e in events if str(e["SUMMARY"]).startswith("Evil"))
    assert "\nBEGIN:VEVENT\n" in str(evil["SUMMARY"]).replace("\r\n", "\n")


def test_schedule_ics_carries_no_control_characters_from_a_room_name() -> None:
    """# BUG: the title and abstract are cleaned of control characters (`schedule.clean`), the
    room name is not (`schedule_document` keeps `names[room_id]` raw): LOCATION carries a BEL
    and a vertical tab, which RFC 5545 forbids in TEXT."""
    built = nasty_conference()
    content = signed_in(built.enabler).get("/devdays/schedule.ics").content
    unfolded = content.replace(b"\r\n ", b"")
    location = next(line for line in unfolded.split(b"\r\n") if line.startswith(b"LOCATION:Room"))
    assert b"\x07" not in location and b"\x0b" not in location


def test_a_member_with_a_line_break_in_their_name_still_gets_their_agenda() -> None:
    """# BUG: a display name may hold a line break (the profile form and the services only
    strip its ends); `agenda_export` (selectors.py) puts it in the calendar's name, and
    icalendar asserts on the unescaped newline: /<slug>/agenda.ics answers 500."""
    built = published()
    member = make_person(name="Mal\r\nX-EVIL:1")
    star_set(actor=member, talk=built.talks[0], starred=True)
    answer = lenient(member).get("/devdays/agenda.ics")
    assert answer.status_code == 200
    content = answer.content
    assert b"\r\nX-EVIL" not in content
    icalendar.Calendar.from_ical(content)


def test_star_sends_nobody_to_another_site() -> None:
    built = published()
    client = signed_in(make_person())
    url = f"/conferences/devdays/talks/{built.talks[0].guid}/star/"
    for bad in ("//evil.example", "/\\evil.example", "https://evil.example/", "\\\\evil.example"):
        answer = client.post(url, {"starred": "1", "next": bad})
        assert answer["Location"].startswith("/conferences/devdays/"), bad


# 4. Bad input never gives a server error -------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "?track=&room=&format=&mine=",
        "?track=platform&track=nope",
        "?room=%00",
        "?format=%F0%9F%92%A5",
        "?mine=banana",
        "?track=" + "x" * 5000,
        "?tz=Not/AZone",
        "?tz=" + "A" * 100,
    ],
)
def test_odd_filters_on_the_programme_never_give_a_server_error(query: str) -> None:
    published()
    answer = lenient(make_person()).get("/conferences/devdays/" + query)
    assert answer.status_code in (200, 400), query


def test_a_non_uuid_or_huge_talk_id_in_the_star_address_is_not_found() -> None:
    published()
    client = lenient(make_person())
    for guid in ("not-a-uuid", "0" * 5000, "%00", "00000000-0000-0000-0000-000000000000"):
        answer = client.post(f"/conferences/devdays/talks/{guid}/star/", {"starred": "1"})
        assert answer.status_code == 404, guid


def test_huge_ids_in_the_address_are_not_found_not_a_server_error() -> None:
    built = published()
    open_call(built)
    client = lenient(built.enabler)
    huge = "9" * 30
    for url in (
        f"/conferences/devdays/cfp/{huge}/edit/",
        f"/conferences/devdays/plan/drafts/{huge}/",
    ):
        assert client.get(url).status_code in (400, 404), url
    assert client.post(f"/conferences/devdays/cfp/{huge}/withdraw/").status_code in (400, 404)


def test_a_non_ascii_digit_in_the_drafts_move_target_is_refused_not_a_server_error() -> None:
    """# BUG: `_target` (planning_views.py) checks `period.isdigit()`, which is true for "²"
    and "١", then `int()` raises ValueError: the draft page answers 500 to
    ?talk=<guid>&to=²:r1."""
    built = planned(talks=2)
    draft = draft_of(built)
    client = lenient(built.enabler)
    url = f"/conferences/devdays/plan/drafts/{draft.pk}/"
    guid = built.talks[0].guid
    answer = client.get(f"{url}?talk={guid}&to=%C2%B2:r{built.rooms[0].pk}")
    assert answer.status_code == 400


def test_a_non_ascii_digit_in_a_hand_move_is_refused_and_the_draft_unchanged() -> None:
    """# BUG: the same `_target` on the POST: action=move with to=²:r1 is a 500."""
    built = planned(talks=2)
    draft = draft_of(built)
    before = dict(draft.assignment)
    client = lenient(built.enabler)
    answer = client.post(
        f"/conferences/devdays/plan/drafts/{draft.pk}/",
        {"action": "move", "talk": str(built.talks[0].guid), "to": f"²:r{built.rooms[0].pk}"},
    )
    assert answer.status_code == 302
    assert ProgrammeDraft.objects.get(pk=draft.pk).assignment == before


def test_a_non_ascii_digit_as_the_talk_to_pin_is_not_found_not_a_server_error() -> None:
    """# BUG: the plan page's pin action checks `wanted.isdigit()` then `int(wanted)`:
    talk=² (or any Unicode digit) is a 500."""
    built = planned(talks=2)
    client = lenient(built.enabler)
    answer = client.post(
        "/conferences/devdays/plan/", {"action": "pin", "talk": "²", "pinned": "1"}
    )
    assert answer.status_code == 404
    assert not ConferenceTalk.objects.filter(pinned=True).exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"action": "settings"},
        {"action": "settings", "slot_times": "25:00", "slot_minutes": "45"},
        {"action": "settings", "slot_times": "10:00", "slot_minutes": "9" * 40},
        {"action": "settings", "slot_times": "10:00", "slot_minutes": "abc"},
        {"action": "settings", "slot_times": "10:00", "slot_minutes": "45", "rooms": ["x"]},
        {"action": "settings", "slot_times": "10:00", "slot_minutes": "45", "rooms": ["9" * 30]},
        {"action": "pin"},
        {"action": "pin", "talk": "-1"},
        {"action": "build", "extra": "x" * 10_000},
        {"action": "nonsense"},
    ],
)
def test_the_plan_pages_actions_with_missing_or_odd_fields_never_give_a_server_error(
    data: dict,
) -> None:
    built = planned(talks=2)
    answer = lenient(built.enabler).post("/conferences/devdays/plan/", data)
    assert answer.status_code in (200, 302, 400, 404), data


@pytest.mark.parametrize(
    "to",
    ["", ":", "0:", ":r1", "-1:r1", "9" * 40 + ":r1", "0:" + "r" * 5000, "0:r1:r2", "x:y"],
)
def test_odd_move_targets_on_the_draft_page_never_give_a_server_error(to: str) -> None:
    built = planned(talks=2)
    draft = draft_of(built)
    client = lenient(built.enabler)
    url = f"/conferences/devdays/plan/drafts/{draft.pk}/"
    for talk in (str(built.talks[0].guid), "nope", ""):
        answer = client.get(url, {"talk": talk, "to": to})
        assert answer.status_code in (200, 400), (talk, to)
        answer = client.post(url, {"action": "move", "talk": talk, "to": to})
        # Back to the draft with the message, or "no such talk in this draft" (404).
        assert answer.status_code in (302, 404), (talk, to)


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "x" * 100_000},
        {"abstract": "x" * 100_000},
        {"format": "keynote"},
        {"level": "god"},
        {"track": "999999999999999999999"},
        {"available_days": ["2030-13-45"]},
        {"available_from": "25:99"},
        # Until before from is a window past midnight (allowed); equal ones and a lone end are not.
        {"available_from": "10:00", "available_until": "10:00"},
        {"available_until": "17:00"},
        {"co_speakers": "999999999999999999999"},
        {"co_speakers": "abc"},
        {"answer_0": "x" * 100_000},
        {"title": "\x00\x00\x00\x00\x00"},
    ],
)
def test_a_bad_proposal_is_refused_with_a_message_never_a_server_error(overrides: dict) -> None:
    built = build_conference(talks=0)
    open_call(built)
    data = {
        "title": "Query plans for analysts",
        "abstract": "Read an EXPLAIN and fix the three most common slow queries.",
        "format": "talk",
        "level": "intermediate",
        "available_days": ["2030-06-04"],
        "answer_0": "Analysts.",
        "submit": "1",
    }
    data.update(overrides)
    answer = lenient(make_person()).post("/conferences/devdays/cfp/new/", data)
    assert answer.status_code == 400, overrides
    assert Proposal.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"opens_at": "9999-12-31T23:59", "closes_at": "9999-12-31T23:59", "formats": ["talk"]},
        {"opens_at": "0001-01-01T00:00", "closes_at": "0001-01-01T00:01", "formats": ["talk"]},
        {"opens_at": "2030-03-31T02:30", "closes_at": "2030-04-01T02:30", "formats": ["talk"]},
        {"opens_at": "banana", "closes_at": "", "formats": ["nope"]},
        {
            "opens_at": "2030-01-01T00:00",
            "closes_at": "2030-02-01T00:00",
            "formats": ["talk"],
            "questions": "\n".join("q" for _ in range(20)),
        },
    ],
)
def test_odd_call_settings_are_refused_never_a_server_error(data: dict) -> None:
    built = build_conference(talks=0)
    Person.objects.filter(pk=built.enabler.pk).update(timezone="Europe/Berlin")
    answer = lenient(built.enabler).post("/conferences/devdays/cfp/settings/", data)
    assert answer.status_code in (302, 400), data


# 5. State and concurrency ---------------------------------------------------------------------


def test_publishing_twice_makes_one_release_and_says_nothing_changed() -> None:
    built = published()
    client = signed_in(built.enabler)
    answer = client.post("/conferences/devdays/publish/", follow=True)
    assert "Nothing has changed since release 1" in answer.content.decode()
    assert Release.objects.count() == 1


def test_a_draft_cannot_be_applied_twice_nor_moved_once_applied() -> None:
    built = planned(talks=2)
    draft = draft_of(built)
    client = signed_in(built.enabler)
    url = f"/conferences/devdays/plan/drafts/{draft.pk}/"
    assert client.post(url, {"action": "apply"}).status_code == 302
    again = client.post(url, {"action": "apply"}, follow=True)
    assert "This draft was applied already." in again.content.decode()
    before = ProgrammeDraft.objects.get(pk=draft.pk).assignment
    moved = client.post(
        url,
        {"action": "move", "talk": str(built.talks[0].guid), "to": f"8:r{built.rooms[0].pk}"},
        follow=True,
    )
    assert "applied already" in moved.content.decode()
    assert ProgrammeDraft.objects.get(pk=draft.pk).assignment == before


def test_an_edit_after_the_call_closed_is_refused_and_writes_nothing() -> None:
    built = build_conference(talks=0)
    open_call(built)
    author = make_person()
    proposal = proposal_by(author, built)
    built.conference.cfp_closes_at = timezone.now() - timedelta(minutes=1)
    built.conference.save(update_fields=["cfp_closes_at"])
    answer = signed_in(author).post(
        f"/conferences/devdays/cfp/{proposal.pk}/edit/",
        {
            "title": "Changed too late",
            "abstract": "Read an EXPLAIN and fix the three most common slow queries.",
            "format": "talk",
            "level": "intermediate",
            "available_days": ["2030-06-04"],
            "answer_0": "Analysts.",
            "submit": "1",
        },
    )
    assert answer.status_code == 400
    assert "The call for proposals closed on" in answer.content.decode()
    proposal.refresh_from_db()
    assert proposal.title == "Query plans for analysts"


def test_a_withdrawn_proposal_cannot_be_edited_wanted_or_confirmed() -> None:
    built = build_conference(talks=0)
    open_call(built)
    author = make_person()
    proposal = proposal_by(author, built)
    proposals.proposal_withdraw(actor=author, proposal=proposal)
    answer = signed_in(make_person()).post(
        f"/conferences/devdays/cfp/{proposal.pk}/want/", {"wanted": "1"}, follow=True
    )
    assert "Only submitted proposals can be wanted." in answer.content.decode()
    assert ProposalStar.objects.count() == 0
    assert (
        "Query plans for analysts"
        not in signed_in(make_person()).get("/conferences/devdays/cfp/wanted/").content.decode()
    )


# The report's recordings collection --------------------------------------------------------------


def _recording(built: Built, n: int = 0) -> Resource:
    return Resource.objects.create(
        kind=Resource.Kind.RECORDING,
        title=f"{built.conference.slug} talk {n + 1} recording",
        slug=f"{built.conference.slug}-talk-{n + 1}-recording",
        session=built.talks[n].session,
        url=f"https://video.example.org/{built.conference.slug}/{n + 1}",
        owner=built.enabler,
    )


def test_a_members_collection_of_the_same_name_does_not_become_the_conferences() -> None:
    """# BUG: `conference_recordings_collect` (report.py) finds the collection by its title
    alone: a member who makes "DevDays recordings" first gets the enabler's press to fill
    *their* collection (which they own, rename and edit), and the report links it as the
    conference's."""
    built = published()
    _recording(built)
    squatter = make_person(name="Sam Squatter")
    theirs = collection_create(
        actor=squatter, title="DevDays recordings", kind=Collection.Kind.COLLECTION
    )
    done = conference_recordings_collect(actor=built.enabler, conference=built.conference)
    assert done.created is True
    assert done.collection.pk != theirs.pk
    assert theirs.items.count() == 0


def test_two_editions_with_the_same_name_keep_their_recordings_apart() -> None:
    """# BUG: two conferences named "DevDays" (2029 and 2030, slugs devdays-2029 and
    devdays-2030) share one "DevDays recordings" collection: the second edition's press adds
    its recordings to the first's collection, and its report shows that collection."""
    first = published(slug="devdays-2029", name="DevDays")
    second = build_conference(talks=1, slug="devdays-2030", name="DevDays", enabler=first.enabler)
    _recording(first)
    _recording(second)
    one = conference_recordings_collect(actor=first.enabler, conference=first.conference)
    two = conference_recordings_collect(actor=first.enabler, conference=second.conference)
    assert two.created is True
    assert one.collection.pk != two.collection.pk


# Found on the way -------------------------------------------------------------------------------


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_a_co_speaker_is_emailed_even_when_the_title_has_a_line_break() -> None:
    """# BUG: the proposal form's title is a CharField that keeps inner line breaks, and
    `_cospeaker_asked` (proposals.py) puts the title in the Subject: Django refuses the header
    (BadHeaderError) and the co-speaker's email is retried until it fails, never sent."""
    from django.core import mail

    built = build_conference(talks=0)
    open_call(built)
    co_speaker = make_person(name="Co Speaker")
    answer = signed_in(make_person()).post(
        "/conferences/devdays/cfp/new/",
        {
            "title": "Query plans\nfor analysts",
            "abstract": "Read an EXPLAIN and fix the three most common slow queries.",
            "format": "talk",
            "level": "intermediate",
            "available_days": ["2030-06-04"],
            "answer_0": "Analysts.",
            "co_speakers": co_speaker.slug,
            "submit": "1",
        },
    )
    assert answer.status_code == 302
    report = outbox_deliver_due()
    assert (report.sent, report.errors) == (1, [])
    assert [m.to for m in mail.outbox] == [[co_speaker.email]]


def test_a_draft_is_not_applied_over_a_date_changed_by_hand_since_it_was_built() -> None:
    """# BUG: the draft's fingerprint (planning.py `programme_inputs`) holds the periods, rooms,
    talks and pins but not where the talks are: a talk moved by hand on its session page after
    the draft was built is silently moved back by "Apply" (its registrants told twice), though
    the draft page showed it as not moving."""
    built = planned(talks=2)
    draft = draft_of(built)
    occurrence = Occurrence.objects.get(session=built.talks[0].session)
    moved_to = datetime(2030, 6, 6, 10, 0, tzinfo=UTC)  # Thursday 12:00 in Berlin, a period
    occurrence_update(
        occurrence=occurrence,
        actor=built.enabler,
        start=moved_to,
        end=moved_to + timedelta(minutes=45),
    )
    with pytest.raises(Conflict, match="changed since this draft"):
        planning.draft_apply(actor=built.enabler, draft=draft)
    assert Occurrence.objects.get(pk=occurrence.pk).start == moved_to


def test_a_question_set_twice_can_still_be_answered_and_submitted() -> None:
    """# BUG: `call_update` (proposals.py) keeps a question written twice; the form then has
    two fields for it, `ProposalForm.answers` keys them by the question so the second (empty)
    overwrites the first, and "Submit" is refused with "Answer “Who is it for?” to submit"
    though the speaker answered it."""
    built = build_conference(talks=0)
    now = timezone.now()
    proposals.call_update(
        actor=built.enabler,
        conference=built.conference,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        formats=["talk"],
        questions=[QUESTION, QUESTION],
    )
    answer = signed_in(make_person()).post(
        "/conferences/devdays/cfp/new/",
        {
            "title": "Query plans for analysts",
            "abstract": "Read an EXPLAIN and fix the three most common slow queries.",
            "format": "talk",
            "level": "intermediate",
            "available_days": ["2030-06-04"],
            "answer_0": "Analysts.",
            "submit": "1",
        },
    )
    assert answer.status_code == 302
    assert Proposal.objects.get().answers == {QUESTION: "Analysts."}
