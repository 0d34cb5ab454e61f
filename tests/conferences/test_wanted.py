"""Audience interest before the programme exists: members say which proposed talks they would
like to see, without the speakers' names; organisers see how many; an accepted proposal's
stars become its talk's (the agenda and the programme's audience data)."""

from __future__ import annotations

import pytest

from knowflow.conferences import proposals, selectors
from knowflow.conferences.models import Proposal, ProposalStar, Star
from knowflow.conferences.services import talk_add
from knowflow.errors import Conflict
from tests.conferences.conftest import build_conference
from tests.conftest import signed_in
from tests.factories import make_person, make_session

pytestmark = pytest.mark.django_db


def proposal(built, *, title: str = "Kafka at scale", state: str = "submitted", **kw) -> Proposal:
    speaker = kw.pop("speaker", None) or make_person(name="Ravi Raman")
    return Proposal.objects.create(
        conference=built.conference,
        submitter=speaker,
        title=title,
        abstract=kw.pop("abstract", "Ravi Raman shows how our team runs Kafka at scale."),
        format="talk",
        state=state,
        **kw,
    )


def test_members_want_proposals_without_seeing_who_proposed_them() -> None:
    built = build_conference(talks=0)
    wanted = proposal(built)
    proposal(built, title="Secret draft", state="draft")
    member = signed_in(make_person())

    page = member.get("/conferences/devdays/cfp/wanted/").content.decode()
    assert "Kafka at scale" in page and "Secret draft" not in page
    assert "Ravi" not in page and "Raman" not in page
    assert "[speaker] shows how our team runs Kafka at scale." in page
    assert "would like to see it</span>" not in page  # counts are the organisers'

    answer = member.post(f"/conferences/devdays/cfp/{wanted.pk}/want/", {"wanted": "1"})
    assert answer["Location"].endswith(f"#proposal-{wanted.pk}")
    assert ProposalStar.objects.count() == 1
    page = member.get("/conferences/devdays/cfp/wanted/").content.decode()
    assert "You would like to see it" in page
    organiser = signed_in(built.enabler).get("/conferences/devdays/cfp/wanted/").content.decode()
    assert "1 would like to see it" in organiser

    member.post(f"/conferences/devdays/cfp/{wanted.pk}/want/", {"wanted": "0"})
    assert ProposalStar.objects.count() == 0


def test_the_organisers_anonymised_abstract_is_what_members_read() -> None:
    built = build_conference(talks=0)
    proposal(built, anonymised_abstract="How one team runs Kafka at scale.")
    page = signed_in(make_person()).get("/conferences/devdays/cfp/wanted/").content.decode()
    assert "How one team runs Kafka at scale." in page and "[speaker]" not in page


@pytest.mark.parametrize("state", ["draft", "withdrawn", "rejected"])
def test_only_submitted_or_accepted_proposals_can_be_wanted(state: str) -> None:
    built = build_conference(talks=0)
    closed = proposal(built, state=state)
    with pytest.raises(Conflict):
        proposals.proposal_star_set(actor=make_person(), proposal=closed, starred=True)
    answer = signed_in(make_person()).post(
        f"/conferences/devdays/cfp/{closed.pk}/want/", {"wanted": "1"}
    )
    assert answer.status_code == 302
    assert ProposalStar.objects.count() == 0


def test_bad_want_requests_change_nothing() -> None:
    built = build_conference(talks=0)
    wanted = proposal(built)
    client = signed_in(make_person())
    assert (
        client.post(f"/conferences/devdays/cfp/{wanted.pk}/want/", {"wanted": "2"}).status_code
        == 302
    )
    assert client.post("/conferences/devdays/cfp/99999/want/", {"wanted": "1"}).status_code == 404
    assert client.get(f"/conferences/devdays/cfp/{wanted.pk}/want/").status_code == 405
    assert ProposalStar.objects.count() == 0


def test_an_accepted_proposals_stars_become_its_talks() -> None:
    built = build_conference(talks=0)
    wanted = proposal(built)
    fans = [make_person() for _ in range(3)]
    for fan in fans:
        proposals.proposal_star_set(actor=fan, proposal=wanted, starred=True)
    session = make_session(title="Kafka at scale", speakers=[wanted.submitter])
    wanted.talk = talk_add(actor=built.enabler, conference=built.conference, session=session)
    wanted.state = Proposal.State.ACCEPTED
    wanted.save()

    assert proposals.proposal_stars_to_talk(proposal=wanted) == 3
    assert proposals.proposal_stars_to_talk(proposal=wanted) == 0  # once
    assert selectors.interest_of(conference=built.conference) == {
        fan.pk: {session.pk} for fan in fans
    }
    late = make_person()
    proposals.proposal_star_set(actor=late, proposal=wanted, starred=True)
    assert Star.objects.filter(person=late, talk=wanted.talk).exists()
