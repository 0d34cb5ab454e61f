"""Survey template pages: editing a template writes its next version, a new survey from a blank
form, making one the default, bad input, refusals, and the list page's query count."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from knowflow.accounts.models import Person
from knowflow.feedback.models import Answer, Question, SurveyTemplate
from knowflow.feedback.selectors.templates import default_templates
from knowflow.feedback.services.responses import survey_response_submit
from knowflow.feedback.services.templates import (
    survey_template_copy,
    survey_template_create,
    survey_template_make_default,
)
from tests.conftest import signed_in
from tests.factories import make_person
from tests.feedback.helpers import GOOD, attend, ended_occurrence, open_requests, people

pytestmark = pytest.mark.django_db

Form = dict[str, str | list[str]]


class _FormReader(HTMLParser):
    """What a browser would submit from the page's template form, as is."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: Form = {}
        self._in_form = False
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "template-form" in a.get("class", ""):
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.fields[a["name"]] = "on"
            else:
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._first_option = a["name"], None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
                self.fields.setdefault(self._select, self._first_option)
            if "selected" in a:
                self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data.removeprefix("\n")


def form_of(page: str) -> Form:
    reader = _FormReader()
    reader.feed(page)
    return reader.fields


def errors_of(page: str) -> dict[str, list[str]]:
    """The error lists on the page, by the field they stand next to."""
    return {
        name: [html.unescape(m) for m in re.findall(r"<li>([^<]+)</li>", items)]
        for name, items in re.findall(
            r'<ul class="errorlist" id="(?:id_)?([^"]+)_error">(.*?)</ul>', page, flags=re.S
        )
    }


def messages_of(page: str) -> list[str]:
    return [
        html.unescape(m) for m in re.findall(r'<li class="(?:success|error)">([^<]+)</li>', page)
    ]


def option_index(form: Form, question: int, value: str) -> int:
    return next(
        j
        for j in range(int(form[f"q-{question}-options"]))
        if form.get(f"q-{question}-o-{j}-value") == value
    )


@pytest.fixture
def enabler() -> Person:
    return make_person(role=Person.Role.ENABLER)


@pytest.fixture
def ours(enabler: Person) -> SurveyTemplate:
    """A copy of the shipped after-session survey, the default, with one answer given."""
    shipped = SurveyTemplate.objects.get(family="after-the-session")
    copy = survey_template_copy(template=shipped, actor=enabler, name="Our survey")
    survey_template_make_default(template=copy, actor=enabler)
    occurrence = ended_occurrence()
    attend(occurrence, people(1))
    ((request, _token),) = open_requests(occurrence).values()
    survey_response_submit(request=request, answers=GOOD)
    return copy


def edit_page(client: Client, template: SurveyTemplate) -> tuple[str, Form]:
    page = client.get(f"/feedback/templates/{template.pk}/edit/")
    assert page.status_code == 200
    text = page.content.decode()
    return text, form_of(text)


def test_enabler_edits_a_question_text_and_an_option_standard(
    enabler: Person, ours: SurveyTemplate
) -> None:
    client = signed_in(enabler)
    page, form = edit_page(client, ours)
    assert "<h1>Edit “Our survey” (version 1)</h1>" in page
    assert (form["q-0-key"], form["q-0-text"], form["q-0-type"]) == (
        "apply_now",
        "How able are you to apply this now?",
        "single",
    )
    on_my_own = option_index(form, 0, "on_my_own")
    assert form[f"q-0-o-{on_my_own}-standard"] == "superior"
    old_question = ours.questions.get(key="apply_now")
    old_options = list(old_question.options)
    answers = list(Answer.objects.values_list("question_id", "value", "text").order_by("id"))

    form["q-0-text"] = "Can you apply it?"
    form[f"q-0-o-{on_my_own}-standard"] = "acceptable"
    done = client.post(f"/feedback/templates/{ours.pk}/edit/", form, follow=True)

    listing = done.content.decode()
    assert done.redirect_chain == [("/feedback/templates/", 302)]
    assert messages_of(listing) == [
        "Saved “Our survey” as version 2. New survey requests use it; answers already given "
        "keep the version they answered."
    ]
    assert re.search(
        r"Our survey <span class=\"meta\">v2 · After the session · anonymous · default", listing
    )
    assert '<li>Can you apply it? <span class="meta">Single choice · K2 · LTEM 3A</span>' in listing
    v2 = SurveyTemplate.objects.get(family=ours.family, is_current=True)
    question = v2.questions.get(key="apply_now")
    assert (v2.version, question.text) == (2, "Can you apply it?")
    assert question.option_map()["on_my_own"]["standard"] == "acceptable"
    assert [q.key for q in v2.questions.all()] == [q.key for q in ours.questions.all()]
    old_question.refresh_from_db()
    assert (old_question.text, old_question.options) == (
        "How able are you to apply this now?",
        old_options,
    )
    assert (
        list(Answer.objects.values_list("question_id", "value", "text").order_by("id")) == answers
    )


