"""Indexes for the catalogue filtered by a topic (upcoming occurrences of the topic's sessions).

The query goes topic → its sessions → their occurrences that have not ended, then sorts by
start. Two lookups dominated on the 50,000-session demo: reading each wide session row (with
its abstract) only to check its status, and reading every occurrence of each session, past
ones included, only to check its end. ``(id, status)`` answers the first from the index alone;
``(session_id, end)`` skips the past occurrences. Together: 13.9 → 7.5 ms for the query.

As SQL for the same reason as 0003: ``Meta.indexes`` belongs to the model's owner.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0003_session_newest_first_index"),
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX events_session_id_status ON events_session (id, status);",
            reverse_sql="DROP INDEX events_session_id_status;",
        ),
        migrations.RunSQL(
            sql='CREATE INDEX events_occurrence_session_end ON events_occurrence (session_id, "end");',
            reverse_sql="DROP INDEX events_occurrence_session_end;",
        ),
    ]
