"""The library in the Django admin (everything the pages do not cover)."""

from django.contrib import admin

from knowflow.library.models import (
    Collection,
    CollectionItem,
    CollectionSection,
    Resource,
    SearchClick,
    SearchQueryLog,
)


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "owner", "last_reviewed_on", "source", "external_id"]
    list_filter = ["kind", "source", "language"]
    search_fields = ["title", "external_id", "url"]
    raw_id_fields = ["session", "occurrence", "circle", "owner", "created_by", "authors"]
    filter_horizontal = ["topics"]
    # Saving here skips the services, so the index would not follow: edit through the pages.
    readonly_fields = ["file", "file_name", "file_type", "file_size"]


class SectionInline(admin.TabularInline):
    model = CollectionSection
    extra = 0


class ItemInline(admin.TabularInline):
    model = CollectionItem
    extra = 0
    raw_id_fields = ["resource", "session", "section"]


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "owner", "circle", "topic"]
    list_filter = ["kind"]
    search_fields = ["title"]
    raw_id_fields = ["owner", "circle", "topic"]
    inlines = [SectionInline, ItemInline]


@admin.register(SearchQueryLog)
class SearchQueryLogAdmin(admin.ModelAdmin):
    list_display = ["normalized", "result_count", "created_at"]
    search_fields = ["normalized"]


@admin.register(SearchClick)
class SearchClickAdmin(admin.ModelAdmin):
    list_display = ["log", "kind", "object_id", "position", "clicked_at"]
