"""Only http(s) resource links: the field refuses other schemes from now on, and links stored
before that are not web addresses are blanked (the resource keeps its title, text and file)."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import migrations

import knowflow.links


def blank_links_that_are_not_web_addresses(apps, schema_editor):
    # Its own validator, not knowflow.links': a migration must keep meaning what it meant.
    validate = URLValidator(schemes=["http", "https"])
    Resource = apps.get_model("library", "Resource")
    bad = []
    for pk, url in Resource.objects.exclude(url="").values_list("pk", "url"):
        try:
            validate(url)
        except ValidationError:
            bad.append(pk)
    Resource.objects.filter(pk__in=bad).update(url="")


class Migration(migrations.Migration):
    dependencies = [
        ('library', '0002_search_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name="resource",
            name="url",
            field=knowflow.links.WebURLField(
                blank=True,
                help_text="Where a link resource lives.",
                max_length=1000,
                verbose_name="link",
            ),
        ),
        migrations.RunPython(blank_links_that_are_not_web_addresses, migrations.RunPython.noop),
    ]
