"""Reviewing a conference's proposals as organisers and reviewers do: reviewers and weighted
categories, assignment that keeps the load even and never gives a proposal to a speaker or a
speaker's org unit, the anonymised review form and its refusals, the ranked list with its
spread, and decisions that email every speaker and make accepted proposals talks."""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.conferences import review
from knowflow.conferences.models import (
    Conference,
    ConferenceTalk,
    Proposal,
    ProposalSpeaker,
    ProposalStar,
    Review,
    ReviewAssignment,
    Star,
    TrackReviewer,
)
from knowflow.errors import Conflict, DomainError, Forbidden, NotFound
from knowflow.events.models import Session
from knowflow.mail.models import OutboxMessage
from tests.browser import CHROMIUM, sign_in_with_keyboard
from tests.conferences.conftest import Built, build_conference
from tests.conftest import signed_in
from tests.factories import make_person, org_unit
from tests.web.test_accessibility_browser import axe_violations

pytestmark = pytest.mark.django_db

SHOTS = os.environ.get("KNOWFLOW_SCREENSHOTS", "")
ALL_GOOD = {"Relevance": 4, "Clarity": 4, "Speaker's experience": 4}


def propose(
    conference: Conference,
    submitter: Person,
    title: str,
    *,
    abstract: str = "What people will learn from this talk, step by step.",
    state: str = Proposal.State.SUBMITTED,
    co_speakers: tuple[tuple[Person, str], ...] = (),
    answers: dict[str, str] | None = None,
    track: object = None,
) -> Proposal:
    """A proposal made with the ORM; co-speakers as (person, "confirmed" | "declined" | "")."""
    proposal = Proposal.objects.create(
        conference=conference,
        submitter=submitter,
        title=title,
        abstract=abstract,
        format="talk",
        level="intermediate",
        track=track,
        answers=answers or {},
        state=state,
        submitted_at=timezone.now() if state != Proposal.State.DRAFT else None,
    )
    for person, answer in co_speakers:
        ProposalSpeaker.objects.create(
            proposal=proposal,
            person=person,
            confirmed_at=timezone.now() if answer == "confirmed" else None,
            declined_at=timezone.now() if answer == "declined" else None,
        )
    return proposal


def with_reviewers(built: Built, *reviewers: Person, categories: str = "") -> None:
    review.review_settings_update(
        actor=built.enabler,
        conference=built.conference,
        reviewers=list(reviewers),
        categories=review.categories_parse(categories),
    )


def open_review(built: Built) -> None:
    review.review_phase_set(actor=built.enabler, conference=built.conference, open=True)


def close_review(built: Built) -> None:
    review.review_phase_set(actor=built.enabler, conference=built.conference, open=False)


def assigned_to(proposal: Proposal) -> set[int]:
    return set(proposal.review_assignments.values_list("reviewer_id", flat=True))


def loads(built: Built) -> Counter[int]:
    return Counter(
        ReviewAssignment.objects.filter(proposal__conference=built.conference).values_list(
            "reviewer_id", flat=True
        )
    )


def give(
    reviewer: Person, proposal: Proposal, scores: dict[str, object], comment: str = ""
) -> None:
    ReviewAssignment.objects.get_or_create(proposal=proposal, reviewer=reviewer)
    review.review_submit(actor=reviewer, proposal=proposal, scores=scores, comment=comment)


# Settings --------------------------------------------------------------------------------------


