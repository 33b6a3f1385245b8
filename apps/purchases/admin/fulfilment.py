"""Manual-fulfilment tasks: the queue of open work, oldest first, and who did what when."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.common.admin_mixins import ReadOnlyAdmin
from apps.purchases.admin import permissions
from apps.purchases.admin.base import (
    CONFIRM,
    GREEN,
    GREY,
    ORANGE,
    badge,
    change_link,
    confirmation_page,
    each_through_service,
    user_cell,
)
from apps.purchases.admin.purchases import without_at
from apps.purchases.forms import TaskDoneForm
from apps.purchases.models import FulfilmentTask, Product, TaskStatus
from apps.purchases.services.fulfilment import CreditsRefused, complete_task

TASK_COLOURS = {
    TaskStatus.WAITING_DETAILS: GREY,
    TaskStatus.OPEN: ORANGE,
    TaskStatus.DONE: GREEN,
}
EVERY_TASK = "all"


class TaskQueueFilter(admin.SimpleListFilter):
    """Opens on the work to do; the other statuses, or everything, are one click away."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*TaskStatus.choices, (EVERY_TASK, "All")]

    def choices(self, changelist):
        shown = self.value() or TaskStatus.OPEN
        for value, label in self.lookup_choices:
            yield {
                "selected": shown == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        shown = self.value() or TaskStatus.OPEN
        return queryset if shown == EVERY_TASK else queryset.filter(status=shown)


def details_cell(details: dict) -> str:
    """What the buyer sent: the poll and option, the profile, the channel or the account."""
    parts = []
    if details.get("poll_link"):
        parts.append(
            format_html(
                '<a href="{}" target="_blank" rel="noopener noreferrer">poll</a>, option {}',
                details["poll_link"],
                details.get("option", "?"),
            )
        )
    if details.get("profile"):
        parts.append(
            format_html(
                '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
                details["profile"],
                details["profile"],
            )
        )
    if details.get("channel"):
        parts.append(format_html("{}", details["channel"]))
    elif details.get("account") and not details.get("profile"):
        parts.append(format_html("@{}", details["account"]))
    if not parts:
        return "—"
    return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts))


@admin.register(FulfilmentTask)
class FulfilmentTaskAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "purchase_shown",
        "user_shown",
        "product_shown",
        "quantity",
        "details_shown",
        "status_shown",
        "done_by",
        "done_at",
        "note",
    )
    list_select_related = ("purchase__user", "done_by")
    list_filter = (TaskQueueFilter, "created_at")
    date_hierarchy = "created_at"
    # The oldest open task is the next one to do.
    ordering = ("created_at", "id")
    search_fields = (
        "=purchase__user__telegram_id",
        "purchase__user__username",
        "=purchase__account",
    )
    search_help_text = "Telegram id, username or account."
    actions = ["mark_done"]
    fields = (
        "purchase_shown",
        "user_shown",
        "product_shown",
        "quantity",
        "details_shown",
        "status",
        "created_at",
        "done_by",
        "done_at",
        "note",
    )
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, without_at(search_term))

    def has_complete_permission(self, request):
        return request.user.has_perm(permissions.COMPLETE_TASK)

    @admin.action(description="Mark selected tasks done", permissions=["complete"])
    def mark_done(self, request, queryset):
        form = TaskDoneForm(request.POST if "stage" in request.POST else None)
        if request.POST.get("stage") != CONFIRM or not form.is_valid():
            return self._confirm_done(request, queryset, form)
        each_through_service(
            self,
            request,
            queryset.select_related("purchase__user"),
            lambda task: complete_task(task=task, actor=request.user, **form.cleaned_data),
            refusals=(CreditsRefused,),
            done=lambda task: f"Task {task.pk} ({task.purchase.plan_code}) marked done.",
        )

    def _confirm_done(self, request, queryset, form):
        tasks = list(queryset.select_related("purchase__user"))
        return confirmation_page(
            self,
            request,
            title="Mark these tasks done?",
            intro="Only tasks to do can be marked done; you are recorded as the one who did them.",
            columns=("Task", "User", "Product", "Quantity", "Details", "Status"),
            rows=[
                (
                    t.pk,
                    user_cell(t.purchase.user),
                    self.product_shown(t),
                    t.purchase.quantity,
                    details_cell(t.details),
                    t.get_status_display(),
                )
                for t in tasks
            ],
            action="mark_done",
            selected=tasks,
            form=form,
            show_form=True,
            submit="Yes, mark them done",
        )

    @admin.display(description="Purchase", ordering="purchase_id")
    def purchase_shown(self, task):
        return change_link(task.purchase, f"#{task.purchase_id}")

    @admin.display(description="User", ordering="purchase__user__telegram_id")
    def user_shown(self, task):
        return user_cell(task.purchase.user)

    @admin.display(description="Product", ordering="purchase__product")
    def product_shown(self, task):
        product = task.purchase.product
        return Product(product).label if product in Product.values else product

    @admin.display(description="Quantity", ordering="purchase__quantity")
    def quantity(self, task):
        return task.purchase.quantity

    @admin.display(description="Details")
    def details_shown(self, task):
        return details_cell(task.details)

    @admin.display(description="Status", ordering="status")
    def status_shown(self, task):
        return badge(task.status, task.get_status_display(), TASK_COLOURS)
