"""Bot users in the admin: searchable by every staff role, changed only through services."""

from django.contrib import admin
from django.utils.html import format_html

from apps.users.models import BotUser


@admin.register(BotUser)
class BotUserAdmin(admin.ModelAdmin):
    list_display = (
        "telegram_id",
        "handle",
        "full_name",
        "referrer",
        "is_banned",
        "is_reply_guy",
        "created_at",
        "last_seen_at",
    )
    list_filter = ("is_banned", "is_reply_guy", "language_code")
    # "=" keeps the Telegram id search on the unique index instead of a LIKE scan.
    search_fields = ("=telegram_id", "username", "first_name", "last_name", "x_username")
    list_select_related = ("referrer",)
    date_hierarchy = "created_at"
    # Counting millions of rows on every page is slow and tells staff nothing.
    show_full_result_count = False
    readonly_fields = [field.name for field in BotUser._meta.fields]

    @admin.display(description="Username", ordering="username")
    def handle(self, bot_user):
        if not bot_user.username:
            return "—"
        return format_html("@{}", bot_user.username)

    def has_add_permission(self, request):
        return False  # bot users register through the bot

    def has_change_permission(self, request, obj=None):
        return False  # bans and flags arrive as audited actions with their own permission

    def has_delete_permission(self, request, obj=None):
        return False  # money history hangs off bot users
