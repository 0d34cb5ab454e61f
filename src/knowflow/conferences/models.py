"""Internal tech conferences: the conference, its tracks, its talks (ordinary sessions) and the
releases of its programme.

A talk is a session of the events app put into a conference: registration, feedback and the
library work on it as on any session, and its time and room are its session's date. What
people outside see is never the live data but the latest `Release`: the whole schedule
document as it was published, so the exports read one row whatever the size and a change to a
session reaches them only when an organiser publishes again.
"""

from __future__ import annotations

import uuid

from django.db import models


class Conference(models.Model):
    name = models.CharField(max_length=120)
    # Also the first segment of the export URLs (/<slug>/schedule.json), so a slug may not be
    # a word the site's own URLs begin with (services refuse those).
    slug = models.SlugField(max_length=50, unique=True)
    # The c3voc "acronym", derived from the slug once: schedule apps key their data on it.
    acronym = models.CharField(max_length=60, unique=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    timezone = models.CharField(max_length=64, help_text="An IANA zone, e.g. Europe/Berlin.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conferences_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The grid the automatic programme fills: every day of the conference has a period at each
    # of these local times ("09:30"), each `slot_minutes` long, in each of `rooms`.
    slot_times = models.JSONField(default=list, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(default=45)
    # How long a talk of each format lasts ({"lightning": 15, "workshop": 90}); a format not
    # named lasts `slot_minutes`. A talk goes only in periods at least that long.
    format_minutes = models.JSONField(default=dict, blank=True)
    rooms = models.ManyToManyField("events.Room", blank=True, related_name="conferences")
    # The call for proposals: open from/until (None: not announced), the formats it takes (Session
    # formats), the questions every proposal answers.
    cfp_opens_at = models.DateTimeField(null=True, blank=True)
    cfp_closes_at = models.DateTimeField(null=True, blank=True)
    cfp_formats = models.JSONField(default=list, blank=True)
    cfp_questions = models.JSONField(default=list, blank=True)
    # Review: who reviews, the score categories with their weights ([{"name", "weight"}]), and
    # whether reviewing is open (a phase the organisers open and close).
    reviewers = models.ManyToManyField(
        "accounts.Person", blank=True, related_name="conferences_reviewed"
    )
    review_categories = models.JSONField(default=list, blank=True)
    review_open = models.BooleanField(default=False)
    # The library collection its recordings were gathered into (the follow-up report's button):
    # kept by reference, so a collection someone else names alike is never taken for it.
    recordings_collection = models.ForeignKey(
        "library.Collection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="conference_ends_on_or_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Track(models.Model):
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=90)
    colour = models.CharField(max_length=7, help_text="#rrggbb")

    class Meta:
        ordering = ["conference", "name"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "slug"], name="track_slug_unique"),
            models.UniqueConstraint(fields=["conference", "name"], name="track_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ConferenceTalk(models.Model):
    """A session given at a conference. Its `guid` is made once and never changes: schedule
    apps, video pipelines and calendars recognise the talk by it from release to release."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="talks")
    session = models.OneToOneField(
        "events.Session", on_delete=models.CASCADE, related_name="conference_talk"
    )
    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="talks"
    )
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    added_at = models.DateTimeField(auto_now_add=True)
    # Pinned by an organiser: the automatic programme keeps it where its date is now.
    pinned = models.BooleanField(default=False)

    class Meta:
        ordering = ["conference", "id"]

    def __str__(self) -> str:
        return f"{self.session} at {self.conference}"


class Release(models.Model):
    """One published version of the programme, kept for ever: the changelog is the list of
    releases, and the exports are rendered from the newest one."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="releases")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conference_releases",
    )
    # The c3voc schedule document (schedule.json) exactly as published.
    schedule = models.JSONField()
    # The changelog lines against the previous release, in the conference's time zone.
    changes = models.JSONField(default=list)

    class Meta:
        ordering = ["conference", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "number"], name="release_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.conference} release {self.number}"


class Star(models.Model):
    """A member wants to see a talk: the talk is in their agenda (and its calendar file), and
    the organisers' interest counts and the programme's audience-conflict data are the stars
    of everyone. Who starred what is never shown to anyone else."""

    talk = models.ForeignKey(ConferenceTalk, on_delete=models.CASCADE, related_name="stars")
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="conference_stars"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["talk", "person"], name="star_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person} wants to see {self.talk}"


class ProgrammeDraft(models.Model):
    """A programme the solver proposed (and organisers may have edited by hand), not yet
    written to the talks' dates. It keeps the problem it was built from, so a hand move is
    checked against the same data, and the fingerprint of the conference's talks, rooms,
    periods and pins, so applying a draft made before they changed is refused."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="drafts")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="programme_drafts",
    )
    problem = models.JSONField()  # the problem-B instance (knowflow.programme's format)
    names = models.JSONField(default=dict)  # ids of talks, rooms, speakers → readable names
    fingerprint = models.CharField(max_length=64)
    assignment = models.JSONField()  # {talk guid: [period id, room id]}
    previous = models.JSONField(default=dict)  # the talks' places when it was built
    status = models.CharField(max_length=16)  # "optimal" or "feasible" (the best found)
    bound = models.IntegerField()
    seconds = models.FloatField()
    edits = models.PositiveIntegerField(default=0)  # moves made by hand since the solver
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conference", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"Programme draft {self.pk} of {self.conference}"


class Proposal(models.Model):
    """A talk someone proposes to a conference's call. Drafts are the submitter's own; a
    submitted proposal is reviewed; an accepted one becomes a session and a talk."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        WITHDRAWN = "withdrawn", "Withdrawn"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Not accepted"

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="proposals")
    submitter = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="conference_proposals"
    )
    title = models.CharField(max_length=200)
    abstract = models.TextField()
    # What reviewers read: the abstract without what gives the speakers away (organisers edit it).
    anonymised_abstract = models.TextField(blank=True)
    format = models.CharField(max_length=16)
    level = models.CharField(max_length=16, default="introductory")
    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    answers = models.JSONField(default=dict, blank=True)  # question → answer
    # When the speakers can give it: conference days (ISO dates) and, on those days, from/until
    # in the submitter's own time zone (kept with the zone it was written in).
    available_days = models.JSONField(default=list, blank=True)
    available_from = models.TimeField(null=True, blank=True)
    available_until = models.TimeField(null=True, blank=True)
    available_zone = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    talk = models.OneToOneField(
        ConferenceTalk, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposal"
    )

    class Meta:
        ordering = ["conference", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ProposalSpeaker(models.Model):
    """A co-speaker named on a proposal; they confirm before the proposal counts them."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="speakers")
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="proposals_as_speaker"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposal", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "person"], name="proposal_speaker_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.proposal}"


class ReviewAssignment(models.Model):
    """A proposal given to a reviewer to score."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="review_assignments"
    )
    reviewer = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="review_assignments"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "reviewer"], name="review_assignment_once")
        ]

    def __str__(self) -> str:
        return f"{self.proposal} for {self.reviewer}"


class Review(models.Model):
    """A reviewer's scores (category → 1..5) and comment on a proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="conference_reviews"
    )
    scores = models.JSONField(default=dict)
    comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "reviewer"], name="review_once")]

    def __str__(self) -> str:
        return f"{self.reviewer}'s review of {self.proposal}"


class ProposalStar(models.Model):
    """A member would like to see a proposed talk: before the programme exists, the audience
    interest the organisers weigh; when the proposal is accepted, the star moves to its talk
    (the member's agenda, the programme's audience-conflict data)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="stars")
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="proposal_stars"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "person"], name="proposal_star_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} would see {self.proposal}"


class TrackReviewer(models.Model):
    """A reviewer of one track's proposals: when a track has reviewers, its proposals go to them
    only (a team per track); a proposal with no track, or of a track with none, goes to any of
    the conference's reviewers."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="reviewers")
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="tracks_reviewed"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["track", "person"], name="track_reviewer_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} reviews {self.track}"
