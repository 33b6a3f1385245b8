"""Routes of the fake Flutterwave v3 API, mounted at /sandbox/flutterwave/."""

from django.urls import path

from apps.sandbox.flutterwave import charge_views, transfer_views

urlpatterns = [
    path("v3/charges", charge_views.create_charge, name="flutterwave-charges"),
    path(
        "v3/transactions/verify_by_reference",
        charge_views.verify_by_reference,
        name="flutterwave-verify-by-reference",
    ),
    path("v3/banks/<str:country>", transfer_views.bank_list, name="flutterwave-banks"),
    path(
        "v3/accounts/resolve",
        transfer_views.resolve_account,
        name="flutterwave-resolve-account",
    ),
    path(
        "v3/transfers",
        transfer_views.transfers_collection,
        name="flutterwave-transfers",
    ),
    path(
        "v3/transfers/<int:transfer_id>",
        transfer_views.get_transfer,
        name="flutterwave-transfer",
    ),
]
