"""The bot's inbox, outbox and groups in the admin."""

from django.contrib import admin, messages
from django.db import transaction

from apps.audit.services import record_event
from apps.bot.models import OutboundMessage, TelegramGroup, TelegramUpdate
from apps.bot.processing import retry_failed_update
from apps.common.admin_mixins import ReadOnlyAdmin


@admin.register(TelegramUpdate)
class TelegramUpdateAdmin(ReadOnlyAdmin):
    list_display = (
        "update_id",
        "kind",
        "chat_id",
        "from_user_id",
        "status",
        "attempts",
        "received_at",
        "processed_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("=update_id", "=chat_id", "=from_user_id")
    date_hierarchy = "received_at"
    readonly_fields = [field.name for field in TelegramUpdate._meta.fields]
    actions = ["retry"]

    def has_retry_permission(self, request):
        return request.user.has_perm("bot.change_telegramupdate")

    @admin.action(description="Retry selected failed updates", permissions=["retry"])
    def retry(self, request, queryset):
        retried = sum(retry_failed_update(update=update) for update in queryset)
        for chat_id in set(queryset.values_list("chat_id", flat=True)):
            transaction.on_commit(lambda chat_id=chat_id: _enqueue(chat_id))
        self.message_user(request, f"{retried} failed update(s) queued again.", messages.SUCCESS)


def _enqueue(chat_id):
    from apps.bot.tasks import process_chat

    process_chat.delay(chat_id)  # staff asked: always, whatever the wake flag says


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "method", "chat_id", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "method")
    search_fields = ("=chat_id", "dedupe_key")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in OutboundMessage._meta.fields]


@admin.register(TelegramGroup)
class TelegramGroupAdmin(admin.ModelAdmin):
    list_display = ("title", "chat_id", "chat_type", "role", "position", "is_active", "updated_at")
    list_filter = ("role", "is_active", "chat_type")
    # Position orders the comment groups' round-robin (lower first).
    list_editable = ("role", "position")
    search_fields = ("title", "=chat_id")
    ordering = ("role", "position", "chat_id")
    readonly_fields = ("chat_id", "title", "chat_type", "is_active", "added_at", "updated_at")

    def has_add_permission(self, request):
        return False  # groups appear when the bot is added to them

    def save_model(self, request, obj, form, change):
        old = TelegramGroup.objects.get(pk=obj.pk) if change else None
        before = {"role": old.role, "position": old.position} if old else {}
        super().save_model(request, obj, form, change)
        after = {"role": obj.role, "position": obj.position}
        changed = [name for name in after if before.get(name) != after[name]]
        if changed:
            record_event(
                actor=request.user,
                action="telegram_group.role_changed",
                object_type="telegram_group",
                object_id=obj.pk,
                before={name: before.get(name) for name in changed},
                after={name: after[name] for name in changed},
                search_terms=[obj.chat_id, obj.title],
            )
