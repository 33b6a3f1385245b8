"""The sandbox in the admin: failure injection to edit, the fake's records to read.

Registered only while SANDBOX is on, so production staff never see sandbox menus.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator

from apps.sandbox.models import (
    ApiCall,
    ChainHead,
    ChainTransfer,
    ChatMember,
    FakePrice,
    FlutterwaveCharge,
    FlutterwaveTransfer,
    FlutterwaveWallet,
    InboundUpdate,
    InjectedFailure,
    SandboxPersona,
    SentMessage,
    WebhookState,
)
from apps.sandbox.smm.admin import SmmPanelAdmin, SmmPanelOrderAdmin, SmmPanelRefillAdmin
from apps.sandbox.smm.models import SmmPanel, SmmPanelOrder, SmmPanelRefill

EXCERPT_CHARS = 60


class ViewOnlyAdmin(admin.ModelAdmin):
    """Records the fake wrote: to read (and clear), never to edit by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InjectedFailureAdmin(admin.ModelAdmin):
    list_display = ("method", "kind", "retry_after", "delay_seconds", "remaining", "created_at")
    list_filter = ("kind",)
    search_fields = ("method",)
    fields = ("method", "kind", "retry_after", "delay_seconds", "remaining")


class SentMessageAdmin(ViewOnlyAdmin):
    list_display = ("chat_id", "message_id", "method", "excerpt", "edited_at", "deleted")
    list_filter = ("method", "deleted")
    search_fields = ("=chat_id", "text", "caption")
    date_hierarchy = "created_at"
    ordering = ("-id",)

    @admin.display(description="text")
    def excerpt(self, message):
        return Truncator(message.text or message.caption).chars(EXCERPT_CHARS)


class ApiCallAdmin(ViewOnlyAdmin):
    list_display = ("created_at", "method", "status", "injected", "source", "duration_ms")
    list_filter = ("ok", "source", "injected")
    search_fields = ("method", "description")
    date_hierarchy = "created_at"

    @admin.display(description="HTTP status", ordering="http_status")
    def status(self, call):
        if call.ok:
            return call.http_status
        return format_html('<strong title="{}">{}</strong>', call.description, call.http_status)


class SandboxPersonaAdmin(admin.ModelAdmin):
    list_display = ("telegram_id", "first_name", "username", "created_at")
    search_fields = ("=telegram_id", "username", "first_name")


class InboundUpdateAdmin(ViewOnlyAdmin):
    list_display = ("update_id", "persona", "kind", "what", "delivery_status", "created_at")
    list_filter = ("kind", "delivery_status")
    list_select_related = ("persona",)
    search_fields = ("=update_id", "=chat_id", "text", "callback_data")
    date_hierarchy = "created_at"

    @admin.display(description="text or button")
    def what(self, update):
        return Truncator(update.text or update.callback_data).chars(EXCERPT_CHARS)


class WebhookStateAdmin(ViewOnlyAdmin):
    list_display = ("url", "max_connections", "last_error_message", "updated_at")
    search_fields = ("url",)
    exclude = ("secret_token",)


class ChatMemberAdmin(admin.ModelAdmin):
    list_display = ("chat_id", "user_id", "status")
    list_filter = ("status",)
    search_fields = ("=chat_id", "=user_id")


class FakePriceAdmin(admin.ModelAdmin):
    """Move a fake price (e.g. make CoinGecko and Binance disagree) without touching code."""

    list_display = ("source", "coin", "price", "updated_at")
    list_filter = ("source",)
    search_fields = ("coin",)


class ChainTransferAdmin(ViewOnlyAdmin):
    list_display = ("network", "tx_hash", "recipient", "token", "amount_units", "succeeded")
    list_display += ("block_number", "block_time")
    list_filter = ("network", "succeeded")
    search_fields = ("=tx_hash", "recipient")
    date_hierarchy = "created_at"


class ChainHeadAdmin(ViewOnlyAdmin):
    list_display = ("network", "block_number")


class FlutterwaveChargeAdmin(ViewOnlyAdmin):
    list_display = ("tx_ref", "status", "amount_expected", "amount_paid", "currency", "created_at")
    list_filter = ("status",)
    search_fields = ("=tx_ref", "account_number")


class FlutterwaveTransferAdmin(ViewOnlyAdmin):
    list_display = ("reference", "status", "amount", "bank_code", "account_number", "created_at")
    list_filter = ("status",)
    search_fields = ("=reference", "account_number")
    date_hierarchy = "created_at"


if settings.SANDBOX:
    admin.site.register(FlutterwaveTransfer, FlutterwaveTransferAdmin)
    admin.site.register(FlutterwaveWallet)
    admin.site.register(FakePrice, FakePriceAdmin)
    admin.site.register(ChainTransfer, ChainTransferAdmin)
    admin.site.register(ChainHead, ChainHeadAdmin)
    admin.site.register(FlutterwaveCharge, FlutterwaveChargeAdmin)
    admin.site.register(InjectedFailure, InjectedFailureAdmin)
    admin.site.register(SentMessage, SentMessageAdmin)
    admin.site.register(ApiCall, ApiCallAdmin)
    admin.site.register(SandboxPersona, SandboxPersonaAdmin)
    admin.site.register(InboundUpdate, InboundUpdateAdmin)
    admin.site.register(WebhookState, WebhookStateAdmin)
    admin.site.register(ChatMember, ChatMemberAdmin)
    admin.site.register(SmmPanel, SmmPanelAdmin)
    admin.site.register(SmmPanelOrder, SmmPanelOrderAdmin)
    admin.site.register(SmmPanelRefill, SmmPanelRefillAdmin)
