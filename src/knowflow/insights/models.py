"""Insights: duplicate clusters and their decisions, the detector's snapshot, loaded hourly
costs, ROI studies, and the dashboard rollups the worker precomputes.

Figures themselves are never stored as truth: rollups are caches with the time they were
computed (shown on the dashboard), and an ROI study stores only its hand-entered inputs —
everything computed from the data is recomputed when the study is read, so it is traceable —
until someone freezes it: a frozen version (``RoiVersion``) keeps the inputs and figures as
they were at that moment, and never changes afterwards. Every hand-entered input records who
entered it and when.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from knowflow.errors import Conflict


class DuplicateCluster(models.Model):
    """Sessions and stand-alone library resources that teach the same thing, proposed by the
    detector or decided by an enabler.

    A decided cluster (duplicate, not a duplicate, merged) is kept through every re-detection
    and its pairs are never proposed again; only undecided clusters are replaced. A session and
    a resource may share an integer id, so every member is named by its kind: the two member
    tables below, ``merged_into`` / ``merged_into_resource``, and ``"a_kind"`` / ``"b_kind"`` in
    the stored pairs.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        DUPLICATE = "duplicate", "Duplicate"
        NOT_DUPLICATE = "not_duplicate", "Not a duplicate"
        MERGED = "merged", "Merged into one copy"

    sessions = models.ManyToManyField("events.Session", related_name="duplicate_clusters")
    # Only resources that belong to no session: a session's recording or slides are compared
    # through the session itself.
    resources = models.ManyToManyField(
        "library.Resource", blank=True, related_name="duplicate_clusters"
    )
    score = models.FloatField(help_text="Highest pair score in the cluster.")
    # Pairs with their score and explanation:
    # [{"a": id, "a_kind": "session" | "resource", "b": id, "b_kind": …, "score": …, "why": {…}}].
    pairs = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    merged_into = models.ForeignKey(
        "events.Session", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into_resource = models.ForeignKey(
        "library.Resource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "id"]
        indexes = [models.Index(fields=["status"])]
        constraints = [
            # The service makes a merge name exactly one copy; the database only refuses a
            # merge naming two, or a target on an unmerged cluster. It cannot insist on one:
            # deleting the copy (a library resource is deleted in the normal course of
            # things) sets the target to NULL and must not fail.
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=True)
                | Q(status="merged", merged_into_resource__isnull=True)
                | Q(merged_into__isnull=True, merged_into_resource__isnull=True),
                name="merged_cluster_names_one_copy",
            )
        ]

    def __str__(self) -> str:
        return f"Cluster {self.pk} ({self.get_status_display()})"

    @property
    def merged_into_copy(self) -> object | None:
        """The session or resource the copies were merged into (None once it is deleted)."""
        return self.merged_into or self.merged_into_resource


class DetectorSnapshot(models.Model):
    """The corpus statistics of the last full detection (numpy arrays, ``np.savez``), so that
    one new proposal is scored the way the whole catalogue was, in milliseconds."""

    stats = models.BinaryField()
    sessions = models.PositiveIntegerField()
    # db_default: a process still running the previous release can write a snapshot.
    resources = models.PositiveIntegerField(
        default=0,
        db_default=0,
        help_text="Stand-alone library resources compared with the sessions.",
    )
    pairs = models.PositiveIntegerField()
    seconds = models.FloatField()
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["-built_at"]
        get_latest_by = "built_at"

    def __str__(self) -> str:
        return f"Detector snapshot of {self.built_at:%Y-%m-%d %H:%M} UTC ({self.sessions} sessions)"


class HourlyCost(models.Model):
    """Loaded hourly cost (salary, benefits, overhead) of people in an org unit or an office.

    A person's cost is their org unit's (or the nearest parent unit's), else their office's,
    else the ROI study's default.
    """

    org_unit = models.OneToOneField(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    office = models.OneToOneField(
        "accounts.Office", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    source = models.CharField(max_length=200, blank=True, help_text="Where the figure comes from.")
    # Who set the current amount and when (empty for amounts set before this was recorded).
    set_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(org_unit__isnull=False, office__isnull=True)
                | Q(org_unit__isnull=True, office__isnull=False),
                name="hourly_cost_for_one_unit_or_office",
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_unit or self.office}: {self.amount}/h"


class HourlyCostChange(models.Model):
    """Every hourly cost set, with the amount it replaced: an input of every ROI study's cost
    lines, so each study's history lists them (the current amount alone would hide a change)."""

    subject = models.CharField(max_length=200, help_text="'org unit Team A' or 'office Berlin'.")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    previous = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)
    changed_by = models.ForeignKey(
        "accounts.Person", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject}: {self.previous} → {self.amount}"


