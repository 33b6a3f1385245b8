"""Purchases and custom plans in the admin: credits are changed only through the services.

Staff can add or remove post credits (never below zero) and credit a purchase paid outside
the bot; both ask for a reason, show what will happen, and pay no referral commission.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse

from apps.common.admin_mixins import ReadOnlyAdmin
from apps.purchases.admin import permissions
from apps.purchases.admin.base import (
    CONFIRM,
    REVIEW,
    FixedChoicesFilter,
    change_link,
    confirmation_page,
    each_through_service,
    html_table,
    quiet,
    targets_text,
    usd,
    user_cell,
    when,
)
from apps.purchases.forms import AdjustCreditsForm, CustomPlanForm, ManualCreditForm
from apps.purchases.models import CustomPlan, FulfilmentTask, Product, Purchase
from apps.purchases.orders import InvalidOrder
from apps.purchases.services.fulfilment import (
    CreditsRefused,
    adjust_credits,
    create_custom_plan,
    credit_purchase,
)

# A purchase page shows this many of its newest credit changes.
CREDIT_CHANGES_SHOWN = 50


def staged_form(request, form_class):
    """The action's form, bound once the first page was submitted, and whether it is confirmed."""
    stage = request.POST.get("stage", "")
    form = form_class(request.POST if stage else None)
    return form, stage == CONFIRM and form.is_valid()


def without_at(search_term: str) -> str:
    # Staff paste "@name"; accounts and usernames are stored without the "@".
    return search_term.replace("@", " ")


class ProductFilter(FixedChoicesFilter):
    title = "product"
    parameter_name = field_name = "product"
    options = Product.choices


