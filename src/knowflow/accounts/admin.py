from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from knowflow.accounts.models import ApiToken, Office, OrgUnit, Person, User

admin.site.register(User, UserAdmin)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("display_name", "role", "timezone", "office", "org_unit")
    list_filter = ("role", "office", "org_unit")
    search_fields = ("display_name", "email", "slug")
    raw_id_fields = ("user",)
    autocomplete_fields = ("skills",)


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "country", "timezone")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "person", "prefix", "created_at", "last_used_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
    raw_id_fields = ("person",)
