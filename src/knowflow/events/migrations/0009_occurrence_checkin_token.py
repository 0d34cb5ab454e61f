from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0008_attendance_self_reported"),
    ]

    operations = [
        migrations.AddField(
            model_name="occurrence",
            name="checkin_token",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
