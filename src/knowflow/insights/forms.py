"""Forms for insights pages: parse and validate input only; the rules live in services."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from knowflow.accounts.models import Office, OrgUnit
from knowflow.circles.models import Circle
from knowflow.insights.models import DuplicateCluster, RoiCost, RoiStudy
from knowflow.insights.selectors.figures import REGIONS
from knowflow.insights.selectors.periods import DEFAULT_PRESET, PRESET_LABELS


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        choices=[*PRESET_LABELS.items(), ("", "The dates below")],
        required=False,
        initial=DEFAULT_PRESET,
    )
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: QueryDict | None = None) -> None:
        # The selector must show the period the page computes: dates, when given, win over a
        # preset (``period_from``), and no choice at all means the default preset.
        if data is not None:
            data = data.copy()
            if data.get("start") or data.get("end"):
                data["period"] = ""
            elif not data.get("period"):
                data["period"] = DEFAULT_PRESET
        super().__init__(data)


class PatternsForm(PeriodForm):
    """The period, and the region of the audience and a topic: each chooses whole dates."""

    region = forms.ChoiceField(
        choices=[("", "All regions"), *((r, r) for r in REGIONS)], required=False
    )
    topic = forms.SlugField(required=False)


class RepeatRegionForm(forms.Form):
    region = forms.ChoiceField(choices=[(r, r) for r in REGIONS], label="Region")


class RepeatConfirmForm(forms.Form):
    region = forms.ChoiceField(choices=[(r, r) for r in REGIONS], widget=forms.HiddenInput)
    start = forms.DateTimeField(label="Time")
    online_url = forms.CharField(label="Online link", max_length=500)
    capacity = forms.IntegerField(min_value=1, max_value=10_000, label="Places")


class DecisionForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            c for c in DuplicateCluster.Status.choices if c[0] != DuplicateCluster.Status.PROPOSED
        ]
    )
    merged_into = forms.CharField(
        required=False,
        help_text="For a merge, the copy kept: 'session:12' or 'resource:7' (a bare number is "
        "a session id).",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_merged_into(self) -> tuple[str, int] | None:
        """The copy named for a merge as (kind, id); a session and a resource may share an
        id, so the kind is part of the value."""
        value = self.cleaned_data["merged_into"].strip()
        if not value:
            return None
        kind, _, number = value.rpartition(":")
        kind = kind or "session"
        if kind not in ("session", "resource") or not number.isdigit():
            raise forms.ValidationError("Name the copy as 'session:12' or 'resource:7'.")
        return kind, int(number)


class RoiStudyForm(forms.Form):
    title = forms.CharField(max_length=200)
    scope = forms.ChoiceField(choices=RoiStudy.Scope.choices)
    circle = forms.ModelChoiceField(queryset=Circle.objects.all(), required=False)
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    isolation_method = forms.ChoiceField(choices=RoiStudy.Isolation.choices)
    isolation_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    default_hourly_cost = forms.DecimalField(min_value=0, max_digits=10, decimal_places=2)
    attribution_share = forms.DecimalField(
        min_value=0,
        max_value=1,
        initial=1,
        max_digits=4,
        decimal_places=3,
        help_text="The share of the improvement your isolation method found to be due to the "
        "sessions (0–1), applied to every follow-up answer. Not used with participants' "
        "estimates: each answer then counts with the share its respondent gave.",
    )
    hours_saved_cap = forms.DecimalField(min_value=0, initial=40, max_digits=6, decimal_places=1)
    unit_value = forms.DecimalField(
        min_value=0,
        required=False,
        max_digits=10,
        decimal_places=2,
        help_text="Value of one hour saved, the same for every follow-up answer; empty = the "
        "default hourly cost.",
    )
    preparation_ratio = forms.DecimalField(min_value=0, initial=3, max_digits=5, decimal_places=2)
    organiser_hours = forms.DecimalField(min_value=0, initial=0, max_digits=10, decimal_places=1)
    assumptions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RoiCostForm(forms.Form):
    kind = forms.ChoiceField(choices=RoiCost.Kind.choices)
    label = forms.CharField(max_length=200)
    amount = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2)
    source = forms.CharField(max_length=200, required=False)


class RoiTrainingForm(forms.Form):
    course = forms.CharField(max_length=200)
    price = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2)
    people = forms.IntegerField(min_value=0, max_value=1_000_000)
    source = forms.CharField(max_length=200, required=False)


class RoiIntangibleForm(forms.Form):
    text = forms.CharField(max_length=300)


class RoiVersionForm(forms.Form):
    note = forms.CharField(
        max_length=300,
        required=False,
        help_text="Optional: why this version (e.g. 'Q3 report to the leadership team').",
    )


class HourlyCostForm(forms.Form):
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.all(), required=False)
    office = forms.ModelChoiceField(queryset=Office.objects.all(), required=False)
    amount = forms.DecimalField(min_value=0, decimal_places=2, label="Loaded hourly cost")
    source = forms.CharField(max_length=200, required=False)
