"""Load the survey templates Knowflow ships (knowflow.feedback.defaults)."""

from django.db import migrations
from django.utils import timezone


def load(apps, schema_editor):
    from knowflow.feedback.defaults import seed_default_templates

    seed_default_templates(
        template_model=apps.get_model("feedback", "SurveyTemplate"),
        question_model=apps.get_model("feedback", "Question"),
        now=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