def test_the_default_categories_weigh_relevance_twice() -> None:
    built = build_conference(talks=0)
    assert review.categories_of(built.conference) == [
        review.Category("Relevance", 2),
        review.Category("Clarity", 1),
        review.Category("Speaker's experience", 1),
    ]
    assert review.categories_parse("Relevance: 3\nDepth ×2\n\nFun") == [
        review.Category("Relevance", 3),
        review.Category("Depth", 2),
        review.Category("Fun", 1),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Relevance: 0", "“Relevance: 0”: a weight is a whole number from 1 to 10, written like “Relevance: 2”."),
        ("Relevance: two", "“Relevance: two”: a weight is a whole number from 1 to 10, written like “Relevance: 2”."),
        ("Depth\ndepth: 2", "“depth” is there twice."),
    ],
)  # fmt: skip
def test_a_wrong_category_line_is_named(text: str, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        review.categories_parse(text)
    assert (refused.value.message, refused.value.field) == (message, "categories")


def test_categories_cannot_change_once_a_review_is_written() -> None:
    built = build_conference(talks=0)
    reviewer = make_person(name="Rita Reviewer")
    with_reviewers(built, reviewer)
    open_review(built)
    give(reviewer, propose(built.conference, make_person(), "Query plans"), ALL_GOOD)

    with pytest.raises(Conflict) as refused:
        with_reviewers(built, reviewer, categories="Relevance: 1")
    assert refused.value.message == (
        "Reviews are written with the current categories: they cannot change now."
    )
    assert Conference.objects.get(pk=built.conference.pk).review_categories == [
        {"name": "Relevance", "weight": 2},
        {"name": "Clarity", "weight": 1},
        {"name": "Speaker's experience", "weight": 1},
    ]


def test_a_reviewer_taken_off_loses_only_the_assignments_not_reviewed_yet() -> None:
    built = build_conference(talks=0)
    rita, sam = make_person(name="Rita Reviewer"), make_person(name="Sam Second")
    with_reviewers(built, rita, sam)
    open_review(built)
    reviewed, waiting = (propose(built.conference, make_person(), t) for t in ("One", "Two"))
    give(rita, reviewed, ALL_GOOD)
    ReviewAssignment.objects.create(proposal=waiting, reviewer=rita)

    with_reviewers(built, sam)

    assert assigned_to(reviewed) == {rita.pk}
    assert assigned_to(waiting) == set()
    assert Review.objects.filter(reviewer=rita).count() == 1


# Assignment --------------------------------------------------------------------------------------


def test_each_proposal_gets_three_reviewers_and_the_load_differs_by_one_at_most() -> None:
    built = build_conference(talks=0)
    reviewers = [make_person(name=f"Reviewer {n}") for n in range(5)]
    with_reviewers(built, *reviewers)
    proposals = [propose(built.conference, make_person(), f"Proposal {n}") for n in range(7)]

    result = review.review_assign(actor=built.enabler, conference=built.conference)

    assert (result.added, result.short) == (21, [])
    assert all(len(assigned_to(p)) == 3 for p in proposals)
    assert sorted(loads(built).values()) == [4, 4, 4, 4, 5]


def test_a_proposal_never_goes_to_a_speaker_nor_to_a_speaker_s_org_unit() -> None:
    built = build_conference(talks=0)
    platform, data, design = org_unit("Platform team"), org_unit("Data team"), org_unit("Design")
    ana = make_person(name="Ana Platform", org_unit=platform)
    ben = make_person(name="Ben Platform", org_unit=platform)
    cai = make_person(name="Cai Data", org_unit=data)
    dee = make_person(name="Dee Design", org_unit=design)
    eve, fay = make_person(name="Eve Nounit"), make_person(name="Fay Nounit")
    with_reviewers(built, ana, ben, cai, dee, eve, fay)
    sam = make_person(name="Sam Speaker", org_unit=platform)
    tom = make_person(name="Tom Cospeaker", org_unit=data)  # not confirmed yet: still counts
    uma = make_person(name="Uma Declined", org_unit=design)  # declined: does not count
    by_sam = propose(
        built.conference, sam, "Service meshes", co_speakers=((tom, ""), (uma, "declined"))
    )
    by_eve = propose(built.conference, eve, "Own proposal of a reviewer")

    result = review.review_assign(actor=built.enabler, conference=built.conference)

    assert assigned_to(by_sam) == {dee.pk, eve.pk, fay.pk}
    assert eve.pk not in assigned_to(by_eve)
    assert len(assigned_to(by_eve)) == 3
    assert result.short == []


def test_a_proposal_without_enough_eligible_reviewers_is_reported_by_title() -> None:
    built = build_conference(talks=0)
    unit = org_unit("Payments")
    insiders = [make_person(name=f"Insider {n}", org_unit=unit) for n in range(3)]
    outsider = make_person(name="Olga Outsider")
    with_reviewers(built, *insiders, outsider)
    propose(built.conference, make_person(name="Pat Payments", org_unit=unit), "Ledgers")
    client = signed_in(built.enabler)

    answer = client.post(
        "/conferences/devdays/review/", {"action": "assign", "per_proposal": "3"}, follow=True
    )

    page = answer.content.decode()
    assert "1 assignment made." in page
    assert (
        "“Ledgers” has only 1 reviewer: not enough reviewers without a conflict of interest."
        in page
    )
    assert set(ReviewAssignment.objects.values_list("reviewer_id", flat=True)) == {outsider.pk}


def test_running_assignment_again_keeps_every_assignment_and_review() -> None:
    built = build_conference(talks=0)
    first = [make_person(name=f"First {n}") for n in range(3)]
    with_reviewers(built, *first)
    open_review(built)
    proposals = [propose(built.conference, make_person(), f"Proposal {n}") for n in range(4)]
    review.review_assign(actor=built.enabler, conference=built.conference, per_proposal=2)
    before = set(ReviewAssignment.objects.values_list("proposal_id", "reviewer_id"))
    one = ReviewAssignment.objects.first()
    assert one is not None
    review.review_submit(actor=one.reviewer, proposal=one.proposal, scores=ALL_GOOD)
    late = make_person(name="Late Reviewer")
    with_reviewers(built, *first, late)

    result = review.review_assign(actor=built.enabler, conference=built.conference, per_proposal=3)

    after = set(ReviewAssignment.objects.values_list("proposal_id", "reviewer_id"))
    assert before <= after
    assert result.added == 4
    assert all(len(assigned_to(p)) == 3 for p in proposals)
    assert Review.objects.count() == 1
    counts = loads(built)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert counts[late.pk] == 3  # the newcomer takes the most: 3 and 3, 3, 3 for the others


def test_assignment_with_a_wrong_number_is_refused_next_to_it_and_writes_nothing() -> None:
    built = build_conference(talks=0)
    with_reviewers(built, make_person())
    propose(built.conference, make_person(), "Query plans")

    answer = signed_in(built.enabler).post(
        "/conferences/devdays/review/", {"action": "assign", "per_proposal": "0"}
    )

    assert answer.status_code == 400
    assert "At least 1." in answer.content.decode()
    assert ReviewAssignment.objects.count() == 0


# Track teams -------------------------------------------------------------------------------------


def with_team(built: Built, track_index: int, *members: Person) -> None:
    review.review_teams_update(
        actor=built.enabler,
        conference=built.conference,
        teams={built.tracks[track_index]: list(members)},
    )


def team_of(built: Built, track_index: int) -> set[int]:
    return set(
        TrackReviewer.objects.filter(track=built.tracks[track_index]).values_list(
            "person_id", flat=True
        )
    )


def test_a_track_s_proposals_go_only_to_its_team_and_the_load_stays_even() -> None:
    built = build_conference(talks=0)
    platform, data = built.tracks
    team = [make_person(name=f"Data {n}") for n in range(3)]
    others = [make_person(name=f"Other {n}") for n in range(3)]
    with_reviewers(built, *team, *others)
    with_team(built, 1, *team)
    by_data = [propose(built.conference, make_person(), f"Data {n}", track=data) for n in range(2)]
    by_anyone = [propose(built.conference, make_person(), f"Any {n}") for n in range(3)]
    by_anyone.append(propose(built.conference, make_person(), "Platform one", track=platform))

    result = review.review_assign(actor=built.enabler, conference=built.conference)

    assert (result.added, result.short) == (18, [])
    assert all(assigned_to(p) == {person.pk for person in team} for p in by_data)
    assert all(len(assigned_to(p)) == 3 for p in by_anyone)
    # 6 Data assignments fall on the team: the other 12 make everyone's load 3.
    assert loads(built) == {person.pk: 3 for person in team + others}


def test_a_proposal_without_a_track_or_of_a_track_without_a_team_goes_to_anyone() -> None:
    built = build_conference(talks=0)
    platform, _data = built.tracks
    team = [make_person(name=f"Data {n}") for n in range(2)]
    others = [make_person(name=f"Other {n}") for n in range(2)]
    everyone = {person.pk for person in team + others}
    with_reviewers(built, *team, *others)
    with_team(built, 1, *team)
    no_track = propose(built.conference, make_person(), "No track")
    no_team = propose(built.conference, make_person(), "Platform one", track=platform)

    result = review.review_assign(actor=built.enabler, conference=built.conference, per_proposal=4)

    assert (result.added, result.short) == (8, [])
    assert assigned_to(no_track) == everyone
    assert assigned_to(no_team) == everyone


def test_a_proposal_short_of_reviewers_because_of_its_team_names_the_track() -> None:
    built = build_conference(talks=0)
    unit = org_unit("Data team")
    insiders = [make_person(name=f"Insider {n}", org_unit=unit) for n in range(2)]
    outsider = make_person(name="Olga Outsider")
    others = [make_person(name=f"Other {n}") for n in range(3)]  # would do, but not on the team
    with_reviewers(built, *insiders, outsider, *others)
    with_team(built, 1, *insiders, outsider)
    propose(
        built.conference,
        make_person(name="Pat Data", org_unit=unit),
        "Pipelines",
        track=built.tracks[1],
    )

    answer = signed_in(built.enabler).post(
        "/conferences/devdays/review/", {"action": "assign", "per_proposal": "3"}, follow=True
    )

    page = answer.content.decode()
    assert "1 assignment made." in page
    assert (
        "“Pipelines” has only 1 reviewer: the Data track&#x27;s team has no more without a "
        "conflict of interest." in page
    )
    assert set(ReviewAssignment.objects.values_list("reviewer_id", flat=True)) == {outsider.pk}


def test_organisers_set_each_track_s_team_on_the_review_page() -> None:
    built = build_conference(talks=0)
    platform, data = built.tracks
    ana, ben, cai = (make_person(name=name) for name in ("Ana Data", "Ben Data", "Cai Other"))
    with_reviewers(built, ana, ben, cai)
    client = signed_in(built.enabler)
    form = client.get("/conferences/devdays/review/").content.decode()
    assert f'<label for="id_team_{data.pk}">Reviewers of Data' in form

    answer = client.post(
        "/conferences/devdays/review/",
        {"action": "teams", f"team_{data.pk}": "Ben Data, Ana Data", f"team_{platform.pk}": ""},
        follow=True,
    )

    page = answer.content.decode()
    assert "The track teams are saved." in page
    assert team_of(built, 1) == {ana.pk, ben.pk}
    assert team_of(built, 0) == set()
    shown = re.search(r'<ul class="rows" id="track-teams">.*?</ul>', page, re.S)
    assert shown is not None
    assert re.findall(r"<li><strong>(.*?)</strong> <span>(.*?)</span></li>", shown.group(0)) == [
        ("Data", "Ana Data, Ben Data"),
        ("Platform", "No team: any reviewer"),
    ]
    assert review.review_teams(actor=built.enabler, conference=built.conference) == [
        review.TrackTeam(track=data, members=[ana, ben]),
        review.TrackTeam(track=platform, members=[]),
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("Nobody Atall", "No one called “Nobody Atall” was found."),
        ("Olga Outsider", "Olga Outsider is not among the reviewers of DevDays: add them to “Reviewers” first."),
        ("Olga Outsider, Pat Other, Ana Data", "Olga Outsider and Pat Other are not among the reviewers of DevDays: add them to “Reviewers” first."),
    ],
)  # fmt: skip
def test_a_bad_team_is_refused_next_to_its_field_and_nothing_is_written(
    entry: str, message: str
) -> None:
    built = build_conference(talks=0)
    platform, data = built.tracks
    ana, ben = make_person(name="Ana Data"), make_person(name="Ben Platform")
    make_person(name="Olga Outsider")
    make_person(name="Pat Other")
    with_reviewers(built, ana, ben)
    with_team(built, 1, ana)

    answer = signed_in(built.enabler).post(
        "/conferences/devdays/review/",
        {"action": "teams", f"team_{data.pk}": entry, f"team_{platform.pk}": "Ben Platform"},
    )

    page = answer.content.decode()
    assert answer.status_code == 400
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary is not None
    assert re.findall(r'<a href="(.*?)">(.*?)</a>', summary.group(0)) == [
        (f"#id_team_{data.pk}", message)
    ]
    assert page.count(message) == 2  # in the summary and next to the field
    assert f'value="{entry}"' in page  # the input is kept
    assert (team_of(built, 1), team_of(built, 0)) == ({ana.pk}, set())


