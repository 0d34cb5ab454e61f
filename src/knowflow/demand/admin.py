from django.contrib import admin

from knowflow.demand.models import TopicRequest, Vote


class VoteInline(admin.TabularInline):
    model = Vote
    extra = 0
    raw_id_fields = ["person"]


@admin.register(TopicRequest)
class TopicRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "requester", "created_at"]
    list_filter = ["status", "format", "level"]
    search_fields = ["title", "description"]
    raw_id_fields = ["requester", "merged_into", "session", "answered_by"]
    filter_horizontal = ["topics"]
    inlines = [VoteInline]
