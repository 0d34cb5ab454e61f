"""Forms at the boundary: a survey form built from a template version's questions, and the
form that edits a template (its questions and their options as rows).

Fields are all optional here: whether an answer is required, and whether a value fits, is
decided once in `services.survey_response_submit`; whether a question is well made, in
`services.question_validate` and the template services. Their errors are attached to the
fields.
"""

from __future__ import annotations

from typing import Any

from django import forms

from knowflow.errors import DomainError
from knowflow.feedback.models import Kind, Question, Standard, SurveyTemplate
from knowflow.feedback.services.templates import question_validate
from knowflow.web.errors import add_to_form


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
    went_well = forms.CharField(
        label="What went well", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    to_change = forms.CharField(
        label="What to change next time", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    hybrid_notes = forms.CharField(
        label="How the hybrid set-up worked for remote attendees",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    # The version the editor started from: a newer one saved meanwhile is not overwritten.
    based_on = forms.IntegerField(
        min_value=0,
        widget=forms.HiddenInput,
        error_messages={
            "required": "Open the retrospective's page and save from there: the form did not "
            "say which version it started from, so nothing was saved."
        },
    )


class ActionForm(forms.Form):
    text = forms.CharField(label="Action", max_length=300)
    owner = forms.CharField(
        label="Owner",
        required=False,
        max_length=160,
        help_text="Anyone in the organisation: type their name (or leave it empty).",
        widget=forms.TextInput(attrs={"list": "owner-suggestions", "autocomplete": "off"}),
    )
    due_on = forms.DateField(
        label="Due date (optional)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


# Editing a survey template -----------------------------------------------------------------

# Question fields a service error can name; such an error belongs to one question row.
QUESTION_ERROR_FIELDS = ("key", "text", "type", "kirkpatrick", "ltem", "options")
# A 0–10 scale lists eleven options, so its rows are padded to eleven.
SCALE_ROWS = 11
MAX_ROWS = 100  # posted row counts are capped: a form is not a way to make the server loop


def _count(data: Any, name: str) -> int:
    try:
        return max(0, min(int(data.get(name, 0)), MAX_ROWS))
    except (TypeError, ValueError):
        return 0


def _select(choices: list[tuple[Any, str]], blank: str) -> forms.Select:
    return forms.Select(choices=[("", blank), *choices])


class OptionRow:
    """The bound fields of one answer option in the template form."""

    def __init__(self, form: SurveyTemplateForm, prefix: str) -> None:
        self.value = form[f"{prefix}-value"]
        self.label = form[f"{prefix}-label"]
        self.standard = form[f"{prefix}-standard"]
        self.remove = form[f"{prefix}-remove"]


class QuestionRow:
    """The bound fields of one question in the template form, with its option rows."""

    def __init__(self, form: SurveyTemplateForm, prefix: str, options: int) -> None:
        self.prefix = prefix
        for name in ("key", "text", "help_text", "type", "required", "kirkpatrick", "ltem"):
            setattr(self, name, form[f"{prefix}-{name}"])
        self.remove = form[f"{prefix}-remove"]
        # The hidden option count; errors about the options as a whole are attached to it.
        self.option_count = form[f"{prefix}-options"]
        self.options = [OptionRow(form, f"{prefix}-o-{j}") for j in range(options)]


class SurveyTemplateForm(forms.Form):
    """A template's name, description, anonymity and questions, as one page of fields.

    Questions are rows `q-<i>-…`, their options rows `q-<i>-o-<j>-…`; a few blank rows of each
    let people add a question or an option without JavaScript, and a "remove" box drops one.
    Fields are plain text here (selects offer the model's choices): what makes a question
    valid is decided once, in `services.question_validate` and the template services, whose
    errors `add_error` attaches to the row and field they are about.
    """

    name = forms.CharField(required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    anonymous = forms.BooleanField(
        required=False,
        label="Anonymous (nothing links an answer to the person who gave it)",
    )
    # The number of question rows; errors about the questions as a whole are attached to it.
    questions = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        template: SurveyTemplate | None = None,
        with_kind: bool = False,
        blank_questions: int = 1,
        blank_options: int = 3,
    ) -> None:
        initial: dict[str, Any] = {}
        if template is not None:
            initial = {
                "name": template.name,
                "description": template.description,
                "anonymous": template.anonymous,
            }
        elif data is None:
            initial = {"anonymous": True}
        super().__init__(data, initial=initial)
        self.blank_options = blank_options
        if with_kind:
            self.fields["kind"] = forms.CharField(
                required=False, widget=_select(list(Kind.choices), "— choose —")
            )
            self.order_fields(["name", "kind"])
        if data is not None:
            shapes = self._posted_shapes(data, blank_questions)
        else:
            existing = list(template.questions.all()) if template is not None else []
            for i, question in enumerate(existing):
                self._initial_question(f"q-{i}", question)
            shapes = [
                self._padded(question.type, len(question.options), blank_options)
                for question in existing
            ]
            shapes += [blank_options] * blank_questions
        self.rows: list[QuestionRow] = []
        for i, options in enumerate(shapes):
            prefix = f"q-{i}"
            self._add_question_fields(prefix, options)
            self.rows.append(QuestionRow(self, prefix, options))

    @staticmethod
    def _padded(qtype: str, filled: int, blank: int) -> int:
        return max(filled, SCALE_ROWS) if qtype == Question.Type.SCALE else filled + blank

    def _posted_shapes(self, data: Any, blank_questions: int) -> list[int]:
        """How many option rows each posted question shows again: what was posted, plus fresh
        blank rows when the posted ones are all in use (the page comes back after an error)."""
        shapes = []
        for i in range(_count(data, "questions")):
            prefix = f"q-{i}"
            filled = 0
            for j in range(_count(data, f"{prefix}-options")):
                if not self._blank_option(data, f"{prefix}-o-{j}"):
                    filled = j + 1
            shapes.append(
                max(
                    _count(data, f"{prefix}-options"),
                    self._padded(data.get(f"{prefix}-type", ""), filled, self.blank_options),
                )
            )
        used = [i for i in range(len(shapes)) if not self._blank_question(data, f"q-{i}")]
        wanted = (used[-1] + 1 if used else 0) + blank_questions
        shapes += [self.blank_options] * max(0, wanted - len(shapes))
        return shapes

    def _initial_question(self, prefix: str, question: Question) -> None:
        for name in ("key", "text", "help_text", "type", "required", "kirkpatrick", "ltem"):
            self.initial[f"{prefix}-{name}"] = getattr(question, name)
        for j, option in enumerate(question.options):
            for name in ("value", "label", "standard"):
                self.initial[f"{prefix}-o-{j}-{name}"] = option.get(name, "")

    def _add_question_fields(self, prefix: str, options: int) -> None:
        f = self.fields
        f[f"{prefix}-key"] = forms.CharField(required=False, label="Key")
        f[f"{prefix}-text"] = forms.CharField(required=False, label="Question")
        f[f"{prefix}-help_text"] = forms.CharField(required=False, label="Help text")
        # Plain text behind a select: a value outside the choices reaches the service, which
        # says what is allowed.
        f[f"{prefix}-type"] = forms.CharField(
            required=False, label="Type", widget=_select(list(Question.Type.choices), "— type —")
        )
        f[f"{prefix}-required"] = forms.BooleanField(required=False, label="Required", initial=True)
        f[f"{prefix}-kirkpatrick"] = forms.CharField(
            required=False,
            label="Kirkpatrick level",
            widget=_select(list(Question.Kirkpatrick.choices), "— level —"),
        )
        f[f"{prefix}-ltem"] = forms.CharField(
            required=False,
            label="LTEM tier",
            widget=_select(
                [c for c in Question.Ltem.choices if c[0] in Question.SURVEY_LTEM_TIERS],
                "— tier —",
            ),
        )
        f[f"{prefix}-remove"] = forms.BooleanField(required=False, label="Remove this question")
        f[f"{prefix}-options"] = forms.IntegerField(
            required=False, initial=options, widget=forms.HiddenInput
        )
        for j in range(options):
            o = f"{prefix}-o-{j}"
            # The option rows are a table; each input says which row and column it is.
            n = j + 1
            f[f"{o}-value"] = forms.CharField(
                required=False,
                label="Value",
                widget=forms.TextInput(attrs={"aria-label": f"Option {n} value", "size": 10}),
            )
            f[f"{o}-label"] = forms.CharField(
                required=False,
                label="Label",
                widget=forms.TextInput(attrs={"aria-label": f"Option {n} label"}),
            )
            standards = _select(list(Standard.choices), "— standard —")
            standards.attrs["aria-label"] = f"Option {n} standard"
            f[f"{o}-standard"] = forms.CharField(required=False, label="Standard", widget=standards)
            f[f"{o}-remove"] = forms.BooleanField(
                required=False,
                label="Remove",
                widget=forms.CheckboxInput(attrs={"aria-label": f"Remove option {n}"}),
            )

    @staticmethod
    def _blank_option(data: Any, prefix: str) -> bool:
        return not any(
            data.get(f"{prefix}-{n}", "").strip() for n in ("value", "label", "standard")
        )

    def _blank_question(self, data: Any, prefix: str) -> bool:
        if any(data.get(f"{prefix}-{n}", "").strip() for n in ("key", "text", "help_text")):
            return False
        return all(
            self._blank_option(data, f"{prefix}-o-{j}")
            for j in range(_count(data, f"{prefix}-options"))
        )

    def _kept(self) -> list[tuple[QuestionRow, dict[str, Any]]]:
        """The posted questions that are neither blank nor removed, as the services take them."""
        data, kept = self.data, []
        for row in self.rows:
            p = row.prefix
            if self._blank_question(data, p) or data.get(f"{p}-remove"):
                continue
            options = [
                {
                    "value": data.get(f"{o}-value", "").strip(),
                    "label": data.get(f"{o}-label", "").strip(),
                    "standard": data.get(f"{o}-standard", ""),
                }
                for o in (f"{p}-o-{j}" for j in range(len(row.options)))
                if not self._blank_option(data, o) and not data.get(f"{o}-remove")
            ]
            level = data.get(f"{p}-kirkpatrick", "")
            spec = {
                "key": data.get(f"{p}-key", "").strip(),
                "text": data.get(f"{p}-text", ""),
                "help_text": data.get(f"{p}-help_text", ""),
                "type": data.get(f"{p}-type", ""),
                "required": bool(data.get(f"{p}-required")),
                # The model's levels are numbers; anything else goes on as is to be refused.
                "kirkpatrick": int(level) if level.isdecimal() else level,
                "ltem": data.get(f"{p}-ltem", ""),
                "options": options,
            }
            kept.append((row, spec))
        return kept

    def question_specs(self) -> list[dict[str, Any]]:
        return [spec for _row, spec in self._kept()]

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal next to what it is about.

        An error about one question names a field, not the row; the services check questions
        in order and stop at the first bad one, so the row is the first that
        `question_validate` refuses.
        """
        if error.field in QUESTION_ERROR_FIELDS:
            for row, spec in self._kept():
                try:
                    question_validate(spec=spec)
                except DomainError as refused:
                    self.add_error(f"{row.prefix}-{refused.field}", refused.message)
                    return
        add_to_form(self, error)
