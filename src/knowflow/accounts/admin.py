from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from knowflow.accounts.models import ApiToken, Office, OrgUnit, Person, ProviderIdentity, User

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


@admin.register(ProviderIdentity)
class ProviderIdentityAdmin(admin.ModelAdmin):
    """Which company account each user signs in with. Deleting a row lets the next company
    sign-in with that email link the person again (after an address was handed to someone
    new, say)."""

    list_display = ("user", "subject", "issuer", "created_at", "last_signed_in_at")
    search_fields = ("user__username", "user__email", "subject")
    readonly_fields = ("issuer", "subject", "created_at", "last_signed_in_at")
    raw_id_fields = ("user",)