def test_members_are_refused_setting_teams_and_nothing_is_written() -> None:
    built = build_conference(talks=0)
    platform, data = built.tracks
    member = make_person(name="Max Member")
    with_reviewers(built, member)

    answer = signed_in(member).post(
        "/conferences/devdays/review/", {"action": "teams", f"team_{data.pk}": "Max Member"}
    )

    assert answer.status_code == 403
    for call in (
        lambda: review.review_teams_update(
            actor=member, conference=built.conference, teams={data: [member]}
        ),
        lambda: review.review_teams(actor=member, conference=built.conference),
    ):
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.message == "Only enablers run the review of a conference's proposals."
    assert TrackReviewer.objects.count() == 0


def test_a_team_takes_back_the_assignments_outside_it_not_reviewed_yet() -> None:
    built = build_conference(talks=0)
    data = built.tracks[1]
    ana, ota, oli = (make_person(name=n) for n in ("Ana Data", "Ota Other", "Oli Other"))
    with_reviewers(built, ana, ota, oli)
    open_review(built)
    proposal = propose(built.conference, make_person(), "Pipelines", track=data)
    review.review_assign(actor=built.enabler, conference=built.conference)
    give(ota, proposal, ALL_GOOD)

    taken_back = review.review_teams_update(
        actor=built.enabler, conference=built.conference, teams={data: [ana]}
    )

    assert taken_back == 1  # Oli's; Ota's is reviewed and stays
    assert assigned_to(proposal) == {ana.pk, ota.pk}