def test_enabler_adds_a_question_and_an_option_and_removes_a_question(
    enabler: Person, ours: SurveyTemplate
) -> None:
    client = signed_in(enabler)
    _, form = edit_page(client, ours)
    keys = [q.key for q in ours.questions.all()]
    new = len(keys)  # the first blank question row
    assert form[f"q-{new}-key"] == "" and form[f"q-{new}-required"] == "on"
    form.update(
        {
            f"q-{new}-key": "next_step",
            f"q-{new}-text": "What will you try next week?",
            f"q-{new}-type": "single",
            f"q-{new}-kirkpatrick": "3",
            f"q-{new}-ltem": "3A",
            f"q-{new}-o-0-value": "nothing",
            f"q-{new}-o-0-label": "Nothing yet",
            f"q-{new}-o-0-standard": "unacceptable",
            f"q-{new}-o-1-value": "one_thing",
            f"q-{new}-o-1-label": "One thing I learned",
            f"q-{new}-o-1-standard": "acceptable",
            "q-1-remove": "on",  # relevance
        }
    )
    remember_options = len(ours.questions.get(key="remember").options)
    blank = remember_options  # the first blank option row of question 3, "remember"
    form.update(
        {
            f"q-2-o-{blank}-value": "all",
            f"q-2-o-{blank}-label": "All of it",
            f"q-2-o-{blank}-standard": "superior",
        }
    )

    done = client.post(f"/feedback/templates/{ours.pk}/edit/", form, follow=True)

    assert messages_of(done.content.decode())[0].startswith("Saved “Our survey” as version 2.")
    v2 = SurveyTemplate.objects.get(family=ours.family, is_current=True)
    assert [q.key for q in v2.questions.all()] == [k for k in keys if k != "relevance"] + [
        "next_step"
    ]
    added = v2.questions.get(key="next_step")
    assert (added.text, added.type, added.required, added.kirkpatrick, added.ltem) == (
        "What will you try next week?",
        "single",
        True,
        3,
        "3A",
    )
    assert added.options == [
        {"value": "nothing", "label": "Nothing yet", "standard": "unacceptable"},
        {"value": "one_thing", "label": "One thing I learned", "standard": "acceptable"},
    ]
    remember = v2.questions.get(key="remember").options
    assert remember[-1] == {"value": "all", "label": "All of it", "standard": "superior"}
    assert len(remember) == remember_options + 1
    assert [q.key for q in ours.questions.all()] == keys


def test_enabler_removes_an_option(enabler: Person, ours: SurveyTemplate) -> None:
    client = signed_in(enabler)
    _, form = edit_page(client, ours)
    before = [o["value"] for o in ours.questions.get(key="apply_now").options]
    form[f"q-0-o-{option_index(form, 0, before[0])}-remove"] = "on"
    client.post(f"/feedback/templates/{ours.pk}/edit/", form)
    v2 = SurveyTemplate.objects.get(family=ours.family, is_current=True)
    assert [o["value"] for o in v2.questions.get(key="apply_now").options] == before[1:]


def _empty_text(form: Form) -> None:
    form["q-0-text"] = "  "


def _no_options(form: Form) -> None:
    for j in range(int(form["q-1-options"])):
        form[f"q-1-o-{j}-remove"] = "on"


def _unknown_standard(form: Form) -> None:
    form["q-0-o-0-standard"] = "excellent"


def _duplicate_key(form: Form) -> None:
    form["q-1-key"] = "apply_now"


def _empty_name(form: Form) -> None:
    form["name"] = ""


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (_empty_text, "q-0-text", "Question 'apply_now' needs a text of at most 300 characters."),
        (
            _no_options,
            "q-1-options",
            "Question 'relevance': a choice question needs at least two options.",
        ),
        (
            _unknown_standard,
            "q-0-options",
            "Question 'apply_now': say whether 'not_at_all' is unacceptable, acceptable or "
            "superior (the standard is fixed before any answer is collected).",
        ),
        (_duplicate_key, "questions", "Question keys must be unique; repeated: apply_now."),
        (_empty_name, "name", "A survey needs a name of at most 150 characters."),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_writes_nothing(
    enabler: Person,
    ours: SurveyTemplate,
    change: Callable[[Form], None],
    field: str,
    message: str,
) -> None:
    client = signed_in(enabler)
    _, form = edit_page(client, ours)
    if change is _unknown_standard:
        assert form["q-0-o-0-value"] == "not_at_all"
    versions = SurveyTemplate.objects.count()
    questions = Question.objects.count()
    change(form)

    page = client.post(f"/feedback/templates/{ours.pk}/edit/", form)

    assert page.status_code == 200
    text = page.content.decode()
    assert errors_of(text) == {field: [message]}
    assert (SurveyTemplate.objects.count(), Question.objects.count()) == (versions, questions)
    assert SurveyTemplate.objects.get(family=ours.family, is_current=True).pk == ours.pk
    # What the person typed comes back, so nothing is lost.
    assert form_of(text)["q-0-key"] == form["q-0-key"]


