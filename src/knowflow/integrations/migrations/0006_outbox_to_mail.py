"""The outbox now belongs to the mail app (`mail.0001` took over the table and its rows): the
integrations app forgets the model without touching the table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0005_outbox_html"),
        ("mail", "0001_outbox_from_integrations"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboxMessage")],
            database_operations=[],
        ),
    ]
