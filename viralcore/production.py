"""What production refuses to start with.

Kept apart from the settings module so the rules can be tested as a plain function and read in
one place. Each reason names the variable to change.
"""

from __future__ import annotations

# Django's own check (security.W009) uses the same bounds.
MIN_SECRET_KEY_LENGTH = 50
MIN_DISTINCT_CHARACTERS = 5


def unsafe_production_reasons(
    *,
    debug: bool,
    secret_key: str,
    default_secret_key: str,
    database_vendor: str,
    sandbox: bool,
    redis_url: str | None,
    allowed_hosts: list[str],
    telegram_token_is_default: bool = False,
    webhook_secret_is_default: bool = False,
    sandbox_defaults: tuple[str, ...] = (),
    missing: tuple[str, ...] = (),
) -> list[str]:
    """Every reason this configuration must not serve real users; empty when it may."""
    reasons = []
    if debug:
        reasons.append("DEBUG is on (set DEBUG=false)")
    if secret_key == default_secret_key:
        reasons.append("SECRET_KEY is the development default (set SECRET_KEY or SECRET_KEY_FILE)")
    elif len(secret_key) < MIN_SECRET_KEY_LENGTH or len(set(secret_key)) < MIN_DISTINCT_CHARACTERS:
        reasons.append(
            f"SECRET_KEY is weak (use at least {MIN_SECRET_KEY_LENGTH} random characters)"
        )
    if database_vendor != "postgresql":
        reasons.append("DATABASE_URL is not PostgreSQL (SQLite is for the embedded default only)")
    if sandbox:
        reasons.append(
            "SANDBOX is on (sandbox providers never serve real money; set SANDBOX=false)"
        )
    if not redis_url:
        reasons.append(
            "REDIS_URL is not set (rate limits and circuit breakers need a shared cache)"
        )
    if not allowed_hosts:
        reasons.append("ALLOWED_HOSTS is not set")
    if telegram_token_is_default:
        reasons.append("TELEGRAM_BOT_TOKEN is the sandbox default")
    if webhook_secret_is_default:
        reasons.append("TELEGRAM_WEBHOOK_SECRET is the sandbox default")
    # Payment settings: a sandbox deposit address would send customers' money nowhere.
    reasons.extend(f"{name} is the sandbox default" for name in sandbox_defaults)
    reasons.extend(f"{name} is not set" for name in missing)
    return reasons
