from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboxmessage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("invitation", "Invitation"),
                    ("update", "Update"),
                    ("cancellation", "Cancellation"),
                    ("reminder", "Reminder"),
                    ("survey", "Survey request"),
                ],
                max_length=16,
            ),
        ),
    ]
