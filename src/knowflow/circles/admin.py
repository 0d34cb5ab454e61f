from django.contrib import admin

from knowflow.circles.models import Circle, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    raw_id_fields = ("person",)
    extra = 0


@admin.register(Circle)
class CircleAdmin(admin.ModelAdmin):
    list_display = ("name", "visibility", "created_at")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]
    autocomplete_fields = ("topics",)
