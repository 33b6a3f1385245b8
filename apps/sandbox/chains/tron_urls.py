"""Routes of the fake Tron node, under /sandbox/chains/tron/ (see apps/sandbox/chains/tron.py)."""

from django.urls import path

from apps.sandbox.chains import tron

urlpatterns = [
    path("wallet/gettransactionbyid", tron.gettransactionbyid, name="chain-tron-transaction"),
    path("wallet/gettransactioninfobyid", tron.gettransactioninfobyid, name="chain-tron-info"),
    path(
        "wallet/gettransactionfrompending",
        tron.gettransactionfrompending,
        name="chain-tron-pending",
    ),
    path("wallet/getnowblock", tron.getnowblock, name="chain-tron-now-block"),
    path(
        "walletsolidity/gettransactionbyid",
        tron.solidity_gettransactionbyid,
        name="chain-tron-solid-transaction",
    ),
    path(
        "walletsolidity/gettransactioninfobyid",
        tron.solidity_gettransactioninfobyid,
        name="chain-tron-solid-info",
    ),
    path("walletsolidity/getnowblock", tron.solidity_getnowblock, name="chain-tron-solid-block"),
]
