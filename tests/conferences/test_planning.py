"""Building a conference's programme as an organiser does: the grid and rooms, stars as the
audience data, a draft that keeps the current programme unless moving pays, a hand move with
its cost and warnings, applying it to the talks' dates (registrants told), and every refusal
saying why and writing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import override_settings

from knowflow.accounts.models import Person
from knowflow.conferences import planning
from knowflow.conferences.models import ConferenceTalk, ProgrammeDraft, Proposal
from knowflow.conferences.services import release_publish, star_set, talk_add
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.events.models import Occurrence, Session
from knowflow.mail.models import OutboxMessage
from tests.conferences.conftest import Built, build_conference
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_room, make_session

pytestmark = pytest.mark.django_db

TIME_LIMIT = 5.0
BERLIN_10 = datetime(2030, 6, 4, 8, 0, tzinfo=UTC)  # Tuesday 4 June 2030, 10:00 in Berlin


def conference(talks: int = 4) -> Built:
    """Talks 1 and 2 at 10:00 (Hopper, Lovelace), 3 and 4 at 11:00, Berlin time, on a grid of
    10:00, 11:00 and 12:00 each day; speakers work 09:00–17:00 in Berlin."""
    built = build_conference(talks=talks)
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


def both_wanted_by(built: Built, a: int, b: int, people: int) -> None:
    for _ in range(people):
        person = make_person()
        star_set(actor=person, talk=built.talks[a], starred=True)
        star_set(actor=person, talk=built.talks[b], starred=True)


def placed(draft: ProgrammeDraft, built: Built, n: int) -> tuple[int, str]:
    return tuple(draft.assignment[str(built.talks[n].guid)])  # type: ignore[return-value]


def build(built: Built) -> ProgrammeDraft:
    return planning.programme_build(
        actor=built.enabler, conference=built.conference, time_limit=TIME_LIMIT
    )


def test_the_grid_is_the_conference_days_at_its_local_times() -> None:
    built = conference()
    periods = planning.periods_of(built.conference)
    assert len(periods) == 9  # three days, three periods
    assert periods[0].start == BERLIN_10
    assert periods[2].start == BERLIN_10 + timedelta(hours=2)
    assert periods[3].start == BERLIN_10 + timedelta(days=1)
    assert all(p.end - p.start == timedelta(minutes=45) for p in periods)


def test_a_few_conflicts_do_not_move_a_programme_but_many_do() -> None:
    built = conference()
    both_wanted_by(built, 0, 1, people=2)  # talks 1 and 2 run at once: 2 conflicts
    stable = build(built)
    assert placed(stable, built, 0) == (0, f"r{built.rooms[0].pk}")
    assert placed(stable, built, 1) == (0, f"r{built.rooms[1].pk}")
    assert planning.draft_check(stable).audience_conflicts == 2  # cheaper than a move (5)

    both_wanted_by(built, 0, 1, people=5)  # now 7: moving one talk pays
    moved = build(built)
    assert placed(moved, built, 0)[0] != placed(moved, built, 1)[0]
    assert planning.draft_check(moved).audience_conflicts == 0


def test_a_pinned_talk_stays_even_when_moving_it_would_pay() -> None:
    built = conference()
    both_wanted_by(built, 0, 1, people=8)
    planning.talk_pin_set(actor=built.enabler, talk=built.talks[0], pinned=True)
    planning.talk_pin_set(actor=built.enabler, talk=built.talks[1], pinned=True)
    draft = build(built)
    assert placed(draft, built, 0) == (0, f"r{built.rooms[0].pk}")
    assert placed(draft, built, 1) == (0, f"r{built.rooms[1].pk}")


def test_a_speaker_busy_elsewhere_is_never_placed_then() -> None:
    built = conference(talks=2)
    speaker = built.talks[0].session.speakers.get()
    other = make_session(title="Team offsite", speakers=[speaker], status=Session.Status.SCHEDULED)
    # Busy all of the first two days' periods but 12:00 on Wednesday.
    for day in range(2):
        for hour in range(3):
            if (day, hour) != (1, 2):
                make_occurrence(
                    session=other,
                    start=BERLIN_10 + timedelta(days=day, hours=hour),
                    minutes=45,
                    room=make_room(name=f"Elsewhere {day}{hour}"),
                )
    draft = build(built)
    period = placed(draft, built, 0)[0]
    assert period in {5, 6, 7, 8}  # Wednesday 12:00 or Thursday


def test_the_applied_draft_moves_dates_tells_registrants_and_the_next_release_says_so() -> None:
    built = conference()
    release_publish(actor=built.enabler, conference=built.conference)
    both_wanted_by(built, 0, 1, people=7)
    going = make_person(name="Gina Going")
    from knowflow.events.services import registration_create

    for occurrence in Occurrence.objects.filter(session__conference_talk__in=built.talks):
        registration_create(occurrence=occurrence, person=going, actor=going)
    OutboxMessage.objects.all().delete()
    draft = build(built)
    before = {
        o.session_id: (o.start, o.room_id) for o in Occurrence.objects.filter(cancelled_at=None)
    }

    changed = planning.draft_apply(actor=built.enabler, draft=draft)

    after = {
        o.session_id: (o.start, o.room_id) for o in Occurrence.objects.filter(cancelled_at=None)
    }
    assert changed == sum(1 for s in before if before[s] != after[s]) >= 1
    periods = {p.id: p for p in planning.periods_of(built.conference)}
    for n, talk in enumerate(built.talks):
        period, room = placed(draft, built, n)
        assert after[talk.session_id] == (periods[period].start, int(room[1:]))
    assert OutboxMessage.objects.filter(recipient=going.email).count() == changed
    preview = signed_in(built.enabler).get("/conferences/devdays/publish/").content.decode()
    assert "moved from" in preview


def test_apply_gives_a_talk_without_a_date_its_first_one() -> None:
    built = conference(talks=2)
    session = make_session(title="Undated talk", status=Session.Status.PROPOSED)
    talk_add(actor=built.enabler, conference=built.conference, session=session)
    draft = build(built)
    planning.draft_apply(actor=built.enabler, draft=draft)
    date = Occurrence.objects.get(session=session)
    period, room = tuple(draft.assignment[str(ConferenceTalk.objects.get(session=session).guid)])
    assert date.start == planning.periods_of(built.conference)[period].start
    assert date.room_id == int(room[1:])
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED


def test_two_talks_can_swap_rooms_on_apply() -> None:
    built = conference(talks=2)
    draft = build(built)
    hopper, lovelace = (f"r{room.pk}" for room in built.rooms)
    preview = planning.draft_move(
        actor=built.enabler,
        draft=draft,
        guid=str(built.talks[0].guid),
        period_id=0,
        room_id=lovelace,
    )
    assert preview.swapped_with == str(built.talks[1].guid)
    planning.draft_apply(actor=built.enabler, draft=ProgrammeDraft.objects.get(pk=draft.pk))
    rooms = dict(Occurrence.objects.values_list("session_id", "room_id"))
    assert rooms[built.talks[0].session_id] == int(lovelace[1:])
    assert rooms[built.talks[1].session_id] == int(hopper[1:])


def test_a_hand_move_shows_its_cost_and_one_that_breaks_a_rule_is_refused() -> None:
    built = conference()
    both_wanted_by(built, 0, 2, people=3)
    draft = build(built)
    guid = str(built.talks[0].guid)
    period_of_2, room_of_2 = placed(draft, built, 2)
    other_room = next(f"r{r.pk}" for r in built.rooms if f"r{r.pk}" != room_of_2)
    # Into talk 3's period, beside talk 2 (what was there takes talk 1's place).
    preview = planning.move_preview(
        draft=draft, guid=guid, period_id=period_of_2, room_id=other_room
    )
    assert preview.swapped_with not in (None, guid, str(built.talks[2].guid))
    assert preview.after.audience_conflicts == preview.before.audience_conflicts + 3
    assert preview.cost >= 3

    # The 40-seat talk into a 5-seat room: refused, named, nothing changed.
    small = make_room(name="Cupboard", capacity=5)
    built.conference.rooms.add(small)
    for _ in range(6):
        star_set(actor=make_person(), talk=built.talks[3], starred=True)
    draft = build(built)
    before = dict(draft.assignment)
    with pytest.raises(DomainError) as refused:
        planning.draft_move(
            actor=built.enabler,
            draft=draft,
            guid=str(built.talks[3].guid),
            period_id=8,
            room_id=f"r{small.pk}",
        )
    assert "“Talk number 4” expects 6 people; Cupboard holds 5." in refused.value.message
    draft.refresh_from_db()
    assert draft.assignment == before and draft.edits == 0


def test_no_programme_names_the_rule_and_the_talks_by_title() -> None:
    built = conference(talks=2)
    speaker = make_person(name="Solo Speaker", tz="Europe/Berlin")
    for title in ("Part one", "Part two", "Part three", "Part four"):
        session = make_session(title=title, speakers=[speaker], status=Session.Status.PROPOSED)
        talk_add(actor=built.enabler, conference=built.conference, session=session)
    planning.programme_settings_update(
        actor=built.enabler,
        conference=built.conference,
        slot_times="10:00",
        slot_minutes=45,
        rooms=built.rooms,
    )
    with pytest.raises(DomainError) as refused:
        build(built)
    message = refused.value.message
    assert message.startswith("No programme is possible: “speaker not double-booked”")
    assert "“Part one”" in message and "Solo Speaker" in message
    assert ProgrammeDraft.objects.count() == 0


def test_a_draft_built_before_the_talks_changed_is_not_applied() -> None:
    built = conference(talks=2)
    draft = build(built)
    session = make_session(title="Late addition", status=Session.Status.PROPOSED)
    talk_add(actor=built.enabler, conference=built.conference, session=session)
    dates = list(Occurrence.objects.values_list("pk", "start", "room_id"))
    with pytest.raises(Conflict, match="changed since this draft"):
        planning.draft_apply(actor=built.enabler, draft=draft)
    assert list(Occurrence.objects.values_list("pk", "start", "room_id")) == dates
    assert ProgrammeDraft.objects.get(pk=draft.pk).applied_at is None


def test_a_room_booked_by_another_session_refuses_the_whole_apply() -> None:
    built = conference(talks=2)
    both_wanted_by(built, 0, 1, people=9)
    draft = build(built)
    moved = next(
        n for n in (0, 1) if placed(draft, built, n)[0] != 0
    )  # the talk that leaves 10:00 on Tuesday
    period, room = placed(draft, built, moved)
    start = planning.periods_of(built.conference)[period].start
    blocker = make_session(title="Board meeting", status=Session.Status.SCHEDULED)
    make_occurrence(
        session=blocker,
        start=start,
        minutes=45,
        room=next(r for r in built.rooms if f"r{r.pk}" == room),
    )
    dates = sorted(Occurrence.objects.values_list("pk", "start", "room_id"))
    with pytest.raises(Conflict, match="already booked for “Board meeting”"):
        planning.draft_apply(actor=built.enabler, draft=draft)
    assert sorted(Occurrence.objects.values_list("pk", "start", "room_id")) == dates


@pytest.mark.parametrize(
    ("times", "minutes", "message"),
    [
        ("10:00, 25:00", 45, "“25:00” is not a time of day"),
        ("10:00, 10:30", 45, "10:00 and 10:30 overlap (10:00 ends at 10:45)"),
        ("10:00, 10:30-12:00", 45, "10:00 and 10:30-12:00 overlap"),
        ("14:00-13:00", 45, "ends before it starts"),
        ("23:30", 45, "A talk at 23:30 would end after midnight."),
        ("10:00", 0, "A talk lasts 5 to 480 minutes"),
        ("10:00", 100000, "A talk lasts 5 to 480 minutes"),
        ("<script>", 45, "is not a time of day"),
    ],
)
def test_a_bad_grid_is_refused_by_field_and_nothing_is_saved(
    times: str, minutes: int, message: str
) -> None:
    built = conference()
    with pytest.raises(DomainError) as refused:
        planning.programme_settings_update(
            actor=built.enabler,
            conference=built.conference,
            slot_times=times,
            slot_minutes=minutes,
            rooms=[],
        )
    assert message in refused.value.message
    built.conference.refresh_from_db()
    assert built.conference.slot_times == ["10:00", "11:00", "12:00"]
    assert built.conference.rooms.count() == 2


def test_members_cannot_build_move_apply_or_pin() -> None:
    built = conference(talks=2)
    draft = build(built)
    member = make_person()
    with pytest.raises(Forbidden):
        planning.programme_build(actor=member, conference=built.conference)
    with pytest.raises(Forbidden):
        planning.draft_apply(actor=member, draft=draft)
    with pytest.raises(Forbidden):
        planning.talk_pin_set(actor=member, talk=built.talks[0], pinned=True)
    client = signed_in(member)
    assert client.get("/conferences/devdays/plan/").status_code == 403
    assert (
        client.post(
            f"/conferences/devdays/plan/drafts/{draft.pk}/", {"action": "apply"}
        ).status_code
        == 403
    )
    assert ProgrammeDraft.objects.get(pk=draft.pk).applied_at is None
    assert not ConferenceTalk.objects.filter(pinned=True).exists()


# The pages ------------------------------------------------------------------------------------


@override_settings(KNOWFLOW_PROGRAMME_TIME_LIMIT_SECONDS=TIME_LIMIT)
def test_an_organiser_builds_moves_and_applies_from_the_pages() -> None:
    built = conference()
    both_wanted_by(built, 0, 1, people=7)
    client = signed_in(built.enabler)
    page = client.get("/conferences/devdays/plan/").content.decode()
    assert "9 periods × 2 rooms = 18 places for 4 talks" in page
    assert "7 members starred two talks or more" in page

    built_answer = client.post("/conferences/devdays/plan/", {"action": "build"})
    assert built_answer.status_code == 302
    draft = ProgrammeDraft.objects.get()
    page = client.get(built_answer["Location"]).content.decode()
    assert "Attendee conflicts</dt><dd>0" in page
    assert "Moved from Tue 4 Jun 10:00" in page

    guid = str(built.talks[2].guid)
    to = f"8:r{built.rooms[0].pk}"
    preview = client.get(f"{built_answer['Location']}?talk={guid}&to={to}").content.decode()
    assert "This move costs nothing" in preview or "This move costs" in preview
    assert "Make this move" in preview
    moved = client.post(built_answer["Location"], {"action": "move", "talk": guid, "to": to})
    assert moved.status_code == 302
    assert ProgrammeDraft.objects.get().assignment[guid] == [8, f"r{built.rooms[0].pk}"]

    applied = client.post(built_answer["Location"], {"action": "apply"})
    assert applied["Location"] == "/conferences/devdays/publish/"
    assert ProgrammeDraft.objects.get(pk=draft.pk).applied_at is not None
    assert Occurrence.objects.get(session=built.talks[2].session).start == BERLIN_10 + timedelta(
        days=2, hours=2
    )


def test_the_plan_page_refuses_bad_input_next_to_its_field() -> None:
    built = conference()
    client = signed_in(built.enabler)
    answer = client.post(
        "/conferences/devdays/plan/",
        {"action": "settings", "slot_times": "10:00 10:15", "slot_minutes": "45"},
    )
    assert answer.status_code == 400
    assert "10:00 and 10:15 overlap (10:00 ends at 10:45)" in answer.content.decode()
    answer = client.post(
        "/conferences/devdays/plan/",
        {"action": "settings", "slot_times": "10:00", "slot_minutes": "-3", "rooms": ["999999"]},
    )
    assert answer.status_code == 400
    assert "A talk lasts at least 5 minutes." in answer.content.decode()
    built.conference.refresh_from_db()
    assert built.conference.slot_times == ["10:00", "11:00", "12:00"]
    for bad in ({"action": "pin", "talk": "abc"}, {"action": "pin", "talk": "99999999999999"}):
        assert client.post("/conferences/devdays/plan/", bad).status_code == 404
    for bad_to in ("", "x:y", "999:r1", "0:r999999"):
        draft = build(built)
        answer = client.get(
            f"/conferences/devdays/plan/drafts/{draft.pk}/?talk={built.talks[0].guid}&to={bad_to}"
        )
        assert answer.status_code in (200, 400)


def accepted_with_availability(
    built: Built, *, day: str, earliest: time, latest: time, zone: str
) -> None:
    """Talk 1 as an accepted proposal whose speaker can give it on ``day`` between ``earliest``
    and ``latest`` in ``zone``."""
    talk = built.talks[0]
    Proposal.objects.create(
        conference=built.conference,
        submitter=talk.session.speakers.get(),
        title=talk.session.title,
        abstract="What talk 1 is about, at length.",
        format="talk",
        state=Proposal.State.ACCEPTED,
        available_days=[day],
        available_from=earliest,
        available_until=latest,
        available_zone=zone,
        talk=talk,
    )


def test_the_days_and_hours_given_in_the_proposal_bind_the_speaker() -> None:
    built = conference(talks=2)
    # Given in Kolkata time: Thursday 6 June, 15:15–16:30 IST is 11:45–13:00 in Berlin, so
    # only the Thursday 12:00 period fits.
    accepted_with_availability(
        built, day="2030-06-06", earliest=time(15, 15), latest=time(16, 30), zone="Asia/Kolkata"
    )
    draft = build(built)
    assert placed(draft, built, 0)[0] == 8


def test_formats_last_their_own_minutes_in_periods_long_enough_for_them() -> None:
    built = conference(talks=3)
    Session.objects.filter(pk=built.talks[0].session_id).update(format=Session.Format.WORKSHOP)
    Session.objects.filter(pk=built.talks[1].session_id).update(format=Session.Format.LIGHTNING)
    client = signed_in(built.enabler)
    answer = client.post(
        "/conferences/devdays/plan/",
        {
            "action": "settings",
            "slot_times": "10:00, 11:00, 13:30-15:00",
            "slot_minutes": "45",
            "rooms": [str(r.pk) for r in built.rooms],
            "minutes_workshop": "90",
            "minutes_lightning": "15",
        },
    )
    assert answer.status_code == 302
    built.conference.refresh_from_db()
    assert built.conference.slot_times == ["10:00", "11:00", "13:30-15:00"]
    assert built.conference.format_minutes == {"workshop": 90, "lightning": 15}
    periods = planning.periods_of(built.conference)
    assert periods[2].end - periods[2].start == timedelta(minutes=90)

    draft = build(built)
    workshop_period = placed(draft, built, 0)[0]
    assert workshop_period % 3 == 2  # only the 13:30-15:00 periods are long enough
    planning.draft_apply(actor=built.enabler, draft=draft)
    workshop = Occurrence.objects.get(session=built.talks[0].session)
    lightning = Occurrence.objects.get(session=built.talks[1].session)
    assert workshop.end - workshop.start == timedelta(minutes=90)
    assert lightning.end - lightning.start == timedelta(minutes=15)


def test_a_format_longer_than_every_period_names_its_talk() -> None:
    built = conference(talks=2)
    Session.objects.filter(pk=built.talks[0].session_id).update(format=Session.Format.WORKSHOP)
    planning.programme_settings_update(
        actor=built.enabler,
        conference=built.conference,
        slot_times="10:00, 11:00",
        slot_minutes=45,
        rooms=built.rooms,
        format_minutes={"workshop": 120},
    )
    with pytest.raises(DomainError) as refused:
        build(built)
    assert "“talk duration <= period duration” cannot hold for “Talk number 1”" in (
        refused.value.message
    )


def test_a_bad_format_duration_is_refused_next_to_its_field() -> None:
    built = conference(talks=1)
    answer = signed_in(built.enabler).post(
        "/conferences/devdays/plan/",
        {"action": "settings", "slot_times": "10:00", "slot_minutes": "45", "minutes_panel": "0"},
    )
    assert answer.status_code == 400
    assert "“Panel” lasts at least 5 minutes." in answer.content.decode()
    built.conference.refresh_from_db()
    assert built.conference.format_minutes == {}


def test_a_talk_off_the_grid_shows_where_it_moves_from_not_a_first_date() -> None:
    built = conference(talks=2)
    # Talk 2 is at 10:00; the grid now starts at 11:00, so its date is off the grid.
    planning.programme_settings_update(
        actor=built.enabler,
        conference=built.conference,
        slot_times="11:00, 12:00",
        slot_minutes=45,
        rooms=built.rooms,
    )
    draft = build(built)
    page = signed_in(built.enabler).get(f"/conferences/devdays/plan/drafts/{draft.pk}/")
    text = page.content.decode()
    assert text.count("Moved from Tue 4 Jun 10:00") == 2
    assert "2 talks change date</dd>" in text
    assert "get their first" not in text and "gets its first" not in text


def test_availability_past_the_speakers_midnight_is_a_window_into_the_next_day() -> None:
    built = conference(talks=2)
    # Sydney (AEST, UTC+10): Wednesday 5 June 18:00 to Thursday 02:00 is 10:00–18:00 Berlin
    # on Wednesday, so only Wednesday's periods fit.
    accepted_with_availability(
        built, day="2030-06-05", earliest=time(18, 0), latest=time(2, 0), zone="Australia/Sydney"
    )
    draft = build(built)
    assert placed(draft, built, 0)[0] in {3, 4, 5}
