"""Forms at the boundary: a survey form built from a template version's questions.

Fields are all optional here: whether an answer is required, and whether a value fits, is
decided once in `services.survey_response_submit`, whose errors are attached to the fields.
"""

from __future__ import annotations

from typing import Any

from django import forms

from knowflow.feedback.models import Question


class SurveyForm(forms.Form):
    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            label = question.text + ("" if question.required else " (optional)")
            common = {"label": label, "required": False, "help_text": question.help_text}
            choices = [(str(o["value"]), o["label"]) for o in question.options]
            if question.type == Question.Type.TEXT:
                field: forms.Field = forms.CharField(
                    widget=forms.Textarea(attrs={"rows": 3}), **common
                )
            elif question.type == Question.Type.MULTI:
                field = forms.MultipleChoiceField(
                    choices=choices, widget=forms.CheckboxSelectMultiple, **common
                )
            else:
                # Any string is accepted here, so the service gives the one clear message for
                # a value outside the choices (a 12 on a 0–10 scale).
                field = forms.CharField(widget=forms.RadioSelect(choices=choices), **common)
            self.fields[question.key] = field

    def answers(self) -> dict[str, Any]:
        raw = {}
        for question in self.questions:
            if question.type == Question.Type.MULTI:
                raw[question.key] = (
                    self.data.getlist(question.key)
                    if hasattr(self.data, "getlist")
                    else self.data.get(question.key, [])
                )
            else:
                raw[question.key] = self.data.get(question.key, "")
        return raw


class RetrospectiveForm(forms.Form):
    went_well = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    to_change = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    hybrid_notes = forms.CharField(
        label="How the hybrid set-up worked for remote attendees",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class ActionForm(forms.Form):
    text = forms.CharField(max_length=300)
    owner = forms.IntegerField(required=False)
