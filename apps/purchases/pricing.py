"""Prices for invoices: USD per coin, the naira rate, and the amounts a user is asked to pay.

What the invoice code relies on:

- usd_price(coin) quotes CoinGecko and cross-checks it against the second source (Binance). Both
  must answer and agree within PRICE_MAX_DEVIATION_PERCENT of the lower price, or the quote is
  refused: fail closed. One source alone cannot tell a real move from a stale cache, a broken
  feed or a spoofed answer, and a wrong price locked on an invoice either gives credits away or
  overcharges a user. Refusing costs one "try again in a minute".
- "tether" is quoted at exactly 1 USD without calling anyone: a USDT invoice asks for its USD
  amount in USDT, as the old bot did (legacy spec §3.2), so no market price enters it.
- Quotes are cached in the shared cache for PRICE_CACHE_SECONDS, one entry per coin (and one for
  the naira rate), so a burst of invoices costs one call per source. Refused quotes are not
  cached: the next attempt asks again.
- Amounts round up, never to the nearest, so rounding never makes the user underpay.

Errors a user may see carry only USER_MESSAGE; the technical cause (provider, HTTP status,
which source said what) is in `.cause` and the log, never a key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_UP, Decimal, localcontext

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from apps.common.http.errors import ProviderError
from apps.purchases.clients.binance import build_binance_client
from apps.purchases.clients.coingecko import build_coingecko_client
from apps.purchases.clients.fx import SOURCE_NAME as FX_SOURCE
from apps.purchases.clients.fx import build_fx_client

logger = logging.getLogger(__name__)

USER_MESSAGE = "Prices are unavailable right now, please try again in a minute."
COINGECKO = "coingecko"
BINANCE = "binance"
# Coins worth exactly one US dollar by definition of the invoice, never by a market quote.
STABLECOINS = frozenset({"tether"})
FIXED = "fixed"
ONE = Decimal(1)
# Invoices never show more than 8 places, whatever the token's own decimals (legacy: 8 dp).
MAX_AMOUNT_PLACES = 8
KOBO = Decimal("0.01")
# Enough digits that intermediate results are never rounded before our own rounding.
WORKING_PRECISION = 60
CACHE_PREFIX = "pricing"


class PriceUnavailable(Exception):
    """No price we can lock on an invoice now. str() is for the user; .cause is for staff."""

    user_message = USER_MESSAGE

    def __init__(self, cause: str) -> None:
        super().__init__(self.user_message)
        self.cause = cause


class PriceDisagreement(PriceUnavailable):
    """The two price sources differ by more than PRICE_MAX_DEVIATION_PERCENT."""


@dataclass(frozen=True)
class PriceQuote:
    coin: str  # CoinGecko id
    usd: Decimal  # USD per coin: CoinGecko's price
    sources: dict[str, Decimal]  # what each source said, recorded on the invoice
    fetched_at: datetime


@dataclass(frozen=True)
class FxQuote:
    rate: Decimal  # naira per US dollar, as the source said
    buffer: Decimal  # naira added per dollar (NGN_BUFFER_PER_USD)
    source: str
    fetched_at: datetime

    @property
    def ngn_per_usd(self) -> Decimal:
        return self.rate + self.buffer


# --- USD per coin ----------------------------------------------------------------------------


def usd_price(coin: str) -> PriceQuote:
    """The USD price of COIN (a CoinGecko id), cross-checked; raises PriceUnavailable."""
    if coin in STABLECOINS:
        return PriceQuote(coin=coin, usd=ONE, sources={FIXED: ONE}, fetched_at=timezone.now())
    cached = _cached_price(coin)
    if cached is not None:
        return cached
    quote = _fresh_price(coin)
    cache.set(_price_key(coin), _encode_price(quote), settings.PRICE_CACHE_SECONDS)
    return quote


def deviation_percent(first: Decimal, second: Decimal) -> Decimal:
    """How far apart two prices are, in percent of the lower one."""
    return abs(first - second) * 100 / min(first, second)


def _fresh_price(coin: str) -> PriceQuote:
    coingecko = _source_price(COINGECKO, coin, _coingecko_usd)
    binance = _source_price(BINANCE, coin, _binance_usd)
    deviation = deviation_percent(coingecko, binance)
    if deviation > settings.PRICE_MAX_DEVIATION_PERCENT:
        cause = (
            f"{coin}: coingecko {coingecko} and binance {binance} differ by "
            f"{deviation:.4f}% (more than {settings.PRICE_MAX_DEVIATION_PERCENT}%)"
        )
        logger.warning("Price quote refused: %s", cause)
        raise PriceDisagreement(cause)
    sources = {COINGECKO: coingecko, BINANCE: binance}
    return PriceQuote(coin=coin, usd=coingecko, sources=sources, fetched_at=timezone.now())


def _source_price(source: str, coin: str, fetch: Callable[[str], Decimal | None]) -> Decimal:
    try:
        price = fetch(coin)
    except ProviderError as error:
        raise _refused(f"{source} failed for {coin}: {error}") from error
    if price is None:
        raise _refused(f"{source} has no price for {coin}")
    if price <= 0:
        raise _refused(f"{source} quoted {price} for {coin}")
    return price


def _coingecko_usd(coin: str) -> Decimal | None:
    with build_coingecko_client() as client:
        return client.usd_prices([coin]).get(coin)


def _binance_usd(coin: str) -> Decimal | None:
    with build_binance_client() as client:
        return client.usdt_price(coin)


def _refused(cause: str) -> PriceUnavailable:
    logger.warning("Price quote refused: %s", cause)
    return PriceUnavailable(cause)


# --- USD -> NGN ------------------------------------------------------------------------------


def usd_to_ngn() -> FxQuote:
    """Naira per US dollar now, with the buffer bank invoices add; raises PriceUnavailable."""
    cached = _cached_fx()
    if cached is not None:
        return cached
    try:
        with build_fx_client() as client:
            rate = client.usd_rate("NGN")
    except ProviderError as error:
        raise _refused(f"USD->NGN rate failed: {error}") from error
    except ValueError as error:  # no FX_API_KEY configured
        raise _refused(f"USD->NGN rate: {error}") from error
    quote = FxQuote(
        rate=rate,
        buffer=settings.NGN_BUFFER_PER_USD,
        source=FX_SOURCE,
        fetched_at=timezone.now(),
    )
    cache.set(_fx_key(), _encode_fx(quote), settings.PRICE_CACHE_SECONDS)
    return quote


# --- amounts ---------------------------------------------------------------------------------


def crypto_amount(usd: Decimal, quote: PriceQuote, decimals: int) -> Decimal:
    """USD in coins at QUOTE, rounded UP to min(DECIMALS, 8) places.

    Up, not to nearest: the amount asked is never below the invoice's USD value, so a user who
    sends exactly what is shown is never short by a rounding step.
    """
    _require_positive(usd, "usd")
    _require_positive(quote.usd, "quote.usd")
    if decimals < 0:
        raise ValueError("decimals must not be negative")
    step = Decimal(1).scaleb(-min(decimals, MAX_AMOUNT_PLACES))
    with localcontext() as context:
        context.prec = WORKING_PRECISION
        context.rounding = ROUND_UP  # the division, too, may only err upwards
        return (usd / quote.usd).quantize(step, rounding=ROUND_UP)


def ngn_amount(usd: Decimal, fx: FxQuote) -> Decimal:
    """USD in naira at FX's rate plus its buffer, rounded UP to whole kobo."""
    _require_positive(usd, "usd")
    with localcontext() as context:
        context.prec = WORKING_PRECISION
        return (usd * fx.ngn_per_usd).quantize(KOBO, rounding=ROUND_UP)


