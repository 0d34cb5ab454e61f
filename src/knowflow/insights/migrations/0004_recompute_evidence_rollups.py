"""Drop the dashboard's stored rollups once the feedback tags are corrected: they hold the
evidence ladder counted with the old tags (self-reports counted as observed application and
results) and in its old shape. Without a rollup the dashboard computes its figures on request,
and the worker's next `refresh_insights` stores fresh ones."""

from django.db import migrations


def drop_rollups(apps, schema_editor):
    apps.get_model("insights", "DashboardRollup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0003_roi_versions_and_input_authors"),
        ("feedback", "0007_self_reports_are_learner_perception"),
    ]

    operations = [migrations.RunPython(drop_rollups, migrations.RunPython.noop)]
