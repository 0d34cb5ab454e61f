"""The shipped follow-up surveys ask what share of the hours saved is due to the session.

Existing organisations get a new version of each shipped follow-up family (the previous one
is kept untouched, as every revision keeps it: answers point at the questions they answered).
Families an enabler copied are theirs to revise; the ROI study counts their answers without
the share as not attributed, never as 100 %.
"""

from django.db import migrations
from django.utils import timezone

FAMILIES = ("follow-up-30-days", "follow-up-90-days")
QUESTION_FIELDS = ("key", "text", "help_text", "type", "required", "kirkpatrick", "ltem", "options")


def add_attribution(apps, schema_editor):
    from knowflow.feedback.defaults import ATTRIBUTION_QUESTION

    template_model = apps.get_model("feedback", "SurveyTemplate")
    question_model = apps.get_model("feedback", "Question")
    for current in template_model.objects.filter(family__in=FAMILIES, is_current=True):
        questions = list(current.questions.order_by("position"))
        keys = [q.key for q in questions]
        if ATTRIBUTION_QUESTION["key"] in keys:
            continue
        specs = [{field: getattr(q, field) for field in QUESTION_FIELDS} for q in questions]
        after = keys.index("hours_confidence") + 1 if "hours_confidence" in keys else len(specs)
        specs.insert(after, dict(ATTRIBUTION_QUESTION))
        was_default = current.is_default
        template_model.objects.filter(pk=current.pk).update(is_current=False, is_default=False)
        template = template_model.objects.create(
            family=current.family,
            version=current.version + 1,
            is_current=True,
            name=current.name,
            description=current.description,
            kind=current.kind,
            anonymous=current.anonymous,
            is_default=was_default,
            shipped=current.shipped,
            created_by=None,
            created_at=timezone.now(),
        )
        question_model.objects.bulk_create(
            question_model(template=template, position=position, **spec)
            for position, spec in enumerate(specs, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0005_session_tally")]

    operations = [migrations.RunPython(add_attribution, migrations.RunPython.noop)]
