"""How withdrawal pages show things: money, states, people, small tables."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join

from apps.common.money import format_amount
from apps.withdrawals.models import Status

GREEN, ORANGE, RED, BLUE, GREY = "#2e7d32", "#b45f06", "#c62828", "#1f5fa8", "#6b6b6b"
STATUS_COLOURS = {
    Status.REQUESTED: ORANGE,
    Status.APPROVED: BLUE,
    Status.SENDING: BLUE,
    Status.SENT: BLUE,
    Status.UNKNOWN: RED,
    Status.PAID: GREEN,
    Status.PAID_MANUALLY: GREEN,
    Status.REJECTED: GREY,
    Status.CANCELLED: GREY,
    Status.FAILED: RED,
}
BALANCE_LABELS = {"affiliate_usd": "Affiliate (USD)", "earnings_ngn": "Reply earnings (NGN)"}


def money(amount, currency: str) -> str:
    return "—" if amount is None else format_amount(amount, currency=currency)


def rate(ngn_per_usd) -> str:
    """An exchange rate with the places it has: "1500", "1523.456789"."""
    return "—" if ngn_per_usd is None else format(ngn_per_usd.normalize(), ",f")


def reference(withdrawal) -> str:
    return f"W-{withdrawal.pk}"


def status_badge(withdrawal) -> str:
    label = withdrawal.get_status_display()
    if withdrawal.status == Status.FAILED and withdrawal.refunded_at is not None:
        label = f"{label}, refunded"
    return format_html(
        '<strong style="color: {}">{}</strong>',
        STATUS_COLOURS.get(withdrawal.status, GREY),
        label,
    )


def when(moment) -> str:
    if moment is None:
        return "—"
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def duration(span: timedelta | None) -> str:
    """ "3 d 4 h", "2 h 5 min", "12 min": short enough for a column."""
    if span is None:
        return "—"
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def user_cell(bot_user) -> str:
    """Telegram id (a link to the bot user) and @username: how users are talked about."""
    url = reverse("admin:users_botuser_change", args=[bot_user.pk])
    handle = f"@{bot_user.username}" if bot_user.username else bot_user.full_name
    return format_html('<a href="{}">{}</a> {}', url, bot_user.telegram_id, handle)


def withdrawal_link(withdrawal) -> str:
    url = reverse("admin:withdrawals_withdrawal_change", args=[withdrawal.pk])
    return format_html('<a href="{}">{}</a>', url, reference(withdrawal))


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
