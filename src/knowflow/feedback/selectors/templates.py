"""Survey templates: the list people read and the defaults new requests use."""

from __future__ import annotations

from knowflow.errors import NotFound
from knowflow.feedback.models import SurveyTemplate


def template_list(*, include_old: bool = False) -> list[SurveyTemplate]:
    """The surveys and their questions, current versions only unless `include_old`. Anyone
    signed in may read them (what they will be asked is no secret); only enablers change them
    (`services.templates`)."""
    templates = (
        SurveyTemplate.objects.all()
        if include_old
        else SurveyTemplate.objects.filter(is_current=True)
    )
    return list(templates.prefetch_related("questions").order_by("kind", "name", "-version"))


def default_templates() -> dict[str, SurveyTemplate]:
    """The survey each kind of new request uses, by kind (a kind without one is not asked)."""
    return {t.kind: t for t in SurveyTemplate.objects.filter(is_current=True, is_default=True)}


def survey_template_get(*, id: int) -> SurveyTemplate:
    """One survey template (any version) with its questions, or NotFound. Anyone signed in may
    read it, as `template_list`; who may change it is the services' question."""
    template = SurveyTemplate.objects.prefetch_related("questions").filter(pk=id).first()
    if template is None:
        raise NotFound(f"There is no survey template with id {id}.")
    return template
