"""Cells and the confirmation page the boosts admin shares.

One template serves every staff action (retry a phase, cancel, refill, resolve an unknown
order, change service ids): what the action touches, why it cannot be done (if so), and the
form with its reason. Nothing here decides: the page posts back and the view calls the service.
"""

from __future__ import annotations

from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from apps.boosts.models import OrderStatus, PhaseStatus, ProviderOrderStatus
from apps.purchases.admin.base import BLUE, GREEN, GREY, ORANGE, RED, badge

CONFIRM_TEMPLATE = "admin/boosts/confirm.html"
# Stages of a page with a review step: the form, then what will change, then done.
REVIEW, CONFIRM = "review", "confirm"

ORDER_COLOURS = {
    OrderStatus.SCHEDULED: GREY,
    OrderStatus.RUNNING: BLUE,
    OrderStatus.COMPLETED: GREEN,
    OrderStatus.FAILED: RED,
    OrderStatus.CANCELED: GREY,
}
PHASE_COLOURS = {
    PhaseStatus.PENDING: GREY,
    PhaseStatus.DISPATCHING: BLUE,
    PhaseStatus.PLACED: BLUE,
    PhaseStatus.CHECKING: ORANGE,
    PhaseStatus.COMPLETED: GREEN,
    PhaseStatus.FAILED: RED,
    PhaseStatus.CANCELED: GREY,
}
PROVIDER_ORDER_COLOURS = {
    ProviderOrderStatus.SENDING: BLUE,
    ProviderOrderStatus.UNKNOWN: ORANGE,
    ProviderOrderStatus.NOT_PLACED: GREY,
    ProviderOrderStatus.PENDING: BLUE,
    ProviderOrderStatus.IN_PROGRESS: BLUE,
    ProviderOrderStatus.COMPLETED: GREEN,
    ProviderOrderStatus.PARTIAL: ORANGE,
    ProviderOrderStatus.CANCELED: GREY,
}


def order_badge(order) -> str:
    return badge(order.status, order.get_status_display(), ORDER_COLOURS)


def phase_badge(phase) -> str:
    return badge(phase.status, phase.get_status_display(), PHASE_COLOURS)


def provider_order_badge(order) -> str:
    return badge(order.status, order.get_status_display(), PROVIDER_ORDER_COLOURS)


def order_reference(order) -> str:
    return f"B-{order.pk}"


def link_cell(url: str, *, limit: int = 60) -> str:
    shown = url if len(url) <= limit else f"{url[: limit - 1]}…"
    return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, shown)


def action_page(
    model_admin,
    request,
    obj,
    *,
    title: str,
    intro: str,
    facts=(),
    tables=(),
    refusal: str = "",
    form=None,
    show_form: bool = True,
    stage: str = CONFIRM,
    submit: str = "Yes, go ahead",
):
    """The page of one object action on OBJ: what it touches, then the form (or the refusal).

    SHOW_FORM shows the form for filling in; otherwise its values ride along hidden, so the
    confirmed request carries exactly what was reviewed.
    """
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": title,
        "intro": intro,
        "object": obj,
        "facts": facts,
        "tables": tables,
        "refusal": refusal,
        "form": form,
        "show_form": show_form,
        "stage": stage,
        "submit": submit,
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        "cancel_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)
