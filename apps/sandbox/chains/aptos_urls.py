"""Routes of the fake Aptos fullnode, mounted at /sandbox/chains/aptos/ (base URL .../v1)."""

from django.urls import path, re_path

from apps.sandbox.chains import aptos

urlpatterns = [
    re_path(r"^v1/?$", aptos.ledger_info, name="chain-aptos-ledger-info"),
    path(
        "v1/transactions/by_hash/<str:txn_hash>",
        aptos.transaction_by_hash,
        name="chain-aptos-transaction-by-hash",
    ),
]
