"""The call for proposals as people use it: an organiser opens it; a member writes a draft,
names a co-speaker (who is asked once and confirms), submits, changes it until the call closes;
bad input is refused next to its field and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.conferences import proposals
from knowflow.conferences.models import Conference, Proposal, ProposalSpeaker
from knowflow.errors import Conflict
from knowflow.mail.models import OutboxMessage
from tests.conferences.conftest import Built, build_conference
from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db

QUESTION = "Who is it for?"


def open_call(built: Built, *, closes_in: timedelta = timedelta(days=10)) -> Conference:
    now = timezone.now()
    return proposals.call_update(
        actor=built.enabler,
        conference=built.conference,
        opens_at=now - timedelta(days=1),
        closes_at=now + closes_in,
        formats=["talk", "workshop"],
        questions=[QUESTION],
    )


def form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Query plans for analysts",
        "abstract": "Read an EXPLAIN and fix the three most common slow queries.",
        "format": "talk",
        "level": "intermediate",
        "track": "",
        "co_speakers": "",
        "available_days": ["2030-06-04", "2030-06-05"],
        "available_from": "09:00",
        "available_until": "13:00",
        "answer_0": "Analysts who write SQL every day.",
        "submit": "1",
    }
    data.update(overrides)
    return data


def test_an_organiser_opens_the_call_in_their_own_time_zone() -> None:
    built = build_conference(talks=0)
    Person.objects.filter(pk=built.enabler.pk).update(timezone="Asia/Kolkata")
    client = signed_in(built.enabler)
    answer = client.post(
        "/conferences/devdays/cfp/settings/",
        {
            "opens_at": "2030-01-10T09:00",
            "closes_at": "2030-02-10T18:00",
            "formats": ["talk", "lightning"],
            "questions": "Who is it for?\n\nWhat will they take home?\n",
        },
    )
    assert answer.status_code == 302
    conference = Conference.objects.get()
    assert conference.cfp_opens_at == datetime(2030, 1, 10, 3, 30, tzinfo=UTC)  # 09:00 IST
    assert conference.cfp_formats == ["talk", "lightning"]
    assert conference.cfp_questions == ["Who is it for?", "What will they take home?"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"closes_at": "2030-01-01T09:00"}, "The call must close after it opens."),
        ({"formats": []}, "Choose at least one format the call takes."),
        ({"formats": ["keynote-ish"]}, "There is no format keynote-ish."),
        ({"opens_at": "soon"}, "Give a date and time"),
    ],
)
def test_a_bad_call_is_refused_next_to_its_field(data: dict, message: str) -> None:
    built = build_conference(talks=0)
    post = {
        "opens_at": "2030-01-10T09:00",
        "closes_at": "2030-02-10T18:00",
        "formats": ["talk"],
        "questions": "",
        **data,
    }
    answer = signed_in(built.enabler).post("/conferences/devdays/cfp/settings/", post)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert Conference.objects.get().cfp_opens_at is None


def test_members_cannot_set_the_call() -> None:
    build_conference(talks=0)
    assert signed_in(make_person()).get("/conferences/devdays/cfp/settings/").status_code == 403


def test_a_member_drafts_then_submits_with_a_co_speaker_who_confirms() -> None:
    built = build_conference(talks=0)
    open_call(built)
    priya = make_person(name="Priya Speaker", tz="Asia/Kolkata")
    sam = make_person(name="Sam Cospeaker")
    client = signed_in(priya)

    draft = client.post(
        "/conferences/devdays/cfp/new/",
        form(answer_0="", submit="0", co_speakers="Sam Cospeaker"),
    )
    assert draft.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.state == Proposal.State.DRAFT
    assert proposal.available_zone == "Asia/Kolkata"
    assert proposals.availability_text(proposal) == "Tue 4 Jun, Wed 5 Jun, 09:00–13:00 Asia/Kolkata"
    asked = OutboxMessage.objects.get(recipient=sam.email)
    assert "Priya Speaker named you as a co-speaker of “Query plans for analysts”" in asked.body

    incomplete = client.post(
        f"/conferences/devdays/cfp/{proposal.pk}/edit/",
        form(answer_0="", co_speakers="Sam Cospeaker"),
    )
    assert incomplete.status_code == 400
    assert "Answer “Who is it for?” to submit." in incomplete.content.decode()
    assert Proposal.objects.get().state == Proposal.State.DRAFT

    submitted = client.post(
        f"/conferences/devdays/cfp/{proposal.pk}/edit/", form(co_speakers="Sam Cospeaker")
    )
    assert submitted.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.SUBMITTED
    assert proposal.answers == {QUESTION: "Analysts who write SQL every day."}
    assert OutboxMessage.objects.filter(recipient=sam.email).count() == 1  # asked once

    page = signed_in(sam).get("/conferences/devdays/cfp/").content.decode()
    assert "Named as co-speaker" in page and "proposed by Priya Speaker" in page
    signed_in(sam).post(f"/conferences/devdays/cfp/{proposal.pk}/cospeak/", {"answer": "confirm"})
    assert ProposalSpeaker.objects.get().confirmed_at is not None
    assert [p.display_name for p in proposals.speakers_of(proposal)] == [
        "Priya Speaker",
        "Sam Cospeaker",
    ]
    mine = client.get("/conferences/devdays/cfp/").content.decode()
    assert "Submitted" in mine and "Sam Cospeaker (confirmed)" in mine


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "SQL"}, "A title has 5 to 200 characters."),
        ({"abstract": "Too short."}, "An abstract has 20 to 5000 characters"),
        ({"format": "panel"}, "Select a valid choice."),
        ({"available_days": ["2031-01-01"]}, "2031-01-01 is not a day of the conference."),
        ({"available_until": "09:00"}, "The latest end must differ from the earliest start."),
        ({"available_from": "", "available_until": "12:00"}, "Give both the earliest"),
        ({"available_days": []}, "Say on which days you can give it to submit."),
        ({"co_speakers": "Nobody Known"}, "Nobody Known"),
        ({"available_from": "9 o'clock"}, "Give a time like 09:00."),
    ],
)
def test_bad_proposals_are_refused_next_to_their_field_and_nothing_is_written(
    overrides: dict, message: str
) -> None:
    built = build_conference(talks=0)
    open_call(built)
    answer = signed_in(make_person()).post("/conferences/devdays/cfp/new/", form(**overrides))
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert Proposal.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_a_track_of_another_conference_is_refused() -> None:
    built = build_conference(talks=0)
    open_call(built)
    other = build_conference(talks=0, slug="otherconf", name="Other")
    answer = signed_in(make_person()).post(
        "/conferences/devdays/cfp/new/", form(track=str(other.tracks[0].pk))
    )
    assert answer.status_code == 400
    assert Proposal.objects.count() == 0


def test_after_the_call_closes_nothing_changes() -> None:
    built = build_conference(talks=0)
    open_call(built)
    person = make_person()
    client = signed_in(person)
    client.post("/conferences/devdays/cfp/new/", form())
    proposal = Proposal.objects.get()
    Conference.objects.update(cfp_closes_at=timezone.now() - timedelta(minutes=1))

    late = client.post(f"/conferences/devdays/cfp/{proposal.pk}/edit/", form(title="A new title"))
    assert late.status_code == 400
    assert "The call for proposals closed on" in late.content.decode()
    assert Proposal.objects.get().title == "Query plans for analysts"
    assert client.get("/conferences/devdays/cfp/new/").status_code == 302
    with pytest.raises(Conflict):
        proposals.proposal_save(
            actor=person,
            conference=built.conference,
            fields=proposals.ProposalFields(
                title="Brand new idea",
                abstract="Something nobody has heard about yet, at length.",
                format="talk",
                level="introductory",
                track=None,
                answers={QUESTION: "Everyone"},
                co_speakers=[],
                available_days=[],
                available_from=None,
                available_until=None,
            ),
        )
    assert Proposal.objects.count() == 1


def test_only_the_submitter_changes_or_withdraws_a_proposal() -> None:
    built = build_conference(talks=0)
    open_call(built)
    owner = make_person()
    signed_in(owner).post("/conferences/devdays/cfp/new/", form())
    proposal = Proposal.objects.get()
    stranger = signed_in(make_person())
    assert stranger.get(f"/conferences/devdays/cfp/{proposal.pk}/edit/").status_code == 403
    assert (
        stranger.post(
            f"/conferences/devdays/cfp/{proposal.pk}/edit/", form(title="Mine now")
        ).status_code
        == 403
    )
    assert stranger.post(f"/conferences/devdays/cfp/{proposal.pk}/withdraw/").status_code == 403
    assert Proposal.objects.get().title == "Query plans for analysts"

    signed_in(owner).post(f"/conferences/devdays/cfp/{proposal.pk}/withdraw/")
    assert Proposal.objects.get().state == Proposal.State.WITHDRAWN


def test_organisers_list_every_submitted_proposal_with_its_speakers_not_drafts() -> None:
    built = build_conference(talks=0)
    open_call(built)
    signed_in(make_person(name="Ada Author")).post("/conferences/devdays/cfp/new/", form())
    signed_in(make_person(name="Drafty Dan")).post(
        "/conferences/devdays/cfp/new/", form(title="Only a draft", submit="0")
    )
    page = signed_in(built.enabler).get("/conferences/devdays/cfp/proposals/").content.decode()
    assert "Query plans for analysts" in page and "Ada Author" in page
    assert "Only a draft" not in page
    assert signed_in(make_person()).get("/conferences/devdays/cfp/proposals/").status_code == 403


def test_home_lists_what_conferences_wait_for_from_a_person() -> None:
    from knowflow.conferences.models import Review, ReviewAssignment

    built = build_conference(talks=0)
    open_call(built)
    person = make_person(name="Rita Reviewer")
    client = signed_in(person)
    assert "<h2>Conferences</h2>" not in client.get("/").content.decode()

    client.post("/conferences/devdays/cfp/new/", form(title="My half-written idea", submit="0"))
    author = make_person(name="Otto Author")
    signed_in(author).post(
        "/conferences/devdays/cfp/new/", form(title="Joint talk", co_speakers="Rita Reviewer")
    )
    joint = Proposal.objects.get(title="Joint talk")
    other = Proposal.objects.create(
        conference=built.conference,
        submitter=author,
        title="To be reviewed",
        abstract="Something worth reviewing, at length.",
        format="talk",
        state=Proposal.State.SUBMITTED,
    )
    ReviewAssignment.objects.create(proposal=other, reviewer=person)
    Conference.objects.update(review_open=True)

    home = client.get("/").content.decode()
    assert "Review 1 proposal for DevDays" in home
    assert "Confirm or decline: co-speaker of “Joint talk”" in home
    assert "Finish and submit “My half-written idea”" in home

    Review.objects.create(proposal=other, reviewer=person, scores={})
    proposals.cospeaker_answer(actor=person, proposal=joint, confirm=True)
    Conference.objects.update(cfp_closes_at=timezone.now() - timedelta(minutes=1))
    assert "<h2>Conferences</h2>" not in client.get("/").content.decode()


def test_a_call_cannot_close_after_the_conference_ends() -> None:
    built = build_conference(talks=0)  # 4–6 June 2030, Berlin
    answer = signed_in(built.enabler).post(
        "/conferences/devdays/cfp/settings/",
        {"opens_at": "2030-05-01T09:00", "closes_at": "2030-06-20T18:00", "formats": ["talk"]},
    )
    assert answer.status_code == 400
    assert "The call must close before the conference ends (6 Jun 2030)." in answer.content.decode()
    assert Conference.objects.get().cfp_closes_at is None


def test_no_decision_while_the_call_is_still_open() -> None:
    from knowflow.conferences import review

    built = build_conference(talks=0)
    open_call(built)
    proposal = Proposal.objects.create(
        conference=built.conference,
        submitter=make_person(),
        title="Too early to decide",
        abstract="Decided before the others could even propose.",
        format="talk",
        state=Proposal.State.SUBMITTED,
    )
    with pytest.raises(Conflict, match="The call for proposals is open until"):
        review.proposal_decide(actor=built.enabler, proposal=proposal, accept=True)
    assert Proposal.objects.get().state == Proposal.State.SUBMITTED
    assert OutboxMessage.objects.count() == 0


def test_a_co_speaker_reads_the_proposal_and_withdrawing_asks_first() -> None:
    built = build_conference(talks=0)
    open_call(built)
    author = make_person(name="Otto Author")
    make_person(name="Sam Cospeaker")
    signed_in(author).post(
        "/conferences/devdays/cfp/new/",
        form(
            co_speakers="Sam Cospeaker", abstract="Read an EXPLAIN and fix slow queries together."
        ),
    )
    sam = Person.objects.get(display_name="Sam Cospeaker")
    page = signed_in(sam).get("/conferences/devdays/cfp/").content.decode()
    assert "Read the proposal" in page and "Read an EXPLAIN and fix slow queries together." in page
    own = signed_in(author).get("/conferences/devdays/cfp/").content.decode()
    assert "Withdrawing cannot be undone" in own


def test_the_proposal_list_counts_each_state() -> None:
    built = build_conference(talks=0)
    open_call(built)
    for name in ("Ada", "Bea"):
        signed_in(make_person(name=f"{name} Author")).post(
            "/conferences/devdays/cfp/new/", form(title=f"{name}'s talk")
        )
    Proposal.objects.filter(title="Bea's talk").update(state=Proposal.State.WITHDRAWN)
    page = signed_in(built.enabler).get("/conferences/devdays/cfp/proposals/").content.decode()
    assert "Every proposal that is not a draft: 2 (1 submitted, 1 withdrawn)" in page
