from django.contrib import admin

from knowflow.events.models import Attendance, Occurrence, Registration, Room, Session


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


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "office", "capacity")
    list_filter = ("office",)


@admin.register(Occurrence)
class OccurrenceAdmin(admin.ModelAdmin):
    list_display = ("session", "start", "end", "room", "capacity")
    raw_id_fields = ("session", "room")
    date_hierarchy = "start"


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
