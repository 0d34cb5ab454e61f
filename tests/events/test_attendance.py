"""Attendance in bulk (the checklist), by the attendee (self check-in) and by later viewers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from knowflow.errors import DomainError, Forbidden
from knowflow.events.attendance import (
    CheckInClosed,
    attendance_check_in,
    attendance_record_bulk,
    occurrence_checkin_token,
)
from knowflow.events.models import Attendance, Occurrence
from knowflow.events.services import (
    registration_create,
)
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_room, make_session

pytestmark = pytest.mark.django_db


def rows(occurrence: Occurrence) -> list[tuple[str, str, bool]]:
    return sorted(
        Attendance.objects.filter(occurrence=occurrence).values_list(
            "person__display_name", "mode", "self_reported"
        )
    )


def started_hybrid(people: int = 3):
    speaker = make_person(name="Sam Speaker")
    room = make_room()
    start = timezone.now() + timedelta(days=1)
    occurrence = make_occurrence(
        session=make_session(speakers=[speaker]), start=start, room=room, minutes=120
    )
    going = [make_person(name=name) for name in ("Ada", "Bo", "Cy", "Di")[:people]]
    for person in going:
        registration_create(occurrence=occurrence, person=person, actor=person)
    # Move the date so that it started half an hour ago (registrations stay).
    Occurrence.objects.filter(pk=occurrence.pk).update(
        start=timezone.now() - timedelta(minutes=30), end=timezone.now() + timedelta(minutes=90)
    )
    occurrence.refresh_from_db()
    return speaker, occurrence, going


# --- the checklist -------------------------------------------------------------------------


def test_bulk_all_present_in_the_room_after_marking_one_online() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()

    changes = attendance_record_bulk(
        occurrence=occurrence, actor=speaker, marks={bo.pk: "online"}, all_present="room"
    )

    assert (changes.recorded, changes.removed) == (3, 0)
    assert rows(occurrence) == [
        ("Ada", "room", False),
        ("Bo", "online", False),
        ("Cy", "room", False),
    ]


def test_bulk_saving_the_same_checklist_twice_changes_nothing_the_second_time() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()
    marks = {ada.pk: "room", bo.pk: "", cy.pk: "online"}

    first = attendance_record_bulk(occurrence=occurrence, actor=speaker, marks=marks)
    second = attendance_record_bulk(occurrence=occurrence, actor=speaker, marks=marks)

    assert (first.recorded, first.removed) == (2, 0)
    assert (second.recorded, second.removed) == (0, 0)
    assert rows(occurrence) == [("Ada", "room", False), ("Cy", "online", False)]


def test_bulk_unticking_removes_and_ticking_confirms_a_self_check_in() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()
    Attendance.objects.create(occurrence=occurrence, person=ada, mode="room", self_reported=True)
    Attendance.objects.create(occurrence=occurrence, person=bo, mode="online")

    changes = attendance_record_bulk(
        occurrence=occurrence, actor=speaker, marks={ada.pk: "room", bo.pk: "", cy.pk: ""}
    )

    assert (changes.recorded, changes.removed) == (1, 1)
    assert rows(occurrence) == [("Ada", "room", False)]


def test_bulk_adds_people_not_registered_by_name_or_email() -> None:
    speaker, occurrence, (ada,) = started_hybrid(people=1)
    make_person(name="Eve Walkin")
    other = make_person(name="Fay Other")

    attendance_record_bulk(
        occurrence=occurrence,
        actor=speaker,
        marks={ada.pk: "room"},
        others=f"eve walkin\n{other.email.upper()}",
        others_mode="online",
    )

    assert rows(occurrence) == [
        ("Ada", "room", False),
        ("Eve Walkin", "online", False),
        ("Fay Other", "online", False),
    ]


def test_bulk_with_an_unknown_or_ambiguous_name_changes_nothing() -> None:
    speaker, occurrence, (ada,) = started_hybrid(people=1)
    make_person(name="Twin")
    make_person(name="Twin")

    with pytest.raises(DomainError) as error:
        attendance_record_bulk(
            occurrence=occurrence,
            actor=speaker,
            marks={ada.pk: "room"},
            others="Nobody Here, Twin",
            others_mode="room",
        )

    assert error.value.message == (
        "Nobody is called “Nobody Here”; “Twin” names several people; give their email instead."
    )
    assert rows(occurrence) == []


def test_bulk_refuses_a_mode_the_date_does_not_offer_and_a_stranger() -> None:
    speaker = make_person()
    occurrence = make_occurrence(
        session=make_session(speakers=[speaker]), start=timezone.now() - timedelta(minutes=5)
    )  # online only
    stranger = make_person()

    with pytest.raises(DomainError) as mode_error:
        attendance_record_bulk(occurrence=occurrence, actor=speaker, marks={}, all_present="room")
    with pytest.raises(DomainError) as stranger_error:
        attendance_record_bulk(occurrence=occurrence, actor=speaker, marks={stranger.pk: "online"})

    assert mode_error.value.message == "This date has no “in the room” attendance."
    assert stranger_error.value.message == (
        "The checklist names someone who is not registered for this date; add them by name or "
        "email instead."
    )
    assert rows(occurrence) == []


def test_bulk_for_a_future_date_is_refused() -> None:
    speaker = make_person()
    occurrence = make_occurrence(session=make_session(speakers=[speaker]))
    person = make_person()
    registration_create(occurrence=occurrence, person=person, actor=person)

    with pytest.raises(DomainError) as error:
        attendance_record_bulk(occurrence=occurrence, actor=speaker, marks={person.pk: "online"})

    assert error.value.message == "Attendance can be recorded once the date has started."
    assert rows(occurrence) == []


def test_bulk_by_an_attendee_is_refused() -> None:
    _, occurrence, (ada, bo, cy) = started_hybrid()

    with pytest.raises(Forbidden):
        attendance_record_bulk(occurrence=occurrence, actor=ada, marks={}, all_present="room")

    assert rows(occurrence) == []


# --- self check-in -------------------------------------------------------------------------


def test_check_in_with_the_link_records_a_self_reported_attendance() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()
    token = occurrence_checkin_token(occurrence=occurrence, actor=speaker)
    walk_in = make_person(name="Eve")

    attendance_check_in(occurrence=occurrence, person=walk_in, token=token, mode="online")
    attendance_check_in(occurrence=occurrence, person=walk_in, token=token, mode="online")

    assert rows(occurrence) == [("Eve", "online", True)]


def test_check_in_keeps_an_organisers_record() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()
    token = occurrence_checkin_token(occurrence=occurrence, actor=speaker)
    Attendance.objects.create(occurrence=occurrence, person=ada, mode="room")

    attendance_check_in(occurrence=occurrence, person=ada, token=token, mode="online")

    assert rows(occurrence) == [("Ada", "room", False)]


def test_check_in_on_a_hybrid_date_asks_where_and_infers_it_otherwise() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()
    token = occurrence_checkin_token(occurrence=occurrence, actor=speaker)
    online_only = make_occurrence(
        session=occurrence.session, start=timezone.now() - timedelta(minutes=1)
    )
    online_token = occurrence_checkin_token(occurrence=online_only, actor=speaker)

    with pytest.raises(DomainError) as error:
        attendance_check_in(occurrence=occurrence, person=ada, token=token)
    attendance_check_in(occurrence=online_only, person=ada, token=online_token)

    assert error.value.message == "Say whether you are in the room or online."
    assert rows(occurrence) == []
    assert rows(online_only) == [("Ada", "online", True)]


def test_check_in_with_a_wrong_or_replaced_token_is_refused() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()
    old = occurrence_checkin_token(occurrence=occurrence, actor=speaker)
    new = occurrence_checkin_token(occurrence=occurrence, actor=speaker, rotate=True)

    for token in ("", "guess", old):
        with pytest.raises(Forbidden) as error:
            attendance_check_in(occurrence=occurrence, person=ada, token=token, mode="room")
        assert error.value.message == (
            "This check-in link is not valid, or it was replaced by a new one: ask the "
            "organisers for the current link."
        )
    assert new != old
    assert rows(occurrence) == []


def test_check_in_before_the_date_has_no_token_to_guess() -> None:
    occurrence = make_occurrence(start=timezone.now() - timedelta(minutes=1))

    with pytest.raises(Forbidden):
        attendance_check_in(occurrence=occurrence, person=make_person(), token="", mode="online")

    assert rows(occurrence) == []


@pytest.mark.parametrize(
    ("moment", "outcome"),
    [
        (timedelta(minutes=-16), "Check-in opens 15 minutes before the start; come back then."),
        (timedelta(minutes=-15), None),
        (timedelta(minutes=60 + 30), None),
        (timedelta(minutes=60 + 31), "Check-in for this date has closed."),
    ],
)
def test_check_in_window_runs_from_15_minutes_before_to_30_after(moment, outcome) -> None:
    speaker = make_person()
    start = timezone.now() + timedelta(days=2)
    occurrence = make_occurrence(session=make_session(speakers=[speaker]), start=start, minutes=60)
    token = occurrence_checkin_token(occurrence=occurrence, actor=speaker)
    attendee = make_person(name="Ada")

    with time_machine.travel(start + moment, tick=False):
        if outcome is None:
            attendance_check_in(occurrence=occurrence, person=attendee, token=token)
        else:
            with pytest.raises(CheckInClosed) as error:
                attendance_check_in(occurrence=occurrence, person=attendee, token=token)
            assert error.value.message == outcome

    assert rows(occurrence) == ([("Ada", "online", True)] if outcome is None else [])


def test_check_in_without_a_link_is_for_people_going() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()

    attendance_check_in(occurrence=occurrence, person=ada, token=None, mode="room")
    with pytest.raises(Forbidden) as error:
        attendance_check_in(occurrence=occurrence, person=make_person(), token=None, mode="room")

    assert error.value.message == (
        "You are not registered for this date: open the check-in link shown in the room or the "
        "online meeting."
    )
    assert rows(occurrence) == [("Ada", "room", True)]


def test_check_in_to_a_cancelled_date_is_refused() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()
    token = occurrence_checkin_token(occurrence=occurrence, actor=speaker)
    Occurrence.objects.filter(pk=occurrence.pk).update(cancelled_at=timezone.now())
    occurrence.refresh_from_db()

    with pytest.raises(CheckInClosed) as error:
        attendance_check_in(occurrence=occurrence, person=ada, token=token, mode="room")

    assert error.value.message == "This date was cancelled; there is nothing to check in to."
    assert rows(occurrence) == []


def test_only_organisers_see_or_rotate_the_check_in_token() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()

    with pytest.raises(Forbidden):
        occurrence_checkin_token(occurrence=occurrence, actor=ada, rotate=True)

    occurrence.refresh_from_db()
    assert occurrence.checkin_token == ""


# --- pages ---------------------------------------------------------------------------------


def test_checklist_page_lists_the_registered_and_saves_all_present() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()
    Attendance.objects.create(occurrence=occurrence, person=cy, mode="online", self_reported=True)
    client = signed_in(speaker)
    url = f"/sessions/occurrences/{occurrence.pk}/checklist/"

    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "person": [ada.pk, bo.pk, cy.pk],
            f"mode-{ada.pk}": "",
            f"mode-{bo.pk}": "online",
            f"mode-{cy.pk}": "online",
            "all": "room",
        },
        follow=True,
    )

    assert (
        '<p class="meta" id="attendance-summary">3 on the list · 0 in the room · 1 online.' in page
    )
    assert 'Cy <span class="badge">checked in themselves</span>' in page
    assert "Attendance saved: 3 recorded, 0 removed." in response.content.decode()
    assert rows(occurrence) == [
        ("Ada", "room", False),
        ("Bo", "online", False),
        ("Cy", "online", False),
    ]


def test_checklist_page_with_a_bad_name_keeps_the_input_and_changes_nothing() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()

    response = signed_in(speaker).post(
        f"/sessions/occurrences/{occurrence.pk}/checklist/",
        {"person": [ada.pk], f"mode-{ada.pk}": "room", "others": "Nobody Here"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Nobody is called “Nobody Here”." in html
    assert ">Nobody Here</textarea>" in html
    assert rows(occurrence) == []


def test_checklist_page_with_a_forged_row_is_refused_with_a_message() -> None:
    speaker, occurrence, _ = started_hybrid()

    response = signed_in(speaker).post(
        f"/sessions/occurrences/{occurrence.pk}/checklist/", {"person": ["1e9"], "all": "room"}
    )

    assert response.status_code == 400
    assert "The checklist was not sent as the page made it; reload it." in response.content.decode()
    assert rows(occurrence) == []


def test_check_in_page_shows_a_qr_code_of_the_link_and_the_link_records_the_attendee() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()

    display = signed_in(speaker).get(f"/sessions/occurrences/{occurrence.pk}/check-in-link/")
    occurrence.refresh_from_db()
    link = f"http://testserver/sessions/occurrences/{occurrence.pk}/check-in/{occurrence.checkin_token}/"
    html = display.content.decode()
    attendee = signed_in(ada)
    confirm = attendee.get(link)
    done = attendee.post(link, {"mode": "room"}, follow=True)

    assert f'<a id="checkin-link" href="{link}">{link}</a>' in html
    assert "<svg" in html and "QR code of the check-in link" in html
    assert rows(occurrence) == [("Ada", "room", True)]
    assert "<button>Check me in</button>" in confirm.content.decode()
    assert "You are checked in. Thank you for coming!" in done.content.decode()


def test_check_in_page_with_a_wrong_token_says_so_and_records_nothing() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()
    occurrence_checkin_token(occurrence=occurrence, actor=speaker)

    response = signed_in(ada).post(
        f"/sessions/occurrences/{occurrence.pk}/check-in/not-the-token/", {"mode": "room"}
    )

    assert response.status_code == 403
    assert "This check-in link is not valid" in response.content.decode()
    assert rows(occurrence) == []


def test_session_page_links_the_checklist_and_offers_check_in_to_people_going() -> None:
    speaker, occurrence, (ada, bo, cy) = started_hybrid()
    session_url = f"/sessions/{occurrence.session.slug}/"

    as_speaker = signed_in(speaker).get(session_url).content.decode()
    as_ada = signed_in(ada).get(session_url).content.decode()
    as_outsider = signed_in(make_person()).get(session_url).content.decode()

    checklist = f'<a href="/sessions/occurrences/{occurrence.pk}/checklist/">Who came</a>'
    check_in = f'action="/sessions/occurrences/{occurrence.pk}/check-in/"'
    assert checklist in as_speaker
    assert checklist not in as_ada
    assert check_in in as_ada
    assert check_in not in as_outsider


def test_speaker_home_links_the_checklist_of_a_date_under_way() -> None:
    speaker, occurrence, _ = started_hybrid()

    home = signed_in(speaker).get("/").content.decode()

    assert (
        f'<a href="/sessions/occurrences/{occurrence.pk}/checklist/">Record who came: '
        f"{occurrence.session.title}</a>"
    ) in home
