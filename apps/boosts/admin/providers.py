"""SMM providers in the admin: settings through the staff service, with a reason and an audit.

Service ids are read-only on the change page: they change on their own confirmation page (old
→ new, reason required). The API key is never typed, stored or shown: only the name of its
environment variable, and whether that variable is set (yes/no).
"""

from __future__ import annotations

import os

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from apps.boosts.admin.forms import ProviderForm, ServiceIdsForm
from apps.boosts.admin.pages import CONFIRM, REVIEW, action_page
from apps.boosts.clients.smm import SmmError, smm_breaker
from apps.boosts.models import Provider
from apps.boosts.services.staff import (
    ADD_PROVIDERS,
    EDIT_PROVIDERS,
    BoostActionRefused,
    change_service_ids,
    create_provider,
    is_low,
    refresh_balance,
    update_provider,
)
from apps.common.http.errors import ProviderError
from apps.purchases.admin.base import GREEN, GREY, ORANGE, RED, html_table, quiet, when

BREAKER_COLOURS = {"closed": GREEN, "half_open": ORANGE, "open": RED}
BREAKER_LABELS = {"closed": "closed", "half_open": "half open (trying)", "open": "OPEN"}
SERVICE_ID_FIELDS = ("view_service_id", "like_service_id")
BALANCE_FIELDS = ("balance_shown", "low_balance_alerted_at", "updated_at")


