"""What the organisation export holds: every model of every Knowflow app, decided here.

The list is derived from the app registry, not written out, so a model added later is exported
without anyone remembering to add it. A model is left out only when it is named below with the
reason, and `tests/integrations/test_org_data_scope.py` fails for a model that is neither.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

from django.apps import apps
from django.core.files.storage import Storage
from django.db.models import FileField, Model

KNOWFLOW_PACKAGE = "knowflow."

# Framework models whose rows belong to the organisation: groups users are in, and the Django
# admin's history of who changed what.
FRAMEWORK_EXPORTED = ("auth.Group", "admin.LogEntry")

# Rows computed from other rows: left out of the file and rebuilt (or recomputed) after import,
# so the file holds each fact once and the rebuilt copy can never disagree with it.
DERIVED = {
    "search.SearchDocument": "the search index: rebuilt from the imported rows during the import",
    "search.SemanticModel": "the semantic search model: trained again from the rebuilt index "
    "during the import (or by the worker, or `knowflow search_train`)",
    "insights.DashboardRollup": "a cache of the dashboard figures: the dashboard computes them "
    "itself until the worker's next refresh",
    "library.RelatedContent": 'the stored "More on this" lists: the worker recomputes them '
    "after the import re-indexes (or run `knowflow related_refresh`)",
}

# Rows that let someone act as a person. Left out unless `--include-credentials` is given;
# user password hashes are replaced by an unusable password in the same case.
CREDENTIALS = {
    "accounts.ApiToken": "API token hashes",
    "integrations.CalendarFeedToken": "calendar feed secrets (the URL is the credential)",
    "scim.ScimToken": "hashes of the identity provider's SCIM bearer tokens; an admin makes a "
    "new one on the SCIM page and gives it to the provider",
    "feedback.SurveyLink": "hashes of the personal survey links sent by email",
    "mail.OutboxMessage": "the email outbox: survey emails carry personal answer links",
    "sessions.Session": "signed-in browser sessions",
}

# Columns of exported rows that are credentials too: written blank unless
# `--include-credentials` is given, like the models above. A blank value is a state the model
# already knows, so the imported row works as soon as someone makes a new secret.
CREDENTIAL_FIELDS = {
    "events.Occurrence": {
        "checkin_token": "a date's self check-in secret (the link shown in the room is the "
        "credential); blank until an organiser opens the check-in page, which makes a new one",
    },
    "chat.ChatChannel": {
        "webhook_url_sealed": "a chat channel's incoming-webhook URL (sealed): whoever has it "
        "posts to the channel; blank until the channel is connected again, and nothing is "
        "queued for it until then",
    },
    "webhooks.Webhook": {
        "secret_sealed": "a webhook's signing secret (sealed); blank until an admin makes a new "
        "one on the webhook's page, and nothing is sent to the webhook until then",
    },
}

# Framework and library models that are not the organisation's data.
NOT_EXPORTED = {
    "contenttypes.ContentType": "made by `knowflow migrate`; rows name them by natural key",
    "auth.Permission": "made by `knowflow migrate`; rows name them by natural key",
    "django_tasks_database.DBTaskResult": "the old installation's queue of background work; the "
    "worker queues its periodic jobs again",
    # Sign-in throttling's records: who failed to sign in from which address, and when. They
    # guard the old installation against guessing for fifteen minutes; carried over they would
    # only lock people out of the new one, and they name addresses nobody needs to keep.
    "axes.AccessAttempt": "failed sign-in attempts counted by the throttle (django-axes)",
    "axes.AccessAttemptExpiration": "when the throttle's counts expire (django-axes)",
    "axes.AccessFailureLog": "the throttle's log of failed sign-ins (django-axes)",
    "axes.AccessLog": "the throttle's log of sign-ins (django-axes)",
}


def is_knowflow_model(model: type[Model]) -> bool:
    return model._meta.app_config.name.startswith(KNOWFLOW_PACKAGE)


def _concrete_models() -> list[type[Model]]:
    return [
        model
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed and not model._meta.auto_created
    ]


def exported_models(*, include_credentials: bool) -> list[type[Model]]:
    """Every model the export writes, in dependency order (a row's targets come first).

    The order only makes the file readable top to bottom: the import loads everything in one
    transaction whose foreign-key checks run at commit.
    """
    chosen = {
        model._meta.label: model
        for model in _concrete_models()
        if (
            is_knowflow_model(model)
            or model._meta.label in FRAMEWORK_EXPORTED
            or model._meta.label in CREDENTIALS
        )
        and model._meta.label not in DERIVED
        and (include_credentials or model._meta.label not in CREDENTIALS)
    }
    graph: TopologicalSorter[str] = TopologicalSorter()
    for label in sorted(chosen):
        model = chosen[label]
        targets = {
            field.related_model._meta.label
            for field in [*model._meta.fields, *model._meta.many_to_many]
            if field.is_relation and field.related_model is not None
        }
        graph.add(label, *sorted(t for t in targets if t in chosen and t != label))
    return [chosen[label] for label in graph.static_order()]


def unclassified_models() -> list[str]:
    """Models that are neither exported nor named as left out: must stay empty."""
    exported = {m._meta.label for m in exported_models(include_credentials=True)}
    named = set(DERIVED) | set(CREDENTIALS) | set(NOT_EXPORTED)
    return sorted(
        model._meta.label
        for model in _concrete_models()
        if model._meta.label not in exported and model._meta.label not in named
    )


def file_storage(label: str, field_name: str) -> Storage:
    """The storage of a model's file field: where its files live, whatever backend that is."""
    field = apps.get_model(label)._meta.get_field(field_name)
    if not isinstance(field, FileField):
        raise LookupError(f"{label}.{field_name} is not a file field")
    return field.storage


# Rows `knowflow migrate` writes into every new database: the survey templates Knowflow ships
# (and their questions). An otherwise empty database holds them; the import replaces them with
# the exported ones, which may since have been revised, retired or made the default.
SEEDED_BY_MIGRATIONS = {
    "feedback.SurveyTemplate": {"shipped": True},
    "feedback.Question": {"template__shipped": True},
}
