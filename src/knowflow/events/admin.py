from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from knowflow.events.models import Attendance, Occurrence, Registration, Room, Session
from knowflow.events.signals import occurrences_removed


class OccurrenceInline(admin.TabularInline):
    model = Occurrence
    extra = 0
    raw_id_fields = ("room",)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("title", "format", "status", "circle", "created_at")
    list_filter = ("status", "format", "level")
    search_fields = ("title",)
    prepopulated_fields = {"slug": ("title",)}
    raw_id_fields = ("speakers", "proposed_by")
    autocomplete_fields = ("topics",)
    inlines = [OccurrenceInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Occurrence and formset.deleted_objects:
            occurrences_removed.send(sender=Occurrence, session_ids=[form.instance.pk])


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "office", "capacity")
    list_filter = ("office",)


@admin.register(Occurrence)
class OccurrenceAdmin(admin.ModelAdmin):
    list_display = ("session", "start", "end", "room", "capacity")
    raw_id_fields = ("session", "room")
    date_hierarchy = "start"

    def delete_model(self, request: HttpRequest, obj: Occurrence) -> None:
        super().delete_model(request, obj)
        occurrences_removed.send(sender=Occurrence, session_ids=[obj.session_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Occurrence]) -> None:
        session_ids = sorted(set(queryset.values_list("session_id", flat=True)))
        super().delete_queryset(request, queryset)
        occurrences_removed.send(sender=Occurrence, session_ids=session_ids)

    def save_model(self, request: HttpRequest, obj: Occurrence, form: Any, change: bool) -> None:
        before = Occurrence.objects.filter(pk=obj.pk).values_list("session_id", flat=True).first()
        super().save_model(request, obj, form, change)
        if before is not None and before != obj.session_id:  # moved to another session
            occurrences_removed.send(sender=Occurrence, session_ids=[before, obj.session_id])


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("occurrence", "person", "status", "requested_at")
    list_filter = ("status",)
    raw_id_fields = ("occurrence", "person")


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ("occurrence", "person", "mode", "recorded_at")
    list_filter = ("mode",)
    raw_id_fields = ("occurrence", "person")
