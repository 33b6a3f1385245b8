"""Routes of the fake Flutterwave v3 API, mounted at /sandbox/flutterwave/."""

from django.urls import path

from apps.sandbox.flutterwave import charge_views

urlpatterns = [
    path("v3/charges", charge_views.create_charge, name="flutterwave-charges"),
    path(
        "v3/transactions/verify_by_reference",
        charge_views.verify_by_reference,
        name="flutterwave-verify-by-reference",
    ),
]