def test_a_reviewer_taken_off_the_list_leaves_every_team() -> None:
    built = build_conference(talks=0)
    ana, ben = make_person(name="Ana Data"), make_person(name="Ben Data")
    with_reviewers(built, ana, ben)
    with_team(built, 1, ana, ben)
    with_team(built, 0, ana)

    with_reviewers(built, ben)

    assert (team_of(built, 1), team_of(built, 0)) == ({ben.pk}, set())


# Anonymity ---------------------------------------------------------------------------------------


SECRETS = ("Priya", "Venkatesh", "Olusegun", "Adeyemi", "Payments Guild", "Zebracorp", "Lagos")


def anonymity_case() -> tuple[Built, Person, Proposal]:
    built = build_conference(talks=0)
    built.conference.cfp_questions = ["Who is it for?"]
    built.conference.save()
    guild = org_unit("Payments Guild")
    priya = make_person(name="Priya Venkatesh", org_unit=guild)
    olu = make_person(name="Olusegun Adeyemi", org_unit=guild)
    Person.objects.filter(pk=priya.pk).update(bio="Ran the ledger migration at Zebracorp.")
    Person.objects.filter(pk=olu.pk).update(bio="Organises the Lagos meetup.")
    reviewer = make_person(name="Rita Reviewer")
    with_reviewers(built, reviewer)
    open_review(built)
    proposal = propose(
        built.conference,
        priya,
        "Double-entry ledgers at scale",
        abstract="PRIYA VENKATESH and olusegun adeyemi show how Priya's team moved a ledger.",
        co_speakers=((olu, "confirmed"),),
        answers={"Who is it for?": "Anyone who asked Venkatesh about ledgers."},
        track=built.tracks[0],
    )
    ReviewAssignment.objects.create(proposal=proposal, reviewer=reviewer)
    return built, reviewer, proposal


def assert_anonymous(html: str) -> None:
    found = [secret for secret in SECRETS if secret.lower() in html.lower()]
    assert found == []


def test_the_reviewer_reads_no_speaker_name_org_unit_or_bio_even_from_the_abstract() -> None:
    built, reviewer, proposal = anonymity_case()
    client = signed_in(reviewer)

    listing = client.get("/conferences/devdays/review/mine/").content.decode()
    answer = client.get(f"/conferences/devdays/review/proposals/{proposal.pk}/")

    page = answer.content.decode()
    assert answer.status_code == 200
    assert_anonymous(page)
    assert_anonymous(listing)
    assert "[speaker] and [speaker] show how [speaker]'s team moved a ledger." in page
    assert "Anyone who asked [speaker] about ledgers." in page
    assert "Platform" in page  # the track
    assert "Intermediate" in page


