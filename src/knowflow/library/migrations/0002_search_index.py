"""The database's own full-text index over SearchDocument, created for the database in use.

SQLite: an external-content FTS5 table with triggers (and an fts5vocab table for the
spelling vocabulary). PostgreSQL: a generated weighted tsvector column with a GIN index.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        from knowflow.search.sqlite import CREATE_SQL
    elif vendor == "postgresql":
        from knowflow.search.postgres import CREATE_SQL
    else:
        return
    for statement in CREATE_SQL:
        schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        from knowflow.search.sqlite import DROP_SQL
    elif vendor == "postgresql":
        from knowflow.search.postgres import DROP_SQL
    else:
        return
    for statement in DROP_SQL:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
