from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0003_outbox_review_kind"),
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
                    ("review", "Resource review"),
                    ("waitlist", "Waitlist"),
                ],
                max_length=16,
            ),
        ),
    ]
