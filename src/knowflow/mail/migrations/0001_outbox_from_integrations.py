"""The outbox moves from the integrations app to the mail app, with every row.

The model is taken over in the migration state only (the table already exists, made by the
integrations app's migrations), then the table and its index get the mail app's names, the kind
becomes a free dotted string (longer, no choices) and each row's old kind is rewritten to the
dotted name of the app that writes it. `integrations.0006` then drops the model from the
integrations app's state, touching no table. Reversible: going back restores the old kinds.
"""

from django.db import migrations, models

import knowflow.mail.kinds

# The kinds before the move, and the dotted kind each one became.
DOTTED_KINDS = {
    "invitation": "events.invitation",
    "update": "events.update",
    "cancellation": "events.cancellation",
    "reminder": "events.reminder",
    "waitlist": "events.waitlisted",
    "survey": "feedback.survey",
    "review": "library.review_reminder",
}


def _rewrite(apps, mapping):
    OutboxMessage = apps.get_model("mail", "OutboxMessage")
    for old, new in mapping.items():
        OutboxMessage.objects.filter(kind=old).update(kind=new)


def kinds_to_dotted(apps, schema_editor):
    _rewrite(apps, DOTTED_KINDS)


def kinds_to_old(apps, schema_editor):
    _rewrite(apps, {new: old for old, new in DOTTED_KINDS.items()})


def content_type_to_mail(apps, schema_editor):
    """Keep the content type (and the permissions that name it) with the model."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="integrations", model="outboxmessage").update(
        app_label="mail"
    )


def content_type_to_integrations(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="mail", model="outboxmessage").update(
        app_label="integrations"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("integrations", "0005_outbox_html"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("invitation", "Invitation"),
                                    ("update", "Update"),
                                    ("cancellation", "Cancellation"),
                                    ("reminder", "Reminder"),
                                    ("survey", "Survey request"),
                                    ("review", "Resource review"),
                                    ("waitlist", "Waitlist"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("recipient", models.EmailField(max_length=254)),
                        ("subject", models.CharField(max_length=255)),
                        ("body", models.TextField()),
                        ("html", models.TextField(blank=True)),
                        ("ics", models.TextField(blank=True)),
                        ("ics_method", models.CharField(blank=True, max_length=16)),
                        ("dedupe_key", models.CharField(max_length=200, unique=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("failed", "Failed"),
                                ],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField()),
                        ("claim_token", models.CharField(blank=True, max_length=32)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField()),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "integrations_outboxmessage",
                        "ordering": ["created_at", "id"],
                        "indexes": [
                            models.Index(
                                fields=["status", "next_attempt_at"],
                                name="integration_status_91d7f5_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="outboxmessage", table=None),
        migrations.RenameIndex(
            model_name="outboxmessage",
            new_name="mail_outbox_due_idx",
            old_name="integration_status_91d7f5_idx",
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="kind",
            field=models.CharField(
                max_length=64, validators=[knowflow.mail.kinds.validate_kind]
            ),
        ),
        migrations.RunPython(kinds_to_dotted, kinds_to_old),
        migrations.RunPython(content_type_to_mail, content_type_to_integrations),
    ]
