from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_catalogue_topic_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="occurrence",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