def test_the_reviewer_reads_the_organisers_anonymised_abstract_when_there_is_one() -> None:
    built, reviewer, proposal = anonymity_case()
    organiser = signed_in(built.enabler)
    form = organiser.get(f"/conferences/devdays/review/proposals/{proposal.pk}/abstract/")
    assert "PRIYA VENKATESH" in form.content.decode()  # organisers see what was written

    saved = organiser.post(
        f"/conferences/devdays/review/proposals/{proposal.pk}/abstract/",
        {"anonymised_abstract": "Two engineers show how a team moved a ledger."},
    )

    assert saved.status_code == 302
    page = signed_in(reviewer).get(f"/conferences/devdays/review/proposals/{proposal.pk}/")
    html = page.content.decode()
    assert "Two engineers show how a team moved a ledger." in html
    assert_anonymous(html)


def test_a_member_cannot_edit_the_anonymised_abstract() -> None:
    built, reviewer, proposal = anonymity_case()
    answer = signed_in(reviewer).post(
        f"/conferences/devdays/review/proposals/{proposal.pk}/abstract/",
        {"anonymised_abstract": "Mine now."},
    )
    assert answer.status_code == 403
    assert Proposal.objects.get(pk=proposal.pk).anonymised_abstract == ""


# The review form ---------------------------------------------------------------------------------


def form_case() -> tuple[Built, Person, Proposal]:
    built = build_conference(talks=0)
    reviewer = make_person(name="Rita Reviewer")
    with_reviewers(built, reviewer)
    open_review(built)
    proposal = propose(built.conference, make_person(name="Sam Speaker"), "Query plans")
    ReviewAssignment.objects.create(proposal=proposal, reviewer=reviewer)
    return built, reviewer, proposal


def test_a_reviewer_scores_and_changes_a_review() -> None:
    built, reviewer, proposal = form_case()
    client = signed_in(reviewer)
    url = f"/conferences/devdays/review/proposals/{proposal.pk}/"

    answer = client.post(url, {"score_0": "5", "score_1": "4", "score_2": "3", "comment": "Good"})
    assert answer.status_code == 302
    client.post(url, {"score_0": "2", "score_1": "4", "score_2": "3", "comment": "Less so"})

    saved = Review.objects.get()
    assert (saved.scores, saved.comment) == (
        {"Relevance": 2, "Clarity": 4, "Speaker's experience": 3},
        "Less so",
    )
    listing = client.get("/conferences/devdays/review/mine/").content.decode()
    assert "1 of 1 done." in listing


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"score_0": "0"}, "Give “Relevance” a score from 1 to 5."),
        ({"score_0": "6"}, "Give “Relevance” a score from 1 to 5."),
        ({"score_0": "abc"}, "Give “Relevance” a score from 1 to 5."),
        ({}, "Give “Relevance” a score from 1 to 5."),
    ],
)
def test_a_bad_score_is_refused_next_to_its_field_and_nothing_is_written(
    posted: dict[str, str], message: str
) -> None:
    built, reviewer, proposal = form_case()
    data = {"score_1": "4", "score_2": "3", "comment": "Kept", **posted}

    answer = signed_in(reviewer).post(f"/conferences/devdays/review/proposals/{proposal.pk}/", data)

    page = answer.content.decode()
    assert answer.status_code == 400
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary is not None
    assert f'<a href="#id_score_0">{message}</a>' in summary.group(0)
    assert page.count(message) == 2  # in the summary and next to the field
    assert "Kept" in page  # the reviewer's input is kept
    assert Review.objects.count() == 0


@pytest.mark.parametrize(
    ("scores", "message", "field"),
    [
        ({**ALL_GOOD, "Relevance": 0}, "A score for “Relevance” is a whole number from 1 to 5.", "score_0"),
        ({**ALL_GOOD, "Clarity": 6}, "A score for “Clarity” is a whole number from 1 to 5.", "score_1"),
        ({**ALL_GOOD, "Clarity": "abc"}, "A score for “Clarity” is a whole number from 1 to 5.", "score_1"),
        ({"Relevance": 4, "Clarity": 4}, "Give “Speaker's experience” a score from 1 to 5.", "score_2"),
        ({**ALL_GOOD, "Charm": 5}, "There is no category “Charm”.", None),
    ],
)  # fmt: skip
def test_the_service_refuses_a_bad_score_and_writes_nothing(
    scores: dict[str, object], message: str, field: str | None
) -> None:
    built, reviewer, proposal = form_case()
    with pytest.raises(DomainError) as refused:
        review.review_submit(actor=reviewer, proposal=proposal, scores=scores)
    assert (refused.value.message, refused.value.field) == (message, field)
    assert Review.objects.count() == 0


