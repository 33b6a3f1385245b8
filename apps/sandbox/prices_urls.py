"""Routes of the fake price sources; apps/sandbox/urls.py mounts each list at its own prefix:
/sandbox/coingecko/, /sandbox/binance/ and /sandbox/fx/ (the settings' sandbox defaults)."""

from django.urls import path

from apps.sandbox import prices

coingecko = [
    path("simple/price", prices.coingecko_simple_price, name="coingecko-simple-price"),
]
binance = [
    path("api/v3/ticker/price", prices.binance_ticker_price, name="binance-ticker-price"),
]
fx = [
    # path, not str: a key holding "/" still reaches the view (and its 403), not Django's 404
    # page, which would log the path with the key in it.
    path("v6/<path:api_key>/latest/<str:base_code>", prices.fx_latest, name="fx-latest"),
]