def _require_positive(value: Decimal, name: str) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{name} must be a positive amount")


# --- cache -----------------------------------------------------------------------------------
# Entries hold strings, not pickled objects: a deploy that changes these classes must not find
# unreadable entries in a Redis shared with the previous release.


def _price_key(coin: str) -> str:
    return f"{CACHE_PREFIX}:usd:{coin}"


def _fx_key() -> str:
    return f"{CACHE_PREFIX}:usd-ngn"


def _encode_price(quote: PriceQuote) -> dict:
    return {
        "coin": quote.coin,
        "usd": str(quote.usd),
        "sources": {name: str(price) for name, price in quote.sources.items()},
        "fetched_at": quote.fetched_at.isoformat(),
    }


def _cached_price(coin: str) -> PriceQuote | None:
    entry = cache.get(_price_key(coin))
    try:
        return PriceQuote(
            coin=entry["coin"],
            usd=Decimal(entry["usd"]),
            sources={name: Decimal(price) for name, price in entry["sources"].items()},
            fetched_at=datetime.fromisoformat(entry["fetched_at"]),
        )
    except (TypeError, KeyError, ArithmeticError, ValueError, AttributeError):
        return None  # absent, or written by another release: ask the sources again


def _encode_fx(quote: FxQuote) -> dict:
    return {
        "rate": str(quote.rate),
        "buffer": str(quote.buffer),
        "source": quote.source,
        "fetched_at": quote.fetched_at.isoformat(),
    }


def _cached_fx() -> FxQuote | None:
    entry = cache.get(_fx_key())
    try:
        return FxQuote(
            rate=Decimal(entry["rate"]),
            buffer=Decimal(entry["buffer"]),
            source=entry["source"],
            fetched_at=datetime.fromisoformat(entry["fetched_at"]),
        )
    except (TypeError, KeyError, ArithmeticError, ValueError, AttributeError):
        return None
