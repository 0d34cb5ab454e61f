"""Only http(s) online links: the field refuses other schemes from now on, and links stored
before (``javascript:`` and the like, rendered as "join online" on session pages) are blanked
where the date keeps a room. A date that is online only keeps its text (the constraint needs a
room or a link) but the session page no longer renders it as a link."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import migrations

import knowflow.links


def blank_links_that_are_not_web_addresses(apps, schema_editor):
    # Its own validator, not knowflow.links': a migration must keep meaning what it meant.
    validate = URLValidator(schemes=["http", "https"])
    Occurrence = apps.get_model("events", "Occurrence")
    bad = []
    for pk, url in Occurrence.objects.exclude(online_url="").values_list("pk", "online_url"):
        try:
            validate(url)
        except ValidationError:
            bad.append(pk)
    Occurrence.objects.filter(pk__in=bad, room__isnull=False).update(online_url="")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_occurrence_start_session"),
    ]

    operations = [
        migrations.AlterField(
            model_name="occurrence",
            name="online_url",
            field=knowflow.links.WebURLField(blank=True, verbose_name="online link"),
        ),
        migrations.RunPython(blank_links_that_are_not_web_addresses, migrations.RunPython.noop),
    ]
