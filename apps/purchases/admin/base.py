"""Pieces the purchases admin pages share: read-only tables, cells, confirmation pages."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join

from apps.common.money import format_amount

CONFIRM_TEMPLATE = "admin/purchases/confirm.html"
# Stages of an action with a form: the form, then a review of what will happen, then done.
REVIEW, CONFIRM = "review", "confirm"

GREEN, ORANGE, RED, BLUE, GREY = "#2e7d32", "#b45f06", "#c62828", "#1f5fa8", "#6b6b6b"


class FixedChoicesFilter(admin.SimpleListFilter):
    """A filter over a known list of values, without a DISTINCT query over the whole table."""

    field_name = ""
    options = ()

    def lookups(self, request, model_admin):
        return self.options

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field_name: self.value()})
        return queryset


def usd(amount) -> str:
    return "—" if amount is None else format_amount(amount, currency="USD")


def crypto(amount, symbol: str) -> str:
    """A crypto (or NGN) amount with every place it has and no trailing zeros."""
    if amount is None:
        return "—"
    text = format(Decimal(amount).normalize(), "f")
    return f"{text} {symbol}"


def badge(value: str, label: str, colours: dict) -> str:
    return format_html(
        '<strong style="color: {}">{}</strong>', colours.get(value, GREY), label or value
    )


def when(moment) -> str:
    """A time as the rest of the admin shows it, in the site's time zone."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def quiet(text) -> str:
    return format_html('<span class="quiet">{}</span>', text)


def user_cell(bot_user) -> str:
    """Telegram id (a link to the bot user) and @username: how support is asked about users."""
    url = reverse("admin:users_botuser_change", args=[bot_user.pk])
    handle = f"@{bot_user.username}" if bot_user.username else ""
    return format_html('<a href="{}">{}</a> {}', url, bot_user.telegram_id, handle)


def change_link(obj, text=None) -> str:
    if obj is None:
        return "—"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else obj)


def targets_text(targets: dict) -> str:
    parts = [f"{count:,} {name}" for name, count in targets.items() if count]
    return " · ".join(parts) or "—"


def html_table(columns, rows) -> str:
    """A small read-only table for a change page (history, related rows)."""
    if not rows:
        return "—"
    head = format_html_join("", "<th>{}</th>", ((column,) for column in columns))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


def confirmation_page(
    model_admin,
    request,
    *,
    title: str,
    intro: str,
    columns,
    rows,
    action: str = "",
    selected=(),
    form=None,
    show_form: bool = False,
    stage: str = CONFIRM,
    submit: str = "Yes, go ahead",
):
    """The page between choosing an action and doing it: what it touches, and a form if any.

    SHOW_FORM shows the form for filling in; otherwise its values ride along hidden, so the
    confirmed request carries exactly what the reviewer saw.
    """
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "opts": opts,
        "columns": columns,
        "rows": rows,
        "action": action,
        "selected": [obj.pk for obj in selected],
        "form": form,
        "show_form": show_form,
        "stage": stage,
        "submit": submit,
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


def each_through_service(model_admin, request, objects, call, *, refusals, done) -> None:
    """One service call per object; a refusal is reported with its message, the rest go on."""
    for obj in objects:
        try:
            result = call(obj)
        except refusals as refusal:
            model_admin.message_user(
                request, f"{obj._meta.verbose_name.capitalize()} {obj}: {refusal}", messages.ERROR
            )
        else:
            model_admin.message_user(request, done(result), messages.SUCCESS)
