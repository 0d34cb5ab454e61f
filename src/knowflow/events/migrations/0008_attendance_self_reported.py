"""Attendance says whether the person recorded it themselves (``self_reported``).

Rows written before did not keep who recorded them. Members could only ever record that they
watched the recording, for themselves, and nobody else can see someone watch a recording, so
every existing recording-mode row is marked self-reported. An enabler's record of someone's
viewing made before this change is counted as self-reported too: under-claiming observed
evidence is the safe side. Room and online rows stay observed (only speakers and enablers
could write those).
"""

from django.db import migrations, models


def mark_recording_views_self_reported(apps, schema_editor):
    Attendance = apps.get_model("events", "Attendance")
    Attendance.objects.filter(mode="recording").update(self_reported=True)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0007_occurrence_online_url_web_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="attendance",
            name="self_reported",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_recording_views_self_reported, migrations.RunPython.noop),
    ]
