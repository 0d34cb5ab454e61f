"""Forms for asking for a topic, voting and merging."""

from __future__ import annotations

from django import forms

from knowflow.demand.models import FORMATS, LEVELS
from knowflow.topics.forms import TopicsField


class AskForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        label="What do you need?",
        help_text="One sentence, e.g. “An intro to Terraform for data engineers”.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="More detail",
        help_text="Optional: your context, what you tried. Markdown.",
    )
    topics = TopicsField()
    format = forms.ChoiceField(choices=FORMATS, required=False, label="Preferred format")
    level = forms.ChoiceField(choices=LEVELS, required=False)
    # Set once the person has seen the similar open requests and still wants a new one.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class VoteForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        label="Why you need it (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeForm(forms.Form):
    into = forms.IntegerField(
        min_value=1,
        label="Merge into request number",
        help_text="The number at the end of the other request's address (/requests/12/).",
    )
