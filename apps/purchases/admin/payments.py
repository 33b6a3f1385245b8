"""Invoices and payment claims in the admin: read-only, with cancel and re-verify actions."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator

from apps.common.admin_mixins import ReadOnlyAdmin
from apps.purchases.admin import permissions
from apps.purchases.admin.base import (
    BLUE,
    CONFIRM,
    GREEN,
    GREY,
    ORANGE,
    RED,
    FixedChoicesFilter,
    badge,
    change_link,
    confirmation_page,
    crypto,
    each_through_service,
    html_table,
    usd,
    user_cell,
)
from apps.purchases.assets import ASSETS, Network
from apps.purchases.hashes import normalize_hash
from apps.purchases.models import (
    BANK_TRANSFER,
    FLUTTERWAVE,
    ClaimStatus,
    Invoice,
    InvoiceStatus,
    PaymentClaim,
    Purchase,
)
from apps.purchases.services.invoices import InvoiceRefused, cancel_invoice
from apps.purchases.services.verify import reverify_claim

INVOICE_COLOURS = {
    InvoiceStatus.PREPARING: GREY,
    InvoiceStatus.OPEN: BLUE,
    InvoiceStatus.VERIFYING: ORANGE,
    InvoiceStatus.PAID: GREEN,
    InvoiceStatus.EXPIRED: GREY,
    InvoiceStatus.CANCELLED: GREY,
    InvoiceStatus.FAILED: RED,
}
CLAIM_COLOURS = {
    ClaimStatus.PENDING: ORANGE,
    ClaimStatus.VERIFIED: GREEN,
    ClaimStatus.REJECTED: RED,
    ClaimStatus.FAILED: RED,
}
# Where staff check a transaction by eye; Flutterwave references have no public page.
EXPLORER_TX_URLS = {
    Network.BSC: "https://bscscan.com/tx/{}",
    Network.TRON: "https://tronscan.org/#/transaction/{}",
    Network.SOLANA: "https://solscan.io/tx/{}",
    Network.APTOS: "https://explorer.aptoslabs.com/txn/{}?network=mainnet",
}
CANCELLABLE = (InvoiceStatus.PREPARING, InvoiceStatus.OPEN)
REVERIFIABLE = (ClaimStatus.REJECTED, ClaimStatus.FAILED)
TEXT_SHOWN = 60


class MethodFilter(FixedChoicesFilter):
    title = "payment method"
    parameter_name = field_name = "method"
    options = [*((code, paid.label) for code, paid in ASSETS.items()), (BANK_TRANSFER, "NGN bank")]


class NetworkFilter(FixedChoicesFilter):
    title = "network"
    parameter_name = field_name = "network"
    options = [*Network.choices, (FLUTTERWAVE, "Flutterwave (bank)")]


def tx_link(claim: PaymentClaim) -> str:
    short = Truncator(claim.tx_hash).chars(20)
    template = EXPLORER_TX_URLS.get(claim.network)
    if template is None:
        return format_html("<code>{}</code>", claim.tx_hash)
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer" title="{}"><code>{}</code></a>',
        template.format(claim.tx_hash),
        claim.tx_hash,
        short,
    )


def hash_candidates(term: str) -> set[str]:
    """What a hash pasted in any case or prefix is stored as, on each network."""
    term = term.strip()
    if not term:
        return set()
    found = {term, term.lower()}
    for network in Network:
        canonical = normalize_hash(network, term)
        if canonical:
            found.add(canonical)
    return found


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "user_shown",
        "plan_code",
        "quantity",
        "amount_usd_shown",
        "payment_method",
        "amount_due_shown",
        "status_shown",
        "created_at",
        "expires_at",
        "paid_at",
    )
    list_select_related = ("user",)
    list_filter = ("status", MethodFilter, NetworkFilter, "created_at")
    date_hierarchy = "created_at"
    # "=" keeps these on their unique indexes instead of a LIKE scan (and ignores case).
    search_fields = ("=number", "=user__telegram_id", "user__username")
    search_help_text = "Invoice number, Telegram id or username."
    actions = ["cancel_selected"]
    fieldsets = (
        ("Invoice", {
            "fields": ("number", "user", "status", "closed_reason", "created_at",
                       "expires_at", "paid_at")
        }),
        ("Order", {
            "fields": ("plan", "plan_snapshot", "quantity", "comments_per_post", "amount_usd")
        }),
        ("Payment", {
            "fields": ("method", "network", "asset_symbol", "amount_due", "coin_price_usd",
                       "price_sources", "deposit_address", "fx_rate", "fx_buffer",
                       "bank_account", "invalid_hash_attempts")
        }),
        ("Claims and purchase", {"fields": ("claims_table", "purchase_link")}),
    )  # fmt: skip
    readonly_fields = ("claims_table", "purchase_link")

    def has_cancel_permission(self, request):
        return request.user.has_perm(permissions.CANCEL_INVOICE)

    @admin.action(description="Cancel selected invoices", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        if request.POST.get("stage") != CONFIRM:
            return self._confirm_cancel(request, queryset)
        each_through_service(
            self,
            request,
            queryset.select_related("user"),
            lambda invoice: cancel_invoice(invoice=invoice, actor=request.user),
            refusals=(InvoiceRefused,),
            done=lambda invoice: f"Invoice {invoice.number} cancelled.",
        )

    def _confirm_cancel(self, request, queryset):
        invoices = list(queryset.select_related("user"))
        return confirmation_page(
            self,
            request,
            title="Cancel invoices?",
            intro="Cancelled invoices take no more payments; only invoices waiting for a "
            "quote or a payment can be cancelled, the others are left as they are.",
            columns=("Invoice", "User", "Amount", "Status", "Will be cancelled"),
            rows=[
                (
                    i.number,
                    user_cell(i.user),
                    usd(i.amount_usd),
                    i.get_status_display(),
                    "yes" if i.status in CANCELLABLE else "no",
                )
                for i in invoices
            ],
            action="cancel_selected",
            selected=invoices,
            submit="Yes, cancel them",
        )

    @admin.display(description="User", ordering="user__telegram_id")
    def user_shown(self, invoice):
        return user_cell(invoice.user)

    @admin.display(description="Plan")
    def plan_code(self, invoice):
        return invoice.plan_snapshot.get("code", "—")

    @admin.display(description="USD", ordering="amount_usd")
    def amount_usd_shown(self, invoice):
        return usd(invoice.amount_usd)

    @admin.display(description="Method", ordering="method")
    def payment_method(self, invoice):
        return format_html(
            "{} <span class='quiet'>{}</span>", invoice.asset_symbol, invoice.network
        )

    @admin.display(description="Amount due", ordering="amount_due")
    def amount_due_shown(self, invoice):
        return crypto(invoice.amount_due, invoice.asset_symbol)

    @admin.display(description="Status", ordering="status")
    def status_shown(self, invoice):
        return badge(invoice.status, invoice.get_status_display(), INVOICE_COLOURS)

    @admin.display(description="Claims")
    def claims_table(self, invoice):
        rows = [
            (
                change_link(claim, claim.pk),
                claim.network,
                tx_link(claim),
                badge(claim.status, claim.get_status_display(), CLAIM_COLOURS),
                claim.reason,
            )
            for claim in invoice.claims.order_by("created_at")
        ]
        return html_table(("#", "Network", "Hash", "Status", "Reason"), rows)

    @admin.display(description="Purchase")
    def purchase_link(self, invoice):
        return change_link(Purchase.objects.filter(invoice=invoice).first())


@admin.register(PaymentClaim)
class PaymentClaimAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "network",
        "hash_shown",
        "invoice_shown",
        "user_shown",
        "status_shown",
        "attempts",
        "next_check_at",
        "last_error_shown",
        "reason_shown",
        "received_shown",
        "received_usd_shown",
        "confirmations",
    )
    list_select_related = ("invoice", "user")
    list_filter = ("status", NetworkFilter, "imported", "created_at")
    date_hierarchy = "created_at"
    # Hashes are matched in get_search_results, in the canonical form they are stored in.
    search_fields = ("=invoice__number", "=user__telegram_id", "user__username")
    search_help_text = "Tx hash (as pasted, any case), invoice number, Telegram id or username."
    actions = ["reverify_selected"]
    fieldsets = (
        ("Claim", {
            "fields": ("hash_shown", "network", "tx_hash", "invoice", "user", "status",
                       "reason", "imported", "created_at", "verified_at")
        }),
        ("Verification", {
            "fields": ("attempts", "next_check_at", "deadline_at", "last_error",
                       "received_amount", "received_usd", "confirmations")
        }),
    )  # fmt: skip
    readonly_fields = ("hash_shown",)

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        hashes = hash_candidates(search_term)
        if hashes:
            found |= queryset.filter(tx_hash__in=hashes)
        return found, may_have_duplicates

    def has_reverify_permission(self, request):
        return request.user.has_perm(permissions.REVERIFY_CLAIM)

    @admin.action(description="Re-verify selected claims", permissions=["reverify"])
    def reverify_selected(self, request, queryset):
        if request.POST.get("stage") != CONFIRM:
            return self._confirm_reverify(request, queryset)
        each_through_service(
            self,
            request,
            queryset.select_related("invoice", "user"),
            lambda claim: reverify_claim(claim=claim, actor=request.user),
            refusals=(ValueError,),
            done=lambda claim: f"Claim {claim.pk} ({claim.invoice.number}) is verified again.",
        )

    def _confirm_reverify(self, request, queryset):
        claims = list(queryset.select_related("invoice", "user"))
        return confirmation_page(
            self,
            request,
            title="Verify these payments again?",
            intro="Each rejected or failed claim goes back to pending and is checked against "
            "the chain (or Flutterwave) again now; if the payment is accepted, the user is "
            "credited and the referrer's commission is paid. Other claims are left alone.",
            columns=(
                "Claim",
                "Network",
                "Hash",
                "Invoice",
                "User",
                "Status",
                "Reason",
                "Will be re-verified",
            ),
            rows=[
                (
                    c.pk,
                    c.network,
                    tx_link(c),
                    c.invoice.number,
                    user_cell(c.user),
                    c.get_status_display(),
                    c.reason,
                    "yes" if c.status in REVERIFIABLE else "no",
                )
                for c in claims
            ],
            action="reverify_selected",
            selected=claims,
            submit="Yes, verify them again",
        )

    @admin.display(description="Tx hash", ordering="tx_hash")
    def hash_shown(self, claim):
        return tx_link(claim)

    @admin.display(description="Invoice", ordering="invoice__number")
    def invoice_shown(self, claim):
        return change_link(claim.invoice, claim.invoice.number)

    @admin.display(description="User", ordering="user__telegram_id")
    def user_shown(self, claim):
        return user_cell(claim.user)

    @admin.display(description="Status", ordering="status")
    def status_shown(self, claim):
        return badge(claim.status, claim.get_status_display(), CLAIM_COLOURS)

    @admin.display(description="Last error")
    def last_error_shown(self, claim):
        return Truncator(claim.last_error).chars(TEXT_SHOWN) or "—"

    @admin.display(description="Reason")
    def reason_shown(self, claim):
        return Truncator(claim.reason).chars(TEXT_SHOWN) or "—"

    @admin.display(description="Received", ordering="received_amount")
    def received_shown(self, claim):
        return crypto(claim.received_amount, claim.invoice.asset_symbol)

    @admin.display(description="Received USD", ordering="received_usd")
    def received_usd_shown(self, claim):
        return usd(claim.received_usd)