def test_scale_question_comes_back_with_eleven_option_rows(
    enabler: Person, ours: SurveyTemplate
) -> None:
    client = signed_in(enabler)
    _, form = edit_page(client, ours)
    new = ours.questions.count()
    form.update(
        {
            f"q-{new}-key": "confidence",
            f"q-{new}-text": "How confident are you?",
            f"q-{new}-type": "scale",
            f"q-{new}-kirkpatrick": "2",
            f"q-{new}-ltem": "3A",
        }
    )
    page = client.post(f"/feedback/templates/{ours.pk}/edit/", form).content.decode()
    assert errors_of(page) == {
        f"q-{new}-options": [
            "Question 'confidence': say which of 0–10 are unacceptable, acceptable and superior."
        ]
    }
    again = form_of(page)
    assert again[f"q-{new}-options"] == "11"
    for n in range(11):
        again[f"q-{new}-o-{n}-value"] = str(n)
        again[f"q-{new}-o-{n}-label"] = str(n)
        again[f"q-{new}-o-{n}-standard"] = "superior" if n >= 8 else "acceptable"
    client.post(f"/feedback/templates/{ours.pk}/edit/", again)
    v2 = SurveyTemplate.objects.get(family=ours.family, is_current=True)
    assert [o["value"] for o in v2.questions.get(key="confidence").options] == [
        str(n) for n in range(11)
    ]


def test_old_version_says_to_edit_the_current_one_and_writes_nothing(
    enabler: Person, ours: SurveyTemplate
) -> None:
    client = signed_in(enabler)
    _, form = edit_page(client, ours)
    client.post(f"/feedback/templates/{ours.pk}/edit/", form)
    v2 = SurveyTemplate.objects.get(family=ours.family, is_current=True)

    old = client.get(f"/feedback/templates/{ours.pk}/edit/").content.decode()
    assert (
        '<p class="notice">This is an old version (1); answers given to it keep it as it is. '
        f'<a href="/feedback/templates/{v2.pk}/edit/">Edit the current version (2)</a> instead.</p>'
    ) in old
    assert 'class="template-form"' not in old

    versions = SurveyTemplate.objects.count()
    page = client.post(f"/feedback/templates/{ours.pk}/edit/", form).content.decode()
    assert errors_of(page) == {"form": ["This is version 1; edit the current version instead."]}
    assert SurveyTemplate.objects.count() == versions


def test_shipped_template_cannot_be_edited_only_copied(enabler: Person) -> None:
    client = signed_in(enabler)
    shipped = SurveyTemplate.objects.get(family="after-the-session")
    listing = client.get("/feedback/templates/").content.decode()
    assert f'href="/feedback/templates/{shipped.pk}/edit/"' not in listing
    assert (
        f'<form method="post" action="/feedback/templates/{shipped.pk}/copy/" class="inline">'
        in listing
    )

    page = client.get(f"/feedback/templates/{shipped.pk}/edit/").content.decode()
    assert (
        '<p class="notice">Knowflow\'s own templates cannot be edited: copy this one and edit '
        "the copy.</p>"
    ) in page
    assert "<button>Copy to edit</button>" in page
    assert 'class="template-form"' not in page

    copy = survey_template_copy(template=shipped, actor=enabler, name="Scratch")
    _, form = edit_page(client, copy)
    versions = SurveyTemplate.objects.count()
    refused = client.post(f"/feedback/templates/{shipped.pk}/edit/", form).content.decode()
    assert errors_of(refused) == {
        "form": ["Knowflow's own templates cannot be edited; copy one and edit the copy."]
    }
    assert SurveyTemplate.objects.count() == versions


