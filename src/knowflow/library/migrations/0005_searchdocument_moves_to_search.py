"""The search document now belongs to ``knowflow.search`` (its 0001): the library forgets the
model without touching the table, so every row and the full-text index stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("library", "0004_related_content"), ("search", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SearchDocument")],
            database_operations=[],
        ),
    ]
