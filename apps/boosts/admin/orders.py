"""Boost orders in the admin: read-only pages, and staff actions through confirmation pages.

The list answers "where is my boost" (search by the user's Telegram id or @username, the link,
the post id or a provider's order id). The change page shows the phases and every order placed
at a panel. Retry, cancel, refill and resolve each open a page that asks for a reason and call
services/staff.py, which checks the permission and the state again.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from apps.boosts.admin.forms import (
    CancelOrderForm,
    RefillForm,
    ResolveUnknownForm,
    RetryPhaseForm,
)
from apps.boosts.admin.pages import (
    action_page,
    link_cell,
    order_badge,
    order_reference,
    phase_badge,
    provider_order_badge,
)
from apps.boosts.links import TELEGRAM, X
from apps.boosts.models import (
    BoostOrder,
    BoostPhase,
    PhaseStatus,
    ProviderOrder,
    ProviderOrderStatus,
)
from apps.boosts.services.staff import (
    ACT_ON_ORDERS,
    BoostActionRefused,
    cancel_order,
    cancel_refusal,
    order_retry_refusal,
    refill_order,
    refillable,
    resolve_unknown,
    retry_phase,
    retry_refusal,
)
from apps.common.admin_mixins import ReadOnlyAdmin
from apps.purchases.admin.base import (
    FixedChoicesFilter,
    change_link,
    html_table,
    quiet,
    targets_text,
    user_cell,
    when,
)
from apps.purchases.admin.purchases import without_at

ACTION_LABELS = {
    "retry": "Retry a phase",
    "cancel": "Cancel order",
    "refill": "Refill",
    "resolve": "Resolve unknown",
}
PROVIDER_ORDER_COLUMNS = (
    "Phase",
    "Provider",
    "Service id",
    "Kind",
    "Quantity",
    "Order id",
    "Status",
    "Remains",
    "Charge",
    "Refill id",
    "Error",
)


class PlatformFilter(FixedChoicesFilter):
    title = "platform"
    parameter_name = field_name = "platform"
    options = ((X, "X"), (TELEGRAM, "Telegram"))


def _count_of(phases) -> Coalesce:
    counted = phases.filter(order=OuterRef("pk")).order_by().values("order").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0)


def acts_on_boosts(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(ACT_ON_ORDERS)


class PhaseInline(admin.TabularInline):
    """The order's phases as they stand; read-only for everyone (actions change them)."""

    model = BoostPhase
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    fields = (
        "number",
        "due_at",
        "views",
        "likes",
        "status_shown",
        "attempts",
        "last_error",
        "failed_providers_shown",
    )
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        # The phases are part of the order: whoever may read the order reads them.
        return request.user.has_perm("boosts.view_boostorder") or acts_on_boosts(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Status")
    def status_shown(self, phase):
        return phase_badge(phase)

    @admin.display(description="Failed providers")
    def failed_providers_shown(self, phase):
        return ", ".join(phase.failed_providers or []) or "—"


@admin.register(BoostOrder)
class BoostOrderAdmin(ReadOnlyAdmin):
    change_form_template = "admin/boosts/boostorder/change_form.html"
    list_display = (
        "reference_shown",
        "user_shown",
        "platform",
        "link_shown",
        "plan_code",
        "status_shown",
        "created_at",
        "phases_shown",
    )
    list_display_links = ("reference_shown",)
    list_select_related = ("user",)
    list_filter = ("status", PlatformFilter, "created_at")
    date_hierarchy = "created_at"
    search_fields = (
        "=user__telegram_id",
        "=user__username",
        "=link",
        "=post_id",
        "=phases__orders__provider_order_id",
    )
    search_help_text = "Telegram id, @username, the link, the post id or a provider's order id."
    actions = None
    inlines = (PhaseInline,)
    fieldsets = (
        ("Order", {
            "fields": ("reference_shown", "user_shown", "purchase_shown", "platform",
                       "link_shown", "post_id", "account", "plan_code", "targets_shown",
                       "provider_shown")
        }),
        ("State", {
            "fields": ("status_shown", "credit_returned", "last_error", "created_at",
                       "finished_at")
        }),
        ("Orders placed at the panels", {"fields": ("provider_orders_shown",)}),
    )  # fmt: skip
    readonly_fields = (
        "reference_shown",
        "user_shown",
        "purchase_shown",
        "link_shown",
        "targets_shown",
        "provider_shown",
        "status_shown",
        "provider_orders_shown",
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                phases_total=_count_of(BoostPhase.objects.all()),
                phases_placed=_count_of(BoostPhase.objects.filter(placed_at__isnull=False)),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, without_at(search_term))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or acts_on_boosts(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or acts_on_boosts(request.user)

    # --- object actions ---

    def get_urls(self):
        def page(route, view, name):
            return path(route, self.admin_site.admin_view(view), name=f"boosts_boostorder_{name}")

        return [
            page("<path:object_id>/retry-phase/", self.retry_view, "retry"),
            page("<path:object_id>/cancel/", self.cancel_view, "cancel"),
            page("<path:object_id>/refill/", self.refill_view, "refill"),
            page("<path:object_id>/resolve/", self.resolve_view, "resolve"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and acts_on_boosts(request.user):
            context["boost_actions"] = [
                (ACTION_LABELS[name], reverse(f"admin:boosts_boostorder_{name}", args=[obj.pk]))
                for name in available_actions(obj)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _actionable(self, request, object_id) -> BoostOrder:
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404(f"No boost order {object_id}.")
        if not (self.has_view_permission(request, order) and acts_on_boosts(request.user)):
            raise PermissionDenied
        return order

    def _do(self, request, order, call, done):
        """Call the service; its refusal is shown as it is, and nothing has changed."""
        try:
            result = call()
        except BoostActionRefused as refusal:
            self.message_user(request, f"{order_reference(order)}: {refusal}", messages.ERROR)
        else:
            self.message_user(
                request, f"{order_reference(order)}: {done(result)}", messages.SUCCESS
            )
        return redirect(reverse("admin:boosts_boostorder_change", args=[order.pk]))

    def retry_view(self, request, object_id):
        order = self._actionable(request, object_id)
        phases = list(order.phases.filter(status=PhaseStatus.PENDING).order_by("number"))
        retryable = [phase for phase in phases if not retry_refusal(phase)]
        form = RetryPhaseForm(request.POST if request.method == "POST" else None, phases=retryable)
        if form.is_valid():
            phase, reason = form.cleaned_data["phase"], form.cleaned_data["reason"]
            return self._do(
                request,
                order,
                lambda: retry_phase(phase, actor=request.user, reason=reason),
                lambda done: f"phase {done.number} will be tried again now, on every provider.",
            )
        refusal = "" if retryable else _no_retry_reason(order)
        return action_page(
            self,
            request,
            order,
            title="Retry a phase",
            intro="The phase is tried again at once, on every enabled provider, including those "
            "that refused it before (e.g. after a top-up or a service id fix).",
            facts=_order_facts(order),
            tables=[("Phases", _phases_table(order))],
            refusal=refusal,
            form=form,
            submit="Retry now",
        )

    def cancel_view(self, request, object_id):
        order = self._actionable(request, object_id)
        form = CancelOrderForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            data = form.cleaned_data
            return self._do(
                request,
                order,
                lambda: cancel_order(
                    order,
                    actor=request.user,
                    reason=data["reason"],
                    return_credit=data["return_credit"],
                ),
                _canceled_message,
            )
        running = ProviderOrder.objects.filter(
            phase__order=order,
            status__in=(ProviderOrderStatus.PENDING, ProviderOrderStatus.IN_PROGRESS),
        )
        return action_page(
            self,
            request,
            order,
            title="Cancel this boost order?",
            intro="Phases waiting or being checked are canceled; orders running at a panel are "
            f"asked to stop ({running.count()} of them; the panel may still deliver part). "
            "Phases already placed keep being followed.",
            facts=_order_facts(order),
            tables=[("Phases", _phases_table(order))],
            refusal=cancel_refusal(order, list(order.phases.all())),
            form=form,
            submit="Yes, cancel it",
        )

    def refill_view(self, request, object_id):
        order = self._actionable(request, object_id)
        form = RefillForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            return self._do(
                request,
                order,
                lambda: refill_order(order, actor=request.user, reason=reason),
                _refill_message,
            )
        candidates = list(refillable(order).select_related("phase"))
        return action_page(
            self,
            request,
            order,
            title="Ask the panels for a refill?",
            intro="Each panel is asked to refill its delivered orders below; the refill id (or "
            "the panel's refusal) is kept with each order.",
            facts=_order_facts(order),
            tables=[("Orders to refill", _provider_orders_table(candidates))],
            refusal=""
            if candidates
            else "there is no completed or partial order with a panel order id to refill.",
            form=form,
            submit="Yes, ask for a refill",
        )

    def resolve_view(self, request, object_id):
        order = self._actionable(request, object_id)
        unknown = list(
            ProviderOrder.objects.filter(phase__order=order, status=ProviderOrderStatus.UNKNOWN)
            .select_related("phase")
            .order_by("pk")
        )
        initial = {"provider_order": request.GET.get("provider_order")}
        form = ResolveUnknownForm(
            request.POST if request.method == "POST" else None,
            provider_orders=unknown,
            initial=initial,
        )
        if form.is_valid():
            data = form.cleaned_data
            return self._do(
                request,
                order,
                lambda: resolve_unknown(
                    data["provider_order"],
                    actor=request.user,
                    reason=data["reason"],
                    provider_order_id=data["provider_order_id"],
                ),
                _resolved_message,
            )
        return action_page(
            self,
            request,
            order,
            title="Resolve an order of unknown outcome",
            intro="The panel did not answer when this order was sent, so it was not sent "
            "again. Look for it on the panel (same link, quantity and time) and say what you "
            "found.",
            facts=_order_facts(order),
            tables=[("Orders of unknown outcome", _provider_orders_table(unknown))],
            refusal="" if unknown else "no order of this boost has an unknown outcome.",
            form=form,
            submit="Resolve",
        )

    # --- columns and fields ---

    @admin.display(description="Ref", ordering="id")
    def reference_shown(self, order):
        return order_reference(order)

    @admin.display(description="User", ordering="user__telegram_id")
    def user_shown(self, order):
        return user_cell(order.user)

    @admin.display(description="Link")
    def link_shown(self, order):
        return link_cell(order.link)

    @admin.display(description="Status", ordering="status")
    def status_shown(self, order):
        return order_badge(order)

    @admin.display(description="Phases placed")
    def phases_shown(self, order):
        placed = getattr(order, "phases_placed", None)
        total = getattr(order, "phases_total", None)
        if total is None:
            total = order.phases.count()
            placed = order.phases.filter(placed_at__isnull=False).count()
        return f"{placed} / {total}"

    @admin.display(description="Purchase")
    def purchase_shown(self, order):
        return change_link(order.purchase, f"#{order.purchase_id}")

    @admin.display(description="Targets")
    def targets_shown(self, order):
        return targets_text(order.targets or {})

    @admin.display(description="Provider at submission")
    def provider_shown(self, order):
        snapshot = order.snapshot or {}
        if not snapshot.get("provider"):
            return quiet("none enabled at submission: the first enabled provider when due")
        services = snapshot.get("services") or {}
        return format_html(
            "{} <span class='quiet'>(views service {}, likes service {})</span>",
            snapshot["provider"],
            services.get("views", "—"),
            services.get("likes", "—"),
        )

    @admin.display(description="Provider orders")
    def provider_orders_shown(self, order):
        orders = ProviderOrder.objects.filter(phase__order=order).select_related("phase")
        return _provider_orders_table(list(orders.order_by("phase__number", "pk")))


def available_actions(order: BoostOrder) -> list[str]:
    """The actions worth offering on ORDER now (the pages and the services check again)."""
    phases = list(order.phases.all())
    found = []
    if any(p.status == PhaseStatus.PENDING and not retry_refusal(p) for p in phases):
        found.append("retry")
    if not cancel_refusal(order, phases):
        found.append("cancel")
    if refillable(order).exists():
        found.append("refill")
    if ProviderOrder.objects.filter(
        phase__order=order, status=ProviderOrderStatus.UNKNOWN
    ).exists():
        found.append("resolve")
    return found


def _no_retry_reason(order: BoostOrder) -> str:
    return order_retry_refusal(order) or "no phase is waiting after errors."


def _order_facts(order: BoostOrder) -> list[tuple[str, str]]:
    return [
        ("Order", order_reference(order)),
        ("User", user_cell(order.user)),
        ("Link", link_cell(order.link)),
        ("Plan", order.plan_code),
        ("Status", order_badge(order)),
        ("Credit returned", "yes" if order.credit_returned else "no"),
    ]


def _phases_table(order: BoostOrder) -> str:
    rows = [
        (
            phase.number,
            when(phase.due_at),
            f"{phase.views:,}",
            f"{phase.likes:,}",
            phase_badge(phase),
            phase.attempts,
            phase.last_error or "—",
            ", ".join(phase.failed_providers or []) or "—",
        )
        for phase in order.phases.order_by("number")
    ]
    return html_table(
        ("Phase", "Due", "Views", "Likes", "Status", "Attempts", "Last error", "Failed at"), rows
    )


def _provider_orders_table(orders) -> str:
    rows = [
        (
            order.phase.number,
            order.provider_name,
            order.service_id,
            order.get_kind_display(),
            f"{order.quantity:,}",
            order.provider_order_id or "—",
            provider_order_badge(order),
            "—" if order.remains is None else order.remains,
            "—" if order.charge is None else order.charge,
            order.refill_id or "—",
            order.error or "—",
        )
        for order in orders
    ]
    return html_table(PROVIDER_ORDER_COLUMNS, rows)


def _canceled_message(outcome) -> str:
    parts = ["canceled"]
    if outcome.phases_canceled:
        numbers = ", ".join(str(number) for number in outcome.phases_canceled)
        parts.append(f"phases {numbers} will not be placed")
    if outcome.provider_answers:
        answers = "; ".join(f"#{oid}: {answer}" for oid, answer in outcome.provider_answers.items())
        parts.append(f"panels asked to stop ({answers})")
    parts.append(
        "the credit was returned to the user"
        if outcome.credit_returned
        else "the credit was not returned"
    )
    return ", ".join(parts) + "."


def _refill_message(summary: dict) -> str:
    answers = "; ".join(f"#{oid}: {answer}" for oid, answer in summary.items())
    return f"refill asked for ({answers})."


def _resolved_message(resolution) -> str:
    order = resolution.provider_order
    if order.status == ProviderOrderStatus.NOT_PLACED:
        text = f"{order.provider_name} order recorded as not placed"
    else:
        text = f"{order.provider_name} order #{order.provider_order_id} is followed from now on"
    if resolution.phase_reopened:
        text += "; the phase is back with the dispatcher, which places whatever is missing"
    return text + "."