def test_reviewing_is_refused_when_the_review_is_closed() -> None:
    built, reviewer, proposal = form_case()
    close_review(built)
    url = f"/conferences/devdays/review/proposals/{proposal.pk}/"

    read = signed_in(reviewer).get(url).content.decode()
    answer = signed_in(reviewer).post(url, {"score_0": "5", "score_1": "4", "score_2": "3"})

    assert "The review is closed: your scores cannot change." in read
    assert answer.status_code == 409
    assert "The review of the proposals to DevDays is closed." in answer.content.decode()
    with pytest.raises(Conflict):
        review.review_submit(actor=reviewer, proposal=proposal, scores=ALL_GOOD)
    assert Review.objects.count() == 0


def test_a_proposal_not_assigned_to_the_reviewer_is_not_found_and_nothing_is_written() -> None:
    built, reviewer, proposal = form_case()
    other = make_person(name="Otto Other")
    with_reviewers(built, reviewer, other)
    url = f"/conferences/devdays/review/proposals/{proposal.pk}/"

    read = signed_in(other).get(url)
    posted = signed_in(other).post(url, {"score_0": "5", "score_1": "4", "score_2": "3"})
    organiser = signed_in(built.enabler).get(url)

    assert (read.status_code, posted.status_code, organiser.status_code) == (404, 404, 404)
    assert "There is no proposal for you to review here." in read.content.decode()
    with pytest.raises(NotFound):
        review.review_submit(actor=other, proposal=proposal, scores=ALL_GOOD)
    assert Review.objects.count() == 0


# The ranked list ---------------------------------------------------------------------------------


def test_the_ranked_list_is_best_first_with_the_spread_of_the_weighted_scores() -> None:
    built = build_conference(talks=0)
    a, b, c = (make_person(name=f"Reviewer {n}") for n in "ABC")
    with_reviewers(built, a, b, c)
    open_review(built)
    sam = make_person(name="Sam Speaker")
    mixed = propose(built.conference, sam, "Mixed reviews")
    strong = propose(built.conference, make_person(name="Kim Keen"), "Strong one")
    unread = propose(built.conference, make_person(name="Una Unread"), "Not reviewed")
    propose(built.conference, make_person(), "A draft", state=Proposal.State.DRAFT)
    propose(built.conference, make_person(), "Withdrawn", state=Proposal.State.WITHDRAWN)
    # Weighted (Relevance ×2): (2·5 + 4 + 3) / 4 = 4.25, (2·3 + 3 + 3) / 4 = 3, (2·4 + 5 + 5) / 4 = 4.5
    give(a, mixed, {"Relevance": 5, "Clarity": 4, "Speaker's experience": 3})
    give(b, mixed, {"Relevance": 3, "Clarity": 3, "Speaker's experience": 3})
    give(c, mixed, {"Relevance": 4, "Clarity": 5, "Speaker's experience": 5})
    give(a, strong, {"Relevance": 5, "Clarity": 5, "Speaker's experience": 4})
    ReviewAssignment.objects.create(proposal=unread, reviewer=a)

    overview = review.review_overview(actor=built.enabler, conference=built.conference)

    assert [row.proposal.title for row in overview.ranked] == [
        "Strong one",
        "Mixed reviews",
        "Not reviewed",
    ]
    top, middle, last = overview.ranked
    assert (top.mean, top.low, top.high, top.deviation, top.reviews) == (4.75, 4.75, 4.75, 0, 1)
    assert middle.mean == pytest.approx(11.75 / 3)
    assert (middle.low, middle.high, middle.reviews, middle.assigned) == (3.0, 4.5, 3, 3)
    assert middle.deviation == pytest.approx(0.65617, abs=1e-5)
    assert (last.mean, last.reviews, last.assigned) == (None, 0, 1)
    assert middle.speakers == ["Sam Speaker"]

    page = signed_in(built.enabler).get("/conferences/devdays/review/ranking/").content.decode()
    row = re.search(rf'<tr id="proposal-{mixed.pk}">.*?</tr>', page, re.S)
    assert row is not None
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    ]
    assert cells == ["2", "3.92", "3 of 3", "3.00 – 4.50", "0.66", "after the review"]  # fmt: skip
    assert "by Sam Speaker" in row.group(0)


def test_the_ranked_list_takes_the_same_queries_for_3_and_12_proposals() -> None:
    def queries(n: int) -> int:
        built = build_conference(talks=0, slug=f"conf-{n}", name=f"Conf {n}")
        reviewer = make_person()
        with_reviewers(built, reviewer)
        open_review(built)
        for k in range(n):
            proposal = propose(
                built.conference,
                make_person(),
                f"Proposal {k}",
                co_speakers=((make_person(), "confirmed"),),
            )
            give(reviewer, proposal, ALL_GOOD)
        with CaptureQueriesContext(connection) as captured:
            review.review_overview(actor=built.enabler, conference=built.conference)
        return len(captured.captured_queries)

    assert queries(3) == queries(12)


# Decisions ---------------------------------------------------------------------------------------


def decision_case() -> tuple[Built, Proposal, Person, Person, Person]:
    built = build_conference(talks=0)
    reviewer = make_person(name="Rita Reviewer")
    with_reviewers(built, reviewer)
    open_review(built)
    sam = make_person(name="Sam Speaker")
    cora = make_person(name="Cora Confirmed")
    nell = make_person(name="Nell Notyet")
    dan = make_person(name="Dan Declined")
    proposal = propose(
        built.conference,
        sam,
        "Query plans for analysts",
        abstract="Read an EXPLAIN and fix the three most common slow queries.",
        co_speakers=((cora, "confirmed"), (nell, ""), (dan, "declined")),
        track=built.tracks[1],
    )
    give(reviewer, proposal, ALL_GOOD)
    close_review(built)
    OutboxMessage.objects.all().delete()
    return built, proposal, sam, cora, nell


