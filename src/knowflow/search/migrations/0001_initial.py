"""The search document moves from the library to this app: its table, rows and full-text index
stay exactly as they are (``library_searchdocument``, created by library 0001 and 0002); only
Django's record of which app owns the model changes.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("library", "0004_related_content")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SearchDocument",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=16)),
                        ("object_id", models.BigIntegerField()),
                        ("group_key", models.CharField(max_length=40)),
                        ("slug", models.CharField(max_length=240)),
                        ("title", models.CharField(max_length=300)),
                        ("summary", models.TextField(blank=True, help_text="Plain text the snippet is cut from.")),
                        ("external_id", models.CharField(blank=True, max_length=300)),
                        ("title_terms", models.TextField(blank=True)),
                        ("topic_terms", models.TextField(blank=True)),
                        ("people_terms", models.TextField(blank=True)),
                        ("body_terms", models.TextField(blank=True)),
                        ("topic_ids", models.CharField(blank=True, help_text="' 3 17 '-style list.", max_length=1000)),
                        ("format", models.CharField(blank=True, max_length=24)),
                        ("language", models.CharField(blank=True, max_length=16)),
                        ("circle_id", models.BigIntegerField(blank=True, null=True)),
                        ("date", models.DateTimeField(blank=True, help_text="Next date, else the last one.", null=True)),
                        ("has_recording", models.BooleanField(default=False)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "library_searchdocument",
                        "indexes": [
                            models.Index(fields=["kind", "date"], name="library_sea_kind_61f9ec_idx"),
                            models.Index(fields=["group_key"], name="library_sea_group_k_e026ea_idx"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(fields=("kind", "object_id"), name="one_search_document_per_object")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
