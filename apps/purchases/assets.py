"""The coins and tokens a bot user can pay with, and the chain each one lives on.

Token identifiers are the mainnet ones from external-apis.md; the sandbox chains use the same
values, so the verifiers check exactly what they would check in production.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Network(models.TextChoices):
    BSC = "bsc", "BNB Smart Chain"
    TRON = "tron", "Tron"
    SOLANA = "solana", "Solana"
    APTOS = "aptos", "Aptos"


# The key chain clients use for the chain's own coin in ChainReceipt.received.
NATIVE = "native"

BSC_USDT_CONTRACT = "0x55d398326f99059ff775485246999027b3197955"
TRON_USDT_CONTRACT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SOLANA_USDT_MINT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
APTOS_USDT_METADATA = "0x357b0b74bc833e95a115ad22604854d6b0fca151cecd94111770e5d6ffc9dc2b"


@dataclass(frozen=True)
class PaymentAsset:
    code: str  # what invoices and callback data store, e.g. "usdt_bep20"
    network: str  # a Network value
    symbol: str  # what the user sends, e.g. "USDT"
    label: str  # the button text, e.g. "USDT (BEP-20)"
    token: str  # NATIVE, or the token contract / mint / fungible-asset metadata address
    decimals: int  # on-chain units per coin: 10**decimals
    coingecko_id: str  # for the USD price; "tether" is taken as 1 USD only after a quote

    @property
    def is_stablecoin(self) -> bool:
        return self.symbol == "USDT"


_ALL = (  # code, network, symbol, label, token, decimals, CoinGecko id
    PaymentAsset("usdt_bep20", Network.BSC, "USDT", "USDT (BEP-20)", BSC_USDT_CONTRACT, 18, "tether"),  # noqa: E501
    PaymentAsset("usdt_trc20", Network.TRON, "USDT", "USDT (TRC-20)", TRON_USDT_CONTRACT, 6, "tether"),  # noqa: E501
    PaymentAsset("usdt_sol", Network.SOLANA, "USDT", "USDT (Solana)", SOLANA_USDT_MINT, 6, "tether"),  # noqa: E501
    PaymentAsset("usdt_aptos", Network.APTOS, "USDT", "USDT (Aptos)", APTOS_USDT_METADATA, 6, "tether"),  # noqa: E501
    PaymentAsset("bnb", Network.BSC, "BNB", "BNB", NATIVE, 18, "binancecoin"),
    PaymentAsset("sol", Network.SOLANA, "SOL", "SOL", NATIVE, 9, "solana"),
    PaymentAsset("trx", Network.TRON, "TRX", "TRX", NATIVE, 6, "tron"),
    PaymentAsset("apt", Network.APTOS, "APT", "APT", NATIVE, 8, "aptos"),
)  # fmt: skip
ASSETS: dict[str, PaymentAsset] = {asset.code: asset for asset in _ALL}


def asset(code: str) -> PaymentAsset:
    """The asset for CODE; KeyError for an unknown code (callback data is checked before)."""
    return ASSETS[code]
