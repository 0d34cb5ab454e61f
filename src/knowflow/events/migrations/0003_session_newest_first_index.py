"""Index for "newest sessions first" (the API session list and the proposed-sessions catalogue).

Both order by ``-created_at, -id`` and take one page; without an index the database reads and
sorts every session for each page (28 ms per request on the 50,000-session demo). With it the
page is read from the start of the index.

Written as SQL, not ``AddIndex``, because this migration may not change ``Session.Meta`` (owned
elsewhere): an ``AddIndex`` without the matching ``Meta.indexes`` entry would make the next
``makemigrations`` remove it again. Whoever owns the model can declare it in ``Meta.indexes``
with the same name and a state-only migration (``SeparateDatabaseAndState``).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0002_occurrence_sequence"),
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX events_session_newest_first ON events_session (created_at DESC, id DESC);",
            reverse_sql="DROP INDEX events_session_newest_first;",
        ),
    ]
