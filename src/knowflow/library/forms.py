"""Forms for the library pages: they parse input; the services decide what is allowed."""

from __future__ import annotations

from django import forms

from knowflow.circles.forms import CirclesField
from knowflow.events.forms import SessionsField
from knowflow.library.models import Collection, Resource
from knowflow.library.selectors import resources_for_picker, search_type_choices
from knowflow.library.uploads import max_upload_bytes, size_in_words
from knowflow.links import WebURLFormField
from knowflow.pickers import PickerField
from knowflow.topics.forms import TopicsField


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=10_000, label="Search")
    type = forms.ChoiceField(
        # A callable: the kinds are those the apps registered with search when they loaded.
        required=False,
        choices=lambda: [("", "Everything"), *search_type_choices()],
    )
    topic = forms.SlugField(required=False, max_length=140)
    format = forms.CharField(required=False, max_length=24)
    language = forms.CharField(required=False, max_length=16)
    circle = forms.SlugField(required=False, max_length=140)
    date_from = forms.DateField(required=False, label="From")
    date_to = forms.DateField(required=False, label="To")
    recording = forms.BooleanField(required=False, label="Has a recording")
    page = forms.IntegerField(required=False, min_value=1, max_value=1000)
    literal = forms.BooleanField(required=False)  # "search for what you typed instead"


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(choices=Resource.Kind.choices)
    title = forms.CharField(max_length=300)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Markdown."
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        label="Text of the note",
        help_text="Markdown.",
    )
    url = WebURLFormField(required=False, max_length=1000, label="Link")
    file = forms.FileField(
        required=False, help_text="PDF, images, Office or OpenDocument files, text or Markdown."
    )
    session = SessionsField(
        multiple=False,
        help_text="The session it comes from (its recording, its slides…), if any.",
    )
    topics = TopicsField()
    language = forms.CharField(max_length=16, initial="en")
    licence = forms.CharField(max_length=200, required=False)
    circle = CirclesField(multiple=False, help_text="The circle it belongs to, if any.")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # For upload_limit.js: the browser says a file is too large before sending it (the
        # server refuses it anyway, but a browser cut off mid-upload may show no answer).
        limit = max_upload_bytes()
        self.fields["file"].widget.attrs.update(
            {"data-max-bytes": str(limit), "data-limit": size_in_words(limit)}
        )

    def show_upload_refusal(self, message: str, *, field: str | None = "file") -> None:
        """Put the reason an upload was refused next to its field (or atop the form) of a form
        shown again without being checked."""
        self.cleaned_data = {}  # an unchecked form has none; add_error expects it
        self.add_error(field if field in self.fields else None, message)


class ResourceEditForm(ResourceForm):
    kind = None  # type: ignore[assignment] - the kind of a resource does not change


class CaptionsForm(forms.Form):
    captions = forms.FileField(
        label="Captions file",
        help_text="WebVTT (.vtt) or SubRip (.srt), UTF-8, up to 2 MB. "
        "A new file replaces the captions there are.",
        widget=forms.ClearableFileInput(attrs={"accept": ".vtt,.srt,text/vtt"}),
    )

    def show_upload_refusal(self, message: str, *, field: str | None = "captions") -> None:
        self.cleaned_data = {}
        self.add_error("captions", message)


class CollectionForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Collection.Kind.choices)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Markdown."
    )
    circle = CirclesField(multiple=False, help_text="The circle it belongs to, if any.")
    topic = TopicsField(multiple=False, help_text="Its main topic, if any.")


class SectionForm(forms.Form):
    title = forms.CharField(max_length=200)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


def _slug_of_link(entry: str) -> str:
    """A link to a page of this site ("https://…/library/<slug>/") names its last part, the
    slug; anything else (a title, a slug) is left as typed."""
    if "/" not in entry:
        return entry
    return entry.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class ResourcesField(PickerField):
    """Resources named by title or slug, or by their link (a picker: ``knowflow.pickers``)."""

    kind = "resources"
    default_help = "Type its title, or paste its link."

    def resolve(self, entries: list[str]) -> list[Resource]:
        return resources_for_picker(entries=[_slug_of_link(entry) for entry in entries])


class LinkedSessionsField(SessionsField):
    """A session picker that also takes the session's link, as the collection form did."""

    default_help = "Type its title, or paste its link."

    def resolve(self, entries: list[str]) -> list:
        return super().resolve([_slug_of_link(entry) for entry in entries])


class ItemForm(forms.Form):
    """A resource or a session (exactly one) for a collection, picked by name."""

    resource = ResourcesField(multiple=False, label="Resource")
    session = LinkedSessionsField(multiple=False, label="Session")
    section = forms.IntegerField(required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self) -> dict:
        data = super().clean()
        if self.errors.get("resource") or self.errors.get("session"):
            return data
        if data.get("resource") and data.get("session"):
            raise forms.ValidationError(
                "Add a resource or a session, not both at once: add them one after the other."
            )
        if not data.get("resource") and not data.get("session"):
            raise forms.ValidationError("Pick a resource or a session to add.")
        return data
