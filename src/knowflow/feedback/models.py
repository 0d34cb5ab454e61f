"""Survey templates and their questions, survey requests, responses, answers, tallies and
retrospectives.

Privacy is decided by the shape of these tables, not by the code that reads them:

- A `Response` has no column that names a person or the request that produced it. For a
  *named* template the link lives in a separate table, `ResponseAuthor`; for an *anonymous*
  template no such row is ever written, so no query, page, export or admin screen can join a
  response back to a person.
- A second answer to the same survey is refused by `Response.submission_key`, a keyed hash
  (HMAC with the project's SECRET_KEY) of the person, the occurrence and the survey kind. It
  is unique, so the database refuses a duplicate even under a race, and it cannot be turned
  back into a person without the secret key.
- An anonymous response carries no timestamp (only `SurveyRequest.status` records that the
  person answered, with no time): matching "answered at 10:03:12" against "submitted at
  10:03:12" would otherwise undo the anonymity.
- The segment a response belongs to (attendance mode, org unit, office) is copied onto it, so
  results can be cut by those; every cut is hidden below the minimum group size *k*
  (`selectors`), and the admin does not list responses at all.

Templates are versioned: a question is never edited in place. Revising a template writes a new
version with new questions; answers keep pointing at the questions they answered, so editing
never changes an answer already given, nor the standards it was judged by.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    """What a survey is for; also the slot a request fills for an attendee."""

    AFTER_SESSION = "after_session", "After the session"
    FOLLOW_UP_7 = "follow_up_7", "Follow-up after 7 days"
    FOLLOW_UP_30 = "follow_up_30", "Follow-up after 30 days"
    FOLLOW_UP_90 = "follow_up_90", "Follow-up after 90 days"
    RETROSPECTIVE = "retrospective", "Trainer retrospective"


FOLLOW_UP_DAYS: dict[str, int] = {Kind.FOLLOW_UP_7: 7, Kind.FOLLOW_UP_30: 30, Kind.FOLLOW_UP_90: 90}


class Standard(models.TextChoices):
    """How an answer is judged, fixed in the template before any data is collected."""

    UNACCEPTABLE = "unacceptable", "Unacceptable"
    ACCEPTABLE = "acceptable", "Acceptable"
    SUPERIOR = "superior", "Superior"


class SurveyTemplate(models.Model):
    """One version of a survey. `family` ties the versions of the same survey together."""

    family = models.SlugField(max_length=80)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    anonymous = models.BooleanField(default=True)
    # The template new requests of its kind use (one current default per kind).
    is_default = models.BooleanField(default=False)
    # Shipped with Knowflow (loaded by a data migration); enablers copy it to change it.
    shipped = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "version"], name="survey_template_version_unique"
            ),
            models.UniqueConstraint(
                fields=["family"], condition=Q(is_current=True), name="survey_template_one_current"
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(is_current=True, is_default=True),
                name="survey_template_one_default_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class Question(models.Model):
    class Type(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTI = "multi", "Multiple choice"
        SCALE = "scale", "0–10 scale"
        TEXT = "text", "Free text"

    class Kirkpatrick(models.IntegerChoices):
        REACTION = 1, "1 Reaction"
        LEARNING = 2, "2 Learning"
        BEHAVIOUR = 3, "3 Behaviour"
        RESULTS = 4, "4 Results"

    class Ltem(models.TextChoices):
        ATTENDANCE = "1", "1 Attendance"
        ACTIVITY = "2", "2 Activity"
        PERCEIVED_EFFECTIVENESS = "3A", "3A Learner perceptions: effectiveness"
        SATISFACTION = "3B", "3B Learner perceptions: satisfaction and reputation"
        KNOWLEDGE = "4", "4 Knowledge"
        DECISION = "5", "5 Decision-making competence"
        TASK = "6", "6 Task competence"
        TRANSFER = "7", "7 Transfer"
        EFFECTS = "8", "8 Effects of transfer"

    # A survey answer is the person's own account of themselves: learner perception (3A, 3B),
    # whatever it is about, or for a speaker's retrospective the activity (2). Tiers 4-8 need
    # evidence someone observed or measured (a scored test, a completed task, a figure a
    # manager or a system entered), and attendance (1) is recorded, not asked.
    SURVEY_LTEM_TIERS = ("2", "3A", "3B")

    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    # Stable across versions ("apply_now"), so results can follow a question through revisions.
    key = models.SlugField(max_length=60)
    text = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    type = models.CharField(max_length=8, choices=Type.choices)
    required = models.BooleanField(default=True)
    kirkpatrick = models.PositiveSmallIntegerField(choices=Kirkpatrick.choices)
    ltem = models.CharField(max_length=2, choices=Ltem.choices)
    # Choice and scale questions: [{"value": "able", "label": "…", "standard": "acceptable"}].
    # A scale question lists 0…10. Fixed with the version, so the standard an answer was
    # judged by cannot change after the fact.
    options = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "key"], name="question_key_unique_in_template"
            ),
            models.UniqueConstraint(
                fields=["template", "position"], name="question_position_unique_in_template"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_choice(self) -> bool:
        return self.type in (self.Type.SINGLE, self.Type.MULTI, self.Type.SCALE)

    def option_map(self) -> dict[str, dict]:
        return {str(option["value"]): option for option in self.options}


class SurveyRequest(models.Model):
    """One person asked to answer one survey about one occurrence.

    The personal link's token is never stored, only its SHA-256 (`SurveyLink`), like API tokens.
    `next_action_at` is when the dispatcher must look at this request next (send it, remind,
    expire); it is indexed with the status, so finding what is due among millions of requests
    is one index range scan.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        ANSWERED = "answered", "Answered"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    occurrence = models.ForeignKey(
        "events.Occurrence", on_delete=models.CASCADE, related_name="survey_requests"
    )
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="survey_requests"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="requests")
    # How the person attended (copied at request time; a retrospective has "speaker").
    mode = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    due_at = models.DateTimeField()
    next_action_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminder_sent = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    # The person asked, on their follow-up, that the company's learning record be told they
    # applied it (xAPI): the day that statement is written, with every other of that day, in
    # the order of these requests (made when the date ended), not of the answers — so neither
    # the queue's row order nor the statement's time points to their anonymous response.
    applied_shared_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_action_at"], name="survey_request_due"),
            # Read on every outbound pass (xapi_applied_enqueue_due): only the few marked rows.
            models.Index(
                fields=["applied_shared_on"],
                condition=models.Q(applied_shared_on__isnull=False),
                name="survey_request_applied_due",
            ),
            models.Index(fields=["person", "status"], name="survey_request_person"),
            models.Index(fields=["occurrence", "kind", "status"], name="survey_request_occ"),
        ]
        constraints = [
            # One request per person, occurrence and kind: a re-run scan cannot ask twice.
            models.UniqueConstraint(
                fields=["occurrence", "person", "kind"], name="one_survey_request_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.person} ({self.status})"


class SurveyLink(models.Model):
    """A personal, single-use link: the SHA-256 of its token, never the token itself.

    A request has one link per email sent (the request, then the reminder): the raw token only
    exists inside the email, so the reminder needs a fresh one. Every link of a request stops
    working once the request is answered or expires.
    """

    request = models.ForeignKey(SurveyRequest, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"link for request {self.request_id}"


class Response(models.Model):
    """One submitted survey. Deliberately no person, no request and no timestamp: see the
    module docstring. Named surveys add a `ResponseAuthor` row."""

    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="responses")
    occurrence = models.ForeignKey(
        "events.Occurrence", on_delete=models.CASCADE, related_name="survey_responses"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The segment, copied when answering (the person may change team later).
    mode = models.CharField(max_length=16)
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    office = models.ForeignKey(
        "accounts.Office", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submission_key = models.CharField(max_length=64, unique=True)

    class Meta:
        indexes = [models.Index(fields=["occurrence", "kind"], name="response_occurrence_kind")]

    def __str__(self) -> str:
        return f"response {self.pk} ({self.kind})"


class ResponseAuthor(models.Model):
    """Who wrote a response to a *named* survey (a retrospective, a named follow-up).

    Never written for an anonymous template: the service refuses, and this table is the only
    place a person and a response meet.
    """

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="author")
    person = models.ForeignKey("accounts.Person", on_delete=models.CASCADE, related_name="+")
    request = models.OneToOneField(
        SurveyRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.person} wrote response {self.response_id}"


class Answer(models.Model):
    """One value given to one question: a multiple choice answer is one row per option."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    # Copied from the response so a session's comments are one index range away, whatever
    # the number of answers (the results page reads the latest comments of a question).
    occurrence = models.ForeignKey(
        "events.Occurrence", null=True, on_delete=models.CASCADE, related_name="+"
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.CharField(max_length=60, blank=True)  # option value, or the scale number
    text = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["response", "question"], name="answer_response_question"),
            models.Index(fields=["occurrence", "question"], name="answer_occurrence_question"),
        ]

    def __str__(self) -> str:
        return f"{self.question.key}={self.value or self.text[:20]}"


TALLY_COLUMNS = (
    "responses",
    "unacceptable",
    "acceptable",
    "superior",
    "applied_asked",
    "applied_yes",
)


class Tally(models.Model):
    """Running counts of responses, added to with each response, never read singly: two
    concurrent first answers of the same key may write two rows, and the sums stay right."""

    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    mode = models.CharField(max_length=16)
    responses = models.PositiveIntegerField(default=0)
    # Judged answers of the choice questions, by their standard.
    unacceptable = models.PositiveIntegerField(default=0)
    acceptable = models.PositiveIntegerField(default=0)
    superior = models.PositiveIntegerField(default=0)
    # Follow-ups: how many answered the "applied" question, and how many said they applied it.
    applied_asked = models.PositiveIntegerField(default=0)
    applied_yes = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class ResponseTally(Tally):
    """Counts per occurrence and segment (mode, org unit, office).

    The results page reads these instead of the responses, and so do the programme view's
    office and org-unit cuts, which need the segments.
    """

    occurrence = models.ForeignKey("events.Occurrence", on_delete=models.CASCADE, related_name="+")
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    office = models.ForeignKey(
        "accounts.Office", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # Covering for per-occurrence counts by survey version, and a prefix for every
        # per-occurrence read.
        indexes = [
            models.Index(
                fields=["occurrence", "kind", "template", "responses"],
                name="tally_occurrence_cover",
            )
        ]

    def __str__(self) -> str:
        return f"tally {self.occurrence_id} {self.kind} {self.mode}"


class SessionTally(Tally):
    """Counts per session, survey version and attendance mode.

    `ResponseTally` with the occurrences, org units and offices summed away, written in the
    same transaction as each response. The programme and evidence views read these: a few
    rows per session instead of about one per response (at a million responses, 940,000
    `ResponseTally` rows against 262,000 here, three modes and four surveys per session).
    `feedback_tallies_rebuild` recomputes them from `ResponseTally`.
    """

    session = models.ForeignKey("events.Session", on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [
            # Covering for the programme view: its sums are read from the index alone.
            models.Index(
                fields=["kind", "session", "mode", *TALLY_COLUMNS], name="session_tally_cover"
            ),
            models.Index(fields=["session", "template"], name="session_tally_session"),
        ]

    def __str__(self) -> str:
        return f"session tally {self.session_id} {self.kind} {self.mode}"


class AnswerTally(models.Model):
    """Running count of one answer value per occurrence, question and segment.

    `value` is an option's value; the empty value counts the responses that answered the
    question at all (for a multiple choice question that is not the sum of its options). The
    results page sums these rows instead of reading every answer. Summed, never read singly,
    like `ResponseTally`.
    """

    occurrence = models.ForeignKey("events.Occurrence", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=60, blank=True)
    mode = models.CharField(max_length=16)
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    office = models.ForeignKey(
        "accounts.Office", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["occurrence", "kind"], name="answer_tally_occurrence")]

    def __str__(self) -> str:
        return f"{self.question_id}={self.value}: {self.count}"


class Retrospective(models.Model):
    """The speakers' and organisers' look back at one occurrence, with its actions.

    The row holds the current text; every save also writes a `RetrospectiveVersion`, so an
    edit never loses what was written before and the history can be read back.
    """

    occurrence = models.OneToOneField(
        "events.Occurrence", on_delete=models.CASCADE, related_name="retrospective"
    )
    went_well = models.TextField(blank=True)
    to_change = models.TextField(blank=True)
    hybrid_notes = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    # The number of the latest version; an edit says which version it started from, so two
    # people editing at once cannot silently overwrite each other.
    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"retrospective of {self.occurrence_id}"


class RetrospectiveVersion(models.Model):
    """One saved state of a retrospective's text: written on every save, never changed."""

    retrospective = models.ForeignKey(
        Retrospective, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    went_well = models.TextField(blank=True)
    to_change = models.TextField(blank=True)
    hybrid_notes = models.TextField(blank=True)
    saved_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_at = models.DateTimeField()

    class Meta:
        ordering = ["retrospective", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["retrospective", "number"], name="retrospective_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"version {self.number} of retrospective {self.retrospective_id}"


class RetrospectiveAction(models.Model):
    """Something to do after a session. Anyone may own one (the room's AV team, a manager),
    not only the speakers; the owner sees it among their to-dos and may mark it done."""

    retrospective = models.ForeignKey(
        Retrospective, on_delete=models.CASCADE, related_name="actions"
    )
    text = models.CharField(max_length=300)
    owner = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    done = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["done", "created_at", "id"]
        indexes = [
            # The programme's open actions, soonest due first; and each owner's open actions.
            models.Index(fields=["done", "due_on"], name="retro_action_open"),
            models.Index(fields=["owner", "done"], name="retro_action_owner"),
        ]

    def __str__(self) -> str:
        return self.text
