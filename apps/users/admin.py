"""Bot users in the admin: searchable by every staff role, changed only through services."""

from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.html import format_html

from apps.users import staff_admin
from apps.users.models import BotUser
from apps.users.services import ModerationError, ban_bot_user, unban_bot_user


@admin.register(BotUser)
class BotUserAdmin(admin.ModelAdmin):
    list_display = (
        "telegram_id",
        "handle",
        "full_name",
        "referrer",
        "referral_count",
        "is_banned",
        "is_reply_guy",
        "created_at",
        "last_seen_at",
    )
    actions = ["ban", "unban"]
    list_filter = ("is_banned", "is_reply_guy", "language_code")
    # "=" keeps the Telegram id search on the unique index instead of a LIKE scan.
    search_fields = ("=telegram_id", "username", "first_name", "last_name", "x_username")
    list_select_related = ("referrer",)
    date_hierarchy = "created_at"
    # Counting millions of rows on every page is slow and tells staff nothing.
    show_full_result_count = False
    readonly_fields = [field.name for field in BotUser._meta.fields] + [
        "balances",
        "referral_count",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(referral_total=Count("referrals"))

    @admin.display(description="Referrals", ordering="referral_total")
    def referral_count(self, bot_user):
        return bot_user.referral_total

    @admin.display(description="Balances")
    def balances(self, bot_user):
        from apps.ledger.selectors import balances_for

        return ", ".join(f"{name}: {amount}" for name, amount in balances_for(bot_user).items())

    def has_ban_permission(self, request):
        return request.user.has_perm("users.ban_bot_user")

    @admin.action(description="Ban selected bot users", permissions=["ban"])
    def ban(self, request, queryset):
        return self._moderate(request, queryset, ban_bot_user, verb="ban", action="ban")

    @admin.action(description="Unban selected bot users", permissions=["ban"])
    def unban(self, request, queryset):
        return self._moderate(request, queryset, unban_bot_user, verb="unban", action="unban")

    def _moderate(self, request, queryset, service, *, verb, action):
        """Ask for a reason first; then one audited service call per bot user."""
        reason = request.POST.get("reason", "").strip()
        if "confirm" not in request.POST or not reason:
            context = {
                **self.admin_site.each_context(request),
                "title": f"{verb.capitalize()} bot users",
                "bot_users": list(queryset),
                "verb": verb,
                "action": action,
                "error": "A reason is required." if "confirm" in request.POST else "",
            }
            return TemplateResponse(request, "admin/users/moderation_reason.html", context)
        try:
            changed = sum(
                service(bot_user=bot_user, actor=request.user, reason=reason)
                for bot_user in queryset
            )
        except ModerationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.message_user(request, f"{verb.capitalize()}: {changed} bot user(s) changed.")
        return None

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


staff_admin.register(admin.site)