def key_is_set(provider: Provider) -> bool:
    """Whether the key variable (or its _FILE form) is set; its value is never read here."""
    name = provider.api_key_env
    return bool(os.environ.get(name) or os.environ.get(f"{name}_FILE"))


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderForm
    change_form_template = "admin/boosts/provider/change_form.html"
    list_display = (
        "name",
        "priority",
        "is_enabled",
        "balance_shown",
        "low_balance_shown",
        "breaker_shown",
        "key_set_shown",
    )
    list_display_links = ("name",)
    list_filter = ("is_enabled",)
    search_fields = ("name",)
    ordering = ("priority", "name")
    actions = None
    show_full_result_count = False

    def get_fieldsets(self, request, obj=None):
        panel = ("name", "api_url", "api_key_env", "key_set_shown", "priority", "is_enabled")
        if obj is None:
            panel = tuple(name for name in panel if name != "key_set_shown")
        fieldsets = [
            ("Panel", {"fields": panel}),
            ("Service ids (for orders submitted from now on)", {"fields": SERVICE_ID_FIELDS}),
            ("Balance", {"fields": ("low_balance_threshold", *(BALANCE_FIELDS if obj else ()))}),
        ]
        if obj is None or self.has_change_permission(request, obj):
            fieldsets.append(("Why", {"fields": ("reason",)}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("name", *SERVICE_ID_FIELDS, "key_set_shown", *BALANCE_FIELDS)

    def has_add_permission(self, request):
        return request.user.has_perm(ADD_PROVIDERS)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(EDIT_PROVIDERS)

    def has_delete_permission(self, request, obj=None):
        # Provider orders and snapshots name providers; a panel no longer used is disabled.
        return False

    def save_model(self, request, obj, form, change):
        """Never saves OBJ itself: the service writes the provider and its audit event."""
        reason = form.cleaned_data["reason"]
        if change:
            saved = update_provider(
                obj, actor=request.user, reason=reason, changes=form.setting_changes()
            )
        else:
            saved = create_provider(
                actor=request.user, reason=reason, values=form.provider_values()
            )
        obj.__dict__.update(saved.__dict__)

    # --- object actions: service ids, balance ---

    def get_urls(self):
        def page(route, view, name):
            return path(route, self.admin_site.admin_view(view), name=f"boosts_provider_{name}")

        return [
            page("<path:object_id>/service-ids/", self.service_ids_view, "service_ids"),
            page("<path:object_id>/refresh-balance/", self.refresh_balance_view, "refresh"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            context["service_ids_url"] = reverse("admin:boosts_provider_service_ids", args=[obj.pk])
            context["refresh_balance_url"] = reverse("admin:boosts_provider_refresh", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _editable(self, request, object_id) -> Provider:
        provider = self.get_object(request, unquote(object_id))
        if provider is None:
            raise Http404(f"No provider {object_id}.")
        if not self.has_change_permission(request, provider):
            raise PermissionDenied
        return provider

    def _back(self, provider):
        return redirect(reverse("admin:boosts_provider_change", args=[provider.pk]))

    def service_ids_view(self, request, object_id):
        provider = self._editable(request, object_id)
        stage = request.POST.get("stage", "") if request.method == "POST" else ""
        form = ServiceIdsForm(request.POST if stage else None, provider=provider)
        if stage == CONFIRM and form.is_valid():
            data = form.cleaned_data
            try:
                done = change_service_ids(
                    provider,
                    actor=request.user,
                    reason=data["reason"],
                    view_service_id=data["view_service_id"],
                    like_service_id=data["like_service_id"],
                )
            except BoostActionRefused as refusal:
                self.message_user(request, f"{provider}: {refusal}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{done}: service ids are now {done.view_service_id} (views) and "
                    f"{done.like_service_id} (likes) for orders submitted from now on.",
                    messages.SUCCESS,
                )
            return self._back(provider)
        reviewing = stage in (REVIEW, CONFIRM) and form.is_valid()
        return action_page(
            self,
            request,
            provider,
            title="Change these service ids?" if reviewing else "Change service ids",
            intro="New boost orders use the new ids; orders already submitted keep the ids "
            "they were submitted with. Check the ids on the panel's services list first.",
            tables=[("Service ids", _ids_table(provider, form if reviewing else None))],
            form=form,
            show_form=not reviewing,
            stage=CONFIRM if reviewing else REVIEW,
            submit="Yes, change them" if reviewing else "Review",
        )

    def refresh_balance_view(self, request, object_id):
        provider = self._editable(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            provider = refresh_balance(provider)
        except (SmmError, ProviderError) as error:
            self.message_user(
                request, f"{provider}: the panel did not answer ({error}).", messages.ERROR
            )
        else:
            self.message_user(
                request, f"{provider}: balance {_balance_text(provider)}.", messages.SUCCESS
            )
        return self._back(provider)

    # --- columns ---

    @admin.display(description="Balance")
    def balance_shown(self, provider):
        if provider.balance_checked_at is None:
            return quiet("not checked yet")
        return format_html(
            "{} <span class='quiet'>checked {}</span>",
            _balance_text(provider),
            when(provider.balance_checked_at),
        )

    @admin.display(description="Low balance")
    def low_balance_shown(self, provider):
        if provider.balance is None:
            return quiet("—")
        if is_low(provider):
            return format_html(
                '<strong style="color: {}">LOW (below {})</strong>',
                RED,
                provider.low_balance_threshold,
            )
        return format_html('<span style="color: {}">ok</span>', GREEN)

    @admin.display(description="Circuit breaker")
    def breaker_shown(self, provider):
        state = smm_breaker(provider.name).state()
        return format_html(
            '<strong style="color: {}">{}</strong>',
            BREAKER_COLOURS.get(state, GREY),
            BREAKER_LABELS.get(state, state),
        )

    @admin.display(description="API key variable set")
    def key_set_shown(self, provider):
        if key_is_set(provider):
            return format_html("yes <span class='quiet'>({})</span>", provider.api_key_env)
        return format_html(
            '<strong style="color: {}">no</strong> <span class="quiet">({} is not set)</span>',
            RED,
            provider.api_key_env,
        )


def _balance_text(provider: Provider) -> str:
    if provider.balance is None:
        return "—"
    return f"{provider.balance:,.2f} {provider.balance_currency}".strip()


def _ids_table(provider: Provider, form) -> str:
    rows = []
    for field, label in (("view_service_id", "Views"), ("like_service_id", "Likes")):
        old = getattr(provider, field)
        if form is None:
            rows.append((label, old, "—"))
        else:
            new = form.cleaned_data[field]
            rows.append((label, old, f"→ {new}" if new != old else "unchanged"))
    return html_table(("Service", "Now", "New"), rows)