def test_accepting_makes_the_session_and_talk_and_emails_every_speaker() -> None:
    built, proposal, sam, cora, nell = decision_case()
    fan = make_person()
    ProposalStar.objects.create(proposal=proposal, person=fan)
    client = signed_in(built.enabler)
    confirm = client.get(f"/conferences/devdays/review/proposals/{proposal.pk}/decide/")
    assert "It is emailed to Sam Speaker, Cora Confirmed." in confirm.content.decode()

    answer = client.post(
        f"/conferences/devdays/review/proposals/{proposal.pk}/decide/", {"decision": "accept"}
    )

    assert answer.status_code == 302
    decided = Proposal.objects.get(pk=proposal.pk)
    assert decided.state == Proposal.State.ACCEPTED
    assert decided.decided_at is not None
    talk = ConferenceTalk.objects.select_related("session").get(pk=decided.talk_id)
    session = talk.session
    assert (talk.conference_id, talk.track_id) == (built.conference.pk, built.tracks[1].pk)
    assert (session.title, session.abstract, session.format, session.level) == (
        "Query plans for analysts",
        "Read an EXPLAIN and fix the three most common slow queries.",
        "talk",
        "intermediate",
    )
    assert set(session.speakers.values_list("pk", flat=True)) == {sam.pk, cora.pk}
    assert session.proposed_by_id == built.enabler.pk
    assert Star.objects.filter(talk=talk, person=fan).exists()
    mails = OutboxMessage.objects.filter(kind="conferences.decision").order_by("recipient")
    assert sorted(m.recipient for m in mails) == sorted([sam.email, cora.email])
    for mail in mails:
        assert mail.subject == "“Query plans for analysts” is accepted for DevDays"
        assert "is accepted: it is a talk of the conference now." in mail.body
        assert f"/sessions/{session.slug}/" in mail.body
        assert mail.html
    assert OutboxMessage.objects.get(recipient=sam.email).body.startswith("Hello Sam Speaker,")


def test_rejecting_emails_every_speaker_and_makes_no_session() -> None:
    built, proposal, sam, cora, nell = decision_case()
    sessions = Session.objects.count()

    review.proposal_decide(actor=built.enabler, proposal=proposal, accept=False)

    decided = Proposal.objects.get(pk=proposal.pk)
    assert (decided.state, decided.talk_id) == (Proposal.State.REJECTED, None)
    assert Session.objects.count() == sessions
    mails = OutboxMessage.objects.filter(kind="conferences.decision")
    assert sorted(m.recipient for m in mails) == sorted([sam.email, cora.email])
    assert {m.subject for m in mails} == {"“Query plans for analysts” was not accepted for DevDays"}
    assert all(
        "the organisers could not take this one into the programme this time." in m.body
        for m in mails
    )


def test_a_decision_is_made_once() -> None:
    built, proposal, *_ = decision_case()
    review.proposal_decide(actor=built.enabler, proposal=proposal, accept=True)
    sessions, mails = Session.objects.count(), OutboxMessage.objects.count()

    with pytest.raises(Conflict) as refused:
        review.proposal_decide(actor=built.enabler, proposal=proposal, accept=False)
    answer = signed_in(built.enabler).post(
        f"/conferences/devdays/review/proposals/{proposal.pk}/decide/",
        {"decision": "reject"},
        follow=True,
    )

    assert refused.value.message.startswith("“Query plans for analysts” was accepted on ")
    assert refused.value.message.endswith(": a decision is made once.")
    assert "a decision is made once." in answer.content.decode()
    assert Proposal.objects.get(pk=proposal.pk).state == Proposal.State.ACCEPTED
    assert (Session.objects.count(), OutboxMessage.objects.count()) == (sessions, mails)


def test_no_decision_while_the_review_is_open_nor_on_a_withdrawn_or_draft_proposal() -> None:
    built, proposal, *_ = decision_case()
    withdrawn = propose(built.conference, make_person(), "Gone", state=Proposal.State.WITHDRAWN)
    draft = propose(built.conference, make_person(), "Not yet", state=Proposal.State.DRAFT)

    with pytest.raises(Conflict) as gone:
        review.proposal_decide(actor=built.enabler, proposal=withdrawn, accept=True)
    with pytest.raises(NotFound):
        review.proposal_decide(actor=built.enabler, proposal=draft, accept=True)
    open_review(built)
    with pytest.raises(Conflict) as still_open:
        review.proposal_decide(actor=built.enabler, proposal=proposal, accept=True)

    assert gone.value.message == "“Gone” is withdrawn: it cannot be decided."
    assert still_open.value.message == (
        "Close the review before deciding: reviewers may still change scores."
    )
    assert set(Proposal.objects.values_list("state", flat=True)) == {
        "submitted",
        "withdrawn",
        "draft",
    }
    assert OutboxMessage.objects.count() == 0


# Who may ---------------------------------------------------------------------------------------


