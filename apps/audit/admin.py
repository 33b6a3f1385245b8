"""The audit log in the admin: read-only for everyone, searched by exact indexed keys.

Built for a million events: no unbounded COUNT (capped paginator, no full count, no facets),
no LIKE (search goes through AuditSearchTerm), and ordering fixed on the sequence index.
"""

from __future__ import annotations

import json
from datetime import UTC
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from apps.audit.export import csv_response, start_export
from apps.audit.filters import (
    ActionFilter,
    ActorTypeFilter,
    InvalidFilter,
    ObjectTypeFilter,
    OccurredRangeFilter,
    parse_filter,
    parse_filters,
)
from apps.audit.models import AuditEvent
from apps.audit.selectors import filter_events
from apps.common.pagination import CappedCountPaginator

EXPORT_PERMISSION = "users.export_audit"
REASON_EXCERPT_CHARS = 80


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "occurred",
        "action_name",
        "actor",
        "target",
        "reason_excerpt",
        "correlation",
    )
    list_filter = (ActionFilter, ActorTypeFilter, ObjectTypeFilter, OccurredRangeFilter)
    # No search_fields: get_search_results below replaces Django's LIKE search with an exact
    # lookup of AuditSearchTerm, and our search_form.html shows the box without them.
    search_help_text = (
        "Exact match: a Telegram id, @username, object id, correlation id, payout reference "
        "or tx hash."
    )
    ordering = ("-sequence",)
    # Sorting by other columns would sort the whole table; newest first stays on an index.
    sortable_by = ()
    show_full_result_count = False
    # Facet counts are one COUNT per sidebar choice, each over the whole filtered table.
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator
    # Every column lives on the event row itself: there is no relation to select.
    list_select_related = False
    actions = None
    fieldsets = (
        ("Event", {"fields": ("sequence", "occurred", "action", "reason")}),
        ("Who", {"fields": ("actor_type", "actor_id", "actor_label", "client_ip")}),
        ("Request", {"fields": ("correlation_id",)}),
        ("What changed", {"fields": ("object_type", "object_id", "before_json", "after_json")}),
        ("Hash chain", {"fields": ("prev_hash", "hash")}),
    )
    readonly_fields = [field.name for field in AuditEvent._meta.fields] + [
        "occurred",
        "before_json",
        "after_json",
    ]

    # --- read-only for every role, superusers included ---

    def has_add_permission(self, request):
        return False  # events enter the log only through apps.audit.services.record_event

    def has_change_permission(self, request, obj=None):
        return False  # the log is append-only; the hash chain would expose an edit anyway

    def has_delete_permission(self, request, obj=None):
        return False

    # --- search: exact, indexed keys only ---

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        try:
            key = parse_filter("q", search_term)
        except InvalidFilter as error:
            messages.warning(request, str(error))
            return queryset.none(), False
        return filter_events(queryset, q=key), False

    # --- columns ---

    @admin.display(description="Occurred (UTC)")
    def occurred(self, event):
        # To the second and in UTC: staff match events against logs and provider statements.
        moment = event.occurred_at.astimezone(UTC)
        return format_html(
            '<time datetime="{}">{}</time>',
            moment.isoformat(),
            moment.strftime("%Y-%m-%d %H:%M:%S"),
        )

    @admin.display(description="Action")
    def action_name(self, event):
        return format_html("<code>{}</code>", event.action)

    @admin.display(description="Actor")
    def actor(self, event):
        return format_html(
            '<span class="quiet">{}</span> {}', event.get_actor_type_display(), event.actor_label
        )

    @admin.display(description="Object")
    def target(self, event):
        if not event.object_id:
            return format_html("<code>{}</code>", event.object_type)
        return format_html("<code>{}:{}</code>", event.object_type, event.object_id)

    @admin.display(description="Reason")
    def reason_excerpt(self, event):
        return format_html("{}", Truncator(event.reason).chars(REASON_EXCERPT_CHARS))

    @admin.display(description="Correlation id")
    def correlation(self, event):
        if not event.correlation_id:
            return "—"
        # A click lists everything the same request or task did.
        query = urlencode({"q": event.correlation_id})
        return format_html('<a href="?{}"><code>{}</code></a>', query, event.correlation_id)

    @admin.display(description="Before")
    def before_json(self, event):
        return _pretty_json(event.before)

    @admin.display(description="After")
    def after_json(self, event):
        return _pretty_json(event.after)

    # --- CSV export of the changelist as filtered ---

    def get_urls(self):
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="audit_auditevent_export",
        )
        return [export, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export_audit": request.user.has_perm(EXPORT_PERMISSION),
        }
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        if request.method != "GET" or not request.user.has_perm(EXPORT_PERMISSION):
            raise PermissionDenied
        try:
            filters = parse_filters(request.GET)
        except InvalidFilter as error:
            messages.error(request, f"Nothing was exported: {error}")
            changelist = reverse("admin:audit_auditevent_changelist")
            return redirect(f"{changelist}?{request.GET.urlencode()}")
        return csv_response(start_export(actor=request.user, filters=filters))


def _pretty_json(value):
    if value is None:
        return "—"
    text = json.dumps(value, cls=DjangoJSONEncoder, indent=2, sort_keys=True, ensure_ascii=False)
    return format_html('<pre class="audit-json">{}</pre>', text)
