from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0008_retrospective_versions_and_action_due"),
    ]

    operations = [
        migrations.AddField(
            model_name="surveyrequest",
            name="applied_shared_on",
            field=models.DateField(blank=True, null=True),
        ),
    ]