@pytest.mark.parametrize("who", ["speaker", "attendee"])
def test_speakers_and_attendees_are_refused(who: str, ours: SurveyTemplate) -> None:
    speaker = make_person()
    occurrence = ended_occurrence(speakers=[speaker])
    attendee = people(1)[0]
    attend(occurrence, [attendee])
    client = signed_in(speaker if who == "speaker" else attendee)
    versions = SurveyTemplate.objects.count()

    for url in (f"/feedback/templates/{ours.pk}/edit/", "/feedback/templates/new/"):
        got = client.get(url)
        assert got.status_code == 403
        assert "<h1>Not allowed</h1>" in got.content.decode()
    posted = client.post(f"/feedback/templates/{ours.pk}/edit/", {"name": "Mine", "questions": "0"})
    assert posted.status_code == 403
    assert "<p>Only enablers edit survey templates.</p>" in posted.content.decode()
    assert client.post("/feedback/templates/new/", {"name": "Mine"}).status_code == 403
    assert client.post(f"/feedback/templates/{ours.pk}/default/").status_code == 403
    assert SurveyTemplate.objects.count() == versions
    listing = client.get("/feedback/templates/").content.decode()
    assert "/edit/" not in listing and "New survey" not in listing


def test_enabler_creates_a_survey_from_a_blank_form(enabler: Person) -> None:
    client = signed_in(enabler)
    page = client.get("/feedback/templates/new/").content.decode()
    assert "<h1>New survey</h1>" in page
    form = form_of(page)
    assert (form["anonymous"], form["questions"]) == ("on", "3")
    form.update(
        {
            "name": "Lunch and learn",
            "kind": "after_session",
            "q-0-key": "useful",
            "q-0-text": "Was it useful?",
            "q-0-type": "single",
            "q-0-kirkpatrick": "1",
            "q-0-ltem": "3A",
            "q-0-o-0-value": "no",
            "q-0-o-0-label": "No",
            "q-0-o-0-standard": "unacceptable",
            "q-0-o-1-value": "yes",
            "q-0-o-1-label": "Yes",
            "q-0-o-1-standard": "acceptable",
            "q-1-key": "comment",
            "q-1-text": "Anything else?",
            "q-1-type": "text",
            "q-1-kirkpatrick": "1",
            "q-1-ltem": "3B",
        }
    )
    del form["q-1-required"]

    done = client.post("/feedback/templates/new/", form, follow=True)

    assert messages_of(done.content.decode()) == [
        "Created “Lunch and learn” (version 1). Make it the default to use it for new survey "
        "requests."
    ]
    created = SurveyTemplate.objects.get(name="Lunch and learn")
    assert (created.kind, created.version, created.anonymous, created.shipped) == (
        "after_session",
        1,
        True,
        False,
    )
    assert [(q.key, q.type, q.required) for q in created.questions.all()] == [
        ("useful", "single", True),
        ("comment", "text", False),
    ]


def test_new_survey_without_kind_or_questions_says_so(enabler: Person) -> None:
    client = signed_in(enabler)
    form = form_of(client.get("/feedback/templates/new/").content.decode())
    versions = SurveyTemplate.objects.count()
    form["name"] = "Empty"
    page = client.post("/feedback/templates/new/", form).content.decode()
    assert errors_of(page) == {
        "kind": [
            "The kind must be one of after_session, follow_up_7, follow_up_30, follow_up_90, "
            "retrospective."
        ]
    }
    form = form_of(page)
    form["kind"] = "after_session"
    page = client.post("/feedback/templates/new/", form).content.decode()
    assert errors_of(page) == {"questions": ["A survey needs at least one question."]}
    assert SurveyTemplate.objects.count() == versions


def test_enabler_makes_a_template_the_default(enabler: Person) -> None:
    client = signed_in(enabler)
    shipped = SurveyTemplate.objects.get(family="after-the-session")
    copy = survey_template_copy(template=shipped, actor=enabler, name="Ours")
    listing = client.get("/feedback/templates/").content.decode()
    assert f'action="/feedback/templates/{copy.pk}/default/"' in listing
    assert f'action="/feedback/templates/{shipped.pk}/default/"' not in listing  # already default

    done = client.post(f"/feedback/templates/{copy.pk}/default/", follow=True)

    assert messages_of(done.content.decode()) == [
        "New “After the session” requests now use “Ours” (version 1)."
    ]
    assert default_templates()["after_session"].pk == copy.pk


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_list_and_edit_page_query_counts_do_not_grow_with_templates_or_questions(
    enabler: Person, ours: SurveyTemplate
) -> None:
    client = signed_in(enabler)
    listing = _queries(client, "/feedback/templates/")
    small = survey_template_create(
        actor=enabler,
        name="One question",
        kind="after_session",
        questions=[
            {
                "key": "comment",
                "text": "Anything else?",
                "type": "text",
                "kirkpatrick": 1,
                "ltem": "3B",
            }
        ],
    )
    for n in range(3):
        survey_template_copy(template=ours, actor=enabler, name=f"Copy {n}")
    assert _queries(client, "/feedback/templates/") == listing
    assert _queries(client, f"/feedback/templates/{small.pk}/edit/") == _queries(
        client, f"/feedback/templates/{ours.pk}/edit/"
    )