class HasCreditsFilter(admin.SimpleListFilter):
    title = "credits left"
    parameter_name = "has_credits"

    def lookups(self, request, model_admin):
        return (("yes", "Some left"), ("no", "None left"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(credits_remaining__gt=0)
        if self.value() == "no":
            return queryset.filter(credits_remaining=0)
        return queryset


def plan_label(purchase: Purchase) -> str:
    if purchase.custom_plan_id:
        return f"custom: {purchase.custom_plan.name}"
    return purchase.plan_code


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    change_list_template = "admin/purchases/purchase/change_list.html"
    list_display = (
        "id",
        "created_at",
        "user_shown",
        "plan_shown",
        "account_shown",
        "quantity",
        "credits",
        "amount_usd_shown",
        "source",
    )
    list_select_related = ("user", "custom_plan")
    list_filter = ("source", ProductFilter, HasCreditsFilter, "created_at")
    date_hierarchy = "created_at"
    search_fields = (
        "=user__telegram_id",
        "user__username",
        "=account",
        "=plan_code",
        "=invoice__number",
    )
    search_help_text = "Telegram id, username, account, plan code or invoice number."
    actions = ["adjust_credits_selected"]
    fieldsets = (
        ("Purchase", {
            "fields": ("user", "source", "plan", "custom_plan", "invoice_shown", "product",
                       "plan_code", "account", "quantity", "comments_per_post", "targets",
                       "amount_usd", "created_at")
        }),
        ("Credits", {"fields": ("credits", "credit_history")}),
        ("Credited by staff", {"fields": ("created_by", "reason")}),
        ("Manual fulfilment", {"fields": ("task_shown",)}),
    )  # fmt: skip
    readonly_fields = ("invoice_shown", "credits", "credit_history", "task_shown")

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, without_at(search_term))

    # --- credit a purchase by hand: its own page, linked from the list ---

    def get_urls(self):
        credit = path(
            "credit/",
            self.admin_site.admin_view(self.credit_view),
            name="purchases_purchase_credit",
        )
        return [credit, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_credit_by_hand": request.user.has_perm(permissions.CREDIT_PURCHASE),
        }
        return super().changelist_view(request, extra_context)

    def credit_view(self, request):
        if not request.user.has_perm(permissions.CREDIT_PURCHASE):
            raise PermissionDenied
        form, confirmed = staged_form(request, ManualCreditForm)
        if confirmed:
            return self._credit(request, form)
        return self._credit_page(request, form)

    def _credit(self, request, form):
        data = form.cleaned_data
        try:
            purchase = credit_purchase(
                user=data["bot_user"],
                plan=data["plan"],
                quantity=data["quantity"],
                account=data["account"],
                reason=data["reason"],
                actor=request.user,
            )
        except (CreditsRefused, InvalidOrder) as refusal:
            form.add_error(None, str(refusal))
            return self._credit_page(request, form)
        self.message_user(
            request,
            f"Purchase #{purchase.pk} credited: {purchase.quantity} {purchase.plan_code} for "
            f"{purchase.user}. No referral commission was paid.",
            messages.SUCCESS,
        )
        return redirect(reverse("admin:purchases_purchase_change", args=[purchase.pk]))

    def _credit_page(self, request, form):
        if not (form.is_bound and form.is_valid()):
            return confirmation_page(
                self,
                request,
                title="Credit a purchase by hand",
                intro="For a payment made outside the bot. You will see what is credited "
                "before anything is written.",
                columns=(),
                rows=(),
                form=form,
                show_form=True,
                stage=REVIEW,
                submit="Review",
            )
        data, plan = form.cleaned_data, form.cleaned_data["plan"]
        grants = (
            f"{data['quantity']} post credits"
            if plan.grants_boost_credits
            else "a fulfilment task for staff"
        )
        return confirmation_page(
            self,
            request,
            title="Credit this purchase?",
            intro=f"This grants {grants}, recorded as credited by you with your reason. "
            "Nothing is charged and no referral commission is paid.",
            columns=("User", "Plan", "Quantity", "Account", "List price", "Reason"),
            rows=[
                (
                    user_cell(data["bot_user"]),
                    plan,
                    data["quantity"],
                    f"@{data['account']}" if data["account"] else "—",
                    usd(form.order.amount_usd),
                    data["reason"],
                )
            ],
            form=form,
            stage=CONFIRM,
            submit="Yes, credit it",
        )

    # --- add or remove credits ---

    def has_adjust_credits_permission(self, request):
        return request.user.has_perm(permissions.ADJUST_CREDITS)

    @admin.action(description="Add or remove post credits", permissions=["adjust_credits"])
    def adjust_credits_selected(self, request, queryset):
        form, confirmed = staged_form(request, AdjustCreditsForm)
        if not confirmed:
            return self._adjust_page(request, queryset, form)
        delta, reason = form.cleaned_data["delta"], form.cleaned_data["reason"]
        each_through_service(
            self,
            request,
            queryset.select_related("user"),
            lambda p: adjust_credits(purchase=p, delta=delta, reason=reason, actor=request.user),
            refusals=(CreditsRefused,),
            done=lambda p: f"Purchase #{p.pk}: {p.credits_remaining} credits left.",
        )

    def _adjust_page(self, request, queryset, form):
        purchases = list(queryset.select_related("user", "custom_plan"))
        reviewing = form.is_bound and form.is_valid()
        delta = form.cleaned_data["delta"] if reviewing else 0
        rows = [
            (
                f"#{p.pk}",
                user_cell(p.user),
                plan_label(p),
                p.account or "—",
                p.credits_remaining,
                _after(p.credits_remaining, delta) if reviewing else "",
            )
            for p in purchases
        ]
        return confirmation_page(
            self,
            request,
            title="Change these credits?" if reviewing else "Add or remove post credits",
            intro="Credits never go below zero: a purchase without enough credits left is "
            "refused and left as it is. The reason is kept with the purchase and in the audit "
            "log.",
            columns=("Purchase", "User", "Plan", "Account", "Credits left", "After"),
            rows=rows,
            action="adjust_credits_selected",
            selected=purchases,
            form=form,
            show_form=not reviewing,
            stage=CONFIRM if reviewing else REVIEW,
            submit="Yes, change the credits" if reviewing else "Review",
        )

    # --- columns ---

    @admin.display(description="User", ordering="user__telegram_id")
    def user_shown(self, purchase):
        return user_cell(purchase.user)

    @admin.display(description="Plan", ordering="plan_code")
    def plan_shown(self, purchase):
        return plan_label(purchase)

    @admin.display(description="Account", ordering="account")
    def account_shown(self, purchase):
        return f"@{purchase.account}" if purchase.account else "—"

    @admin.display(description="Credits left / total", ordering="credits_remaining")
    def credits(self, purchase):
        if not purchase.credits_total:
            return quiet("none (fulfilled by staff)")
        return f"{purchase.credits_remaining} / {purchase.credits_total}"

    @admin.display(description="USD", ordering="amount_usd")
    def amount_usd_shown(self, purchase):
        return usd(purchase.amount_usd)

    @admin.display(description="Invoice")
    def invoice_shown(self, purchase):
        return change_link(purchase.invoice, purchase.invoice.number) if purchase.invoice else "—"

    @admin.display(description="Credit changes (newest first)")
    def credit_history(self, purchase):
        changes = purchase.credit_changes.select_related("changed_by")[:CREDIT_CHANGES_SHOWN]
        rows = [(when(c.created_at), c.changed_by, f"{c.delta:+d}", c.reason) for c in changes]
        return html_table(("When", "Who", "Change", "Reason"), rows)

    @admin.display(description="Task")
    def task_shown(self, purchase):
        task = FulfilmentTask.objects.filter(purchase=purchase).first()
        return change_link(task, task.get_status_display()) if task else "—"


def _after(remaining: int, delta: int):
    after = remaining + delta
    return after if after >= 0 else f"refused: only {remaining} left"


@admin.register(CustomPlan)
class CustomPlanAdmin(admin.ModelAdmin):
    """Added through create_custom_plan (no payment); read-only afterwards."""

    list_display = (
        "name",
        "user_shown",
        "targets",
        "posts",
        "credits_left",
        "created_by",
        "created_at",
    )
    list_select_related = ("user", "created_by", "purchase")
    search_fields = ("=user__telegram_id", "user__username", "name")
    date_hierarchy = "created_at"
    show_full_result_count = False
    add_fields = ("telegram_id", "name", "likes", "reposts", "comments", "views", "posts")
    readonly_fields = (
        "user",
        "name",
        "likes",
        "reposts",
        "comments",
        "views",
        "posts",
        "credits_left",
        "purchase_shown",
        "created_by",
        "created_at",
    )

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, without_at(search_term))

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = CustomPlanForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_add_permission(self, request):
        return request.user.has_perm(permissions.CREATE_CUSTOM_PLAN)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Never saves OBJ itself: the service writes the plan, its purchase and the event."""
        data = form.cleaned_data
        created = create_custom_plan(
            user=data["bot_user"],
            name=data["name"],
            targets=form.targets(),
            posts=data["posts"],
            actor=request.user,
        )
        obj.__dict__.update(created.__dict__)

    @admin.display(description="User", ordering="user__telegram_id")
    def user_shown(self, custom_plan):
        return user_cell(custom_plan.user)

    @admin.display(description="Targets per post")
    def targets(self, custom_plan):
        return targets_text(custom_plan.targets())

    @admin.display(description="Credits left")
    def credits_left(self, custom_plan):
        purchase = _purchase_of(custom_plan)
        return purchase.credits_remaining if purchase else "—"

    @admin.display(description="Purchase")
    def purchase_shown(self, custom_plan):
        return change_link(_purchase_of(custom_plan))


def _purchase_of(custom_plan: CustomPlan) -> Purchase | None:
    try:
        return custom_plan.purchase
    except Purchase.DoesNotExist:
        return None