def test_members_are_refused_every_organiser_page_and_action() -> None:
    built, proposal, *_ = decision_case()
    member = make_person(name="Max Member")
    client = signed_in(member)
    base = "/conferences/devdays/review"

    pages = [
        client.get(f"{base}/").status_code,
        client.get(f"{base}/ranking/").status_code,
        client.get(f"{base}/proposals/{proposal.pk}/abstract/").status_code,
        client.get(f"{base}/proposals/{proposal.pk}/decide/").status_code,
        client.post(f"{base}/", {"action": "assign", "per_proposal": "3"}).status_code,
        client.post(f"{base}/", {"action": "open"}).status_code,
        client.post(f"{base}/proposals/{proposal.pk}/decide/", {"decision": "accept"}).status_code,
    ]

    assert pages == [403] * 7
    for call in (
        lambda: review.review_assign(actor=member, conference=built.conference),
        lambda: review.review_phase_set(actor=member, conference=built.conference, open=True),
        lambda: review.proposal_decide(actor=member, proposal=proposal, accept=True),
        lambda: review.review_overview(actor=member, conference=built.conference),
        lambda: review.review_settings_update(
            actor=member, conference=built.conference, reviewers=[member], categories=[]
        ),
    ):
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.message == "Only enablers run the review of a conference's proposals."
    assert Proposal.objects.get(pk=proposal.pk).state == Proposal.State.SUBMITTED
    assert not Conference.objects.get(pk=built.conference.pk).review_open
    assert OutboxMessage.objects.count() == 0


def test_the_conference_page_links_reviewers_to_their_reviews_and_organisers_to_the_review() -> (
    None
):
    built, reviewer, proposal = form_case()
    stranger = make_person()

    as_reviewer = signed_in(reviewer).get("/conferences/devdays/").content.decode()
    as_stranger = signed_in(stranger).get("/conferences/devdays/").content.decode()
    as_organiser = signed_in(built.enabler).get("/conferences/devdays/plan/").content.decode()

    assert 'href="/conferences/devdays/review/mine/">Your reviews</a>' in as_reviewer
    assert "1 to do" in as_reviewer
    assert "/review/" not in as_stranger
    assert 'href="/conferences/devdays/review/">Review of proposals</a>' in as_organiser


def test_opening_the_review_twice_is_refused() -> None:
    built = build_conference(talks=0)
    open_review(built)
    with pytest.raises(Conflict) as refused:
        open_review(built)
    assert refused.value.message == "The review is already open."


def test_a_late_assignment_of_a_decided_proposal_is_not_reviewed() -> None:
    built, proposal, *_ = decision_case()
    review.proposal_decide(actor=built.enabler, proposal=proposal, accept=False)
    open_review(built)
    reviewer = ReviewAssignment.objects.get(proposal=proposal).reviewer
    with pytest.raises(Conflict) as refused:
        review.review_submit(actor=reviewer, proposal=proposal, scores=ALL_GOOD)
    assert refused.value.message == "This proposal is not accepted: it is not reviewed any more."
    assert Review.objects.get(proposal=proposal).scores == ALL_GOOD


# In a browser ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
@pytest.mark.django_db(transaction=True)
def test_a_reviewer_scores_and_an_organiser_reads_the_ranking_on_a_desktop_and_a_phone(
    live_server, browser_page
) -> None:
    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler", username="erin")
    built = build_conference(talks=0, enabler=enabler)
    rita = make_person(name="Rita Reviewer", username="rita")
    with_reviewers(built, rita)
    open_review(built)
    for n, title in enumerate(("Query plans for analysts", "A very long proposal title " * 4)):
        proposal = propose(
            built.conference,
            make_person(name=f"Speaker Number{n}"),
            title.strip(),
            track=built.tracks[n % 2],
        )
        ReviewAssignment.objects.create(proposal=proposal, reviewer=rita)
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "rita")

    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/conferences/devdays/")
        page.get_by_role("link", name="Your reviews").click()
        page.get_by_role("link", name="Query plans for analysts").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe_violations(page) == []
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/conference-review-{width}.png", full_page=True)
        if width == 1280:
            page.get_by_role("button", name="Save the review").click()  # nothing chosen
            assert (
                "Give “Relevance” a score from 1 to 5."
                in page.locator(".error-summary").inner_text()
            )
            assert axe_violations(page) == []
        for n, score in enumerate(("5", "4", "3")):
            page.locator(f"#id_score_{n}").get_by_label(score, exact=False).first.check()
        page.get_by_label("Comment (optional)").fill("Clear and useful.")
        page.get_by_role("button", name=re.compile("Save")).click()
        page.wait_for_url(f"{live_server.url}/conferences/devdays/review/mine/")
        assert "is saved" in page.locator(".messages").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe_violations(page) == []

    page.context.clear_cookies()
    sign_in_with_keyboard(page, live_server.url, "erin")
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/conferences/devdays/plan/")
        page.get_by_role("link", name="Review of proposals").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe_violations(page) == []
        page.get_by_role("link", name="Ranked list and decisions").click()
        assert page.locator("#ranking tbody tr").first.inner_text().startswith("1")
        assert "4.25" in page.locator("#ranking").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe_violations(page) == []
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/conference-ranking-{width}.png", full_page=True)
