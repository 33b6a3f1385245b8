"""Purchases fixtures: every provider pointed at the sandbox fakes over real HTTP."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from apps.purchases.assets import ASSETS
from apps.purchases.models import FLUTTERWAVE, Invoice, InvoiceStatus, Plan
from apps.purchases.services.claims import submit_hash
from tests.factories import BotUserFactory

# Prices that make the tolerance boundaries exact in every coin.
COIN_PRICES = {
    "usdt_bep20": None,
    "usdt_trc20": None,
    "usdt_sol": None,
    "usdt_aptos": None,
    "bnb": Decimal("500"),
    "sol": Decimal("100"),
    "trx": Decimal("0.25"),
    "apt": Decimal("8"),
}


@pytest.fixture
def providers(live_server, settings):
    """Chains, prices and Flutterwave answered by the sandbox of the live test server."""
    base = f"{live_server.url}/sandbox"
    settings.BSC_RPC_URL = f"{base}/chains/bsc/rpc"
    settings.TRONGRID_URL = f"{base}/chains/tron"
    settings.SOLANA_RPC_URL = f"{base}/chains/solana/rpc"
    settings.APTOS_API_URL = f"{base}/chains/aptos/v1"
    settings.COINGECKO_URL = f"{base}/coingecko"
    settings.SECOND_PRICE_URL = f"{base}/binance"
    settings.FX_RATE_URL = f"{base}/fx"
    settings.FLUTTERWAVE_BASE_URL = f"{base}/flutterwave"
    return live_server


@pytest.fixture
def catalogue(db):
    """The seeded plans; a transactional test's flush removes data migrations' rows."""
    if not Plan.objects.exists():
        importlib.import_module("apps.purchases.migrations.0002_seed_plans").seed(django_apps, None)


@pytest.fixture
def buyer(catalogue):
    return BotUserFactory(username="buyer")


@pytest.fixture
def make_invoice(buyer):
    """An open invoice for 10 posts of t2 (10.00 USD), priced as COIN_PRICES say."""

    def make(method: str = "usdt_bep20", *, user=None, amount_usd: str = "10.00") -> Invoice:
        plan = Plan.objects.get(code="t2")
        amount_usd = Decimal(amount_usd)
        price = COIN_PRICES.get(method)
        bank = method == "bank_ngn"
        paid = None if bank else ASSETS[method]
        return Invoice.objects.create(
            number=f"INV-T{Invoice.objects.count() + 1:06d}",
            user=user or buyer,
            plan=plan,
            plan_snapshot=plan.snapshot(),
            quantity=10,
            amount_usd=amount_usd,
            method=method,
            network=FLUTTERWAVE if bank else paid.network,
            asset_symbol="NGN" if bank else paid.symbol,
            amount_due=amount_usd / price if price else amount_usd,
            coin_price_usd=price,
            deposit_address="" if bank else django_settings.DEPOSIT_ADDRESSES[paid.network],
            chat_id=(user or buyer).telegram_id,
            status=InvoiceStatus.OPEN,
            expires_at=timezone.now() + timedelta(minutes=20),
        )

    return make


@pytest.fixture
def claim_hash():
    def claim(user, invoice, raw_hash):
        with transaction.atomic():
            return submit_hash(user=user, invoice=invoice, raw_hash=raw_hash)

    return claim
