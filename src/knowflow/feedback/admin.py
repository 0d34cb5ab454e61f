"""The Django admin for feedback, built so that it cannot de-anonymise anyone.

- Responses and answers are not registered at all: an admin screen listing responses with
  their segment (org unit, office, mode, occurrence) could single a person out, and reading
  results goes through the pages, which apply the minimum group size.
- The request admin shows who was asked and whether they answered (needed to support people),
  never which response came from which request: no such link exists in the data, and no
  timestamp of answering is kept that could be matched against response ids.
- Templates are read-only here: editing goes through the service, which writes a new version.
  So is a retrospective's text: its edit page writes a version on every save.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from knowflow.feedback.models import (
    Question,
    Retrospective,
    RetrospectiveAction,
    RetrospectiveVersion,
    SurveyRequest,
    SurveyTemplate,
)


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    can_delete = False
    fields = ("position", "key", "text", "type", "required", "kirkpatrick", "ltem", "options")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "kind", "anonymous", "is_current", "is_default", "shipped")
    list_filter = ("kind", "anonymous", "is_current")
    readonly_fields = (
        "family",
        "version",
        "kind",
        "anonymous",
        "is_current",
        "shipped",
        "created_by",
        "created_at",
    )
    inlines = [QuestionInline]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SurveyRequest)
class SurveyRequestAdmin(admin.ModelAdmin):
    list_display = ("person", "occurrence", "kind", "status", "due_at", "reminder_sent")
    list_filter = ("kind", "status")
    raw_id_fields = ("person", "occurrence", "template")
    # What the admin may see about a request: never a response, never when it was answered.
    fields = (
        "person",
        "occurrence",
        "kind",
        "template",
        "mode",
        "status",
        "due_at",
        "sent_at",
        "reminder_sent",
        "expires_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ActionInline(admin.TabularInline):
    model = RetrospectiveAction
    extra = 0
    raw_id_fields = ("owner",)


class VersionInline(admin.TabularInline):
    """The saved versions, read-only: history is written by saving on the edit page."""

    model = RetrospectiveVersion
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "number",
        "went_well",
        "to_change",
        "hybrid_notes",
        "saved_by",
        "saved_at",
    )

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Retrospective)
class RetrospectiveAdmin(admin.ModelAdmin):
    list_display = ("occurrence", "version", "updated_by", "updated_at")
    raw_id_fields = ("occurrence", "updated_by")
    # The text changes only through the edit page, which writes a version: editing it here
    # would overwrite it without a trace, which is what versions exist to prevent.
    readonly_fields = (
        "went_well",
        "to_change",
        "hybrid_notes",
        "version",
        "updated_by",
        "updated_at",
    )
    inlines = [ActionInline, VersionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A retrospective starts on its page, which writes version 1 and its author; one
        # added here would have neither (and its read-only timestamps would be left empty).
        return False
