from django.contrib import admin

from knowflow.chat.models import ChatChannel


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    """Channels for admins to find and pause; the sealed URL is neither shown nor editable
    (connect a channel again on its circle's or topic's page to change it)."""

    list_display = ("name", "kind", "circle", "topic", "webhook_host", "active", "created_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "circle__name", "topic__name")
    exclude = ("webhook_url_sealed",)
    readonly_fields = ("kind", "webhook_host", "circle", "topic", "created_by", "created_at")

    def has_add_permission(self, request: object) -> bool:
        return False  # a channel is connected on its page, where the URL is checked and sealed