class RoiStudy(models.Model):
    """An ROI study (Phillips ROI Methodology) of a programme, a circle or a period."""

    class Scope(models.TextChoices):
        PROGRAMME = "programme", "The whole programme"
        CIRCLE = "circle", "One circle"
        PERIOD = "period", "A period"

    class Isolation(models.TextChoices):
        CONTROL_GROUP = "control_group", "Control group"
        TREND_LINE = "trend_line", "Trend line analysis"
        PARTICIPANT_ESTIMATE = "participant_estimate", "Participants' estimate (attribution share)"
        MANAGER_ESTIMATE = "manager_estimate", "Managers' estimate"
        EXPERT_ESTIMATE = "expert_estimate", "Expert estimate"

    title = models.CharField(max_length=200)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.PROGRAMME)
    circle = models.ForeignKey(
        "circles.Circle", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    isolation_method = models.CharField(max_length=24, choices=Isolation.choices)
    isolation_note = models.TextField(help_text="How the effect of the sessions was isolated.")
    attribution_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="Share of the improvement attributed to the sessions (0–1) by the isolation "
        "method, applied to every follow-up answer; not used with participants' estimates, where "
        "each answer carries its own.",
    )
    hours_saved_cap = models.DecimalField(
        max_digits=6,
        decimal_places=1,
        default=Decimal("40"),
        help_text="Extreme-value rule: a claim of more hours saved per month than this is "
        "excluded (and listed as excluded).",
    )
    unit_value = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Value of one hour saved, the same for every follow-up answer; empty = the "
        "study's default hourly cost.",
    )
    default_hourly_cost = models.DecimalField(max_digits=10, decimal_places=2)
    preparation_ratio = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("3"),
        help_text="Hours of preparation per hour delivered, the first time a session is given.",
    )
    organiser_hours = models.DecimalField(max_digits=10, decimal_places=1, default=Decimal("0"))
    assumptions = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "accounts.Person", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="roi_period_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(scope="circle") | Q(circle__isnull=False),
                name="roi_circle_scope_names_circle",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RoiCost(models.Model):
    """A cost entered by hand: tooling, venue, catering, external fees."""

    class Kind(models.TextChoices):
        TOOLING = "tooling", "Tooling"
        OTHER = "other", "Other"

    study = models.ForeignKey(RoiStudy, on_delete=models.CASCADE, related_name="costs")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TOOLING)
    label = models.CharField(max_length=200)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    source = models.CharField(max_length=200, blank=True)
    # Who entered it and when (empty for inputs entered before this was recorded).
    added_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"


class RoiTrainingAvoided(models.Model):
    """An external course the sessions replaced: its price × the people who did not need it."""

    study = models.ForeignKey(RoiStudy, on_delete=models.CASCADE, related_name="training_avoided")
    course = models.CharField(max_length=200)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    people = models.PositiveIntegerField()
    source = models.CharField(max_length=200, blank=True)
    # Who entered it and when (empty for inputs entered before this was recorded).
    added_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.course}: {self.people} × {self.price}"


class RoiIntangible(models.Model):
    """A benefit reported but never converted to money (Phillips: intangibles stay listed)."""

    study = models.ForeignKey(RoiStudy, on_delete=models.CASCADE, related_name="intangibles")
    text = models.CharField(max_length=300)
    # Who entered it and when (empty for inputs entered before this was recorded).
    added_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text


class FrozenVersion(Conflict):
    """A frozen ROI version was about to change."""


class RoiVersion(models.Model):
    """An ROI study frozen at a moment: its inputs and figures as they were, never changed.

    Figures are recomputed whenever a study is read (new attendance, new follow-ups, another
    hourly cost), so a report handed to leadership needs a version that stays as it was. The
    row is written once, whole; ``save`` and ``delete`` refuse anything after that.
    """

    study = models.ForeignKey(RoiStudy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    frozen_at = models.DateTimeField()
    frozen_by = models.ForeignKey(
        "accounts.Person", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    # The study's settings and every hand-entered input with who entered it and when.
    inputs = models.JSONField()
    # Costs, benefits, ratio, ROI %, every trace line, intangibles and assumptions (strings).
    figures = models.JSONField()

    class Meta:
        ordering = ["study", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="roi_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.study} v{self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise FrozenVersion(
                f"Version {self.number} is frozen and never changes; freeze a new version "
                "to record new figures."
            )
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise FrozenVersion(f"Version {self.number} is frozen and cannot be deleted.")


class DashboardRollup(models.Model):
    """Dashboard figures for one period, computed by the worker (a cache, with its age)."""

    period = models.CharField(max_length=32, help_text="Preset name, e.g. 'last-90-days'.")
    start = models.DateTimeField()
    end = models.DateTimeField()
    figures = models.JSONField()
    computed_at = models.DateTimeField()
    seconds = models.FloatField()

    class Meta:
        ordering = ["-computed_at"]
        constraints = [models.UniqueConstraint(fields=["period"], name="one_rollup_per_period")]

    def __str__(self) -> str:
        return f"{self.period} as of {self.computed_at:%Y-%m-%d %H:%M} UTC"
