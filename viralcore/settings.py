"""ViralCore settings: one module, read from the environment.

With no environment at all this is the embedded default: SQLite under var/, no Redis, a broker
that needs no server, sandbox providers. Production (DJANGO_ENV=production) refuses to start
with anything unsafe; see viralcore/production.py. The README has a table of every variable.
"""

from pathlib import Path

from celery.schedules import crontab

from viralcore.backends import broker_transport_options, cache_settings, database_settings
from viralcore.env import ConfigError, Env
from viralcore.production import unsafe_production_reasons

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

# Where the embedded default keeps its SQLite file, Celery queue and beat schedule.
VAR_DIR = Path(env.str("VAR_DIR", str(BASE_DIR / "var")))

# "dev" (default: the embedded system for a laptop) or "production" (refuses unsafe settings).
DJANGO_ENV = env.choice("DJANGO_ENV", "dev", ("dev", "production"))
IS_PRODUCTION = DJANGO_ENV == "production"

# Signs sessions and CSRF tokens. The default only exists for the embedded dev system.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", DEV_SECRET_KEY)

# Django's debug pages: on by default in dev, refused in production.
DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)

# Host names this site answers to (comma-separated).
ALLOWED_HOSTS = env.hosts(
    "ALLOWED_HOSTS", [] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)

# Origins allowed to POST forms (the admin) when served behind HTTPS, e.g. https://ops.example.com
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in (env.str("CSRF_TRUSTED_ORIGINS", "") or "").split(",")
    if origin.strip()
]

# The database: postgres://user:pass@host:5432/name, or the default SQLite file under var/.
DATABASE_URL = env.url(
    "DATABASE_URL",
    ("postgres", "postgresql", "sqlite"),
    default=f"sqlite:///{VAR_DIR / 'viralcore.sqlite3'}",
)
# Connections each process may hold in its psycopg pool (PostgreSQL only).
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", 10, minimum=1)
DATABASES = {"default": database_settings(DATABASE_URL, pool_max_size=DB_POOL_MAX_SIZE)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis for cache, rate limits and circuit breakers; unset means no Redis anywhere.
REDIS_URL = env.url("REDIS_URL", ("redis", "rediss"))
CACHES = cache_settings(REDIS_URL)

# Sandbox providers: the project's own fakes of Telegram, Flutterwave, SMM panels and chains.
SANDBOX = env.bool("SANDBOX", default=not IS_PRODUCTION)

# --- Telegram ---
# The bot's token from @BotFather. The sandbox's fake Bot API accepts only this token.
DEV_TELEGRAM_BOT_TOKEN = "123456:sandbox-token"  # noqa: S105 - sandbox only
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", DEV_TELEGRAM_BOT_TOKEN)
# Shared secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -).
DEV_TELEGRAM_WEBHOOK_SECRET = "sandbox-webhook-secret"  # noqa: S105 - sandbox only
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", DEV_TELEGRAM_WEBHOOK_SECRET)
# Where Bot API calls go: real Telegram, or the sandbox fake served by our own web process.
TELEGRAM_API_BASE_URL = env.url(
    "TELEGRAM_API_BASE_URL",
    ("http", "https"),
    default="http://127.0.0.1:8000/sandbox/telegram/bot"
    if SANDBOX
    else "https://api.telegram.org/bot",
)

# Telegram's delivery limits the outbox sender keeps to: messages a second overall, and the
# seconds between two messages to one private chat and to one group (20 a minute).
TELEGRAM_MESSAGES_PER_SECOND = 30
TELEGRAM_PRIVATE_CHAT_INTERVAL = 1.0
TELEGRAM_GROUP_CHAT_INTERVAL = 3.0
# Seconds to wait for a Bot API answer; after that the message's fate is unknown (not resent).
TELEGRAM_READ_TIMEOUT = 15.0
# Bot work has its own queue, so a flood of updates never delays payouts and vice versa.
# Payment verification waits on chain RPCs: its own queue, served by a threads worker.
CELERY_TASK_ROUTES = {
    "apps.bot.tasks.*": {"queue": "bot"},
    "apps.purchases.tasks.verify_claim": {"queue": "payments"},
    # Placing boost phases waits on SMM panels: its own queue, served by a threads worker, so
    # a slow panel never delays payments or the bot.
    "apps.boosts.tasks.place_phase": {"queue": "boosts"},
}

# Updates one Telegram user may send, as "count/period"; above it: one "slow down", then silence.
BOT_UPDATE_RATE = env.str("BOT_UPDATE_RATE", "20/m")

# --- Purchases: chains, prices and bank-transfer payments -------------------------------------
# In the sandbox every provider is our own fake, served by this web process under /sandbox/.
SANDBOX_BASE_URL = env.url("SANDBOX_BASE_URL", ("http", "https"), "http://127.0.0.1:8000/sandbox")


def _provider_url(name: str, real: str, fake_path: str) -> str:
    """A provider base URL: NAME from the environment, else the fake (sandbox) or the real one."""
    return env.url(name, ("http", "https"), f"{SANDBOX_BASE_URL}/{fake_path}" if SANDBOX else real)


# Milliseconds the sandbox chain fakes wait before answering (the payments benchmark sets 200).
SANDBOX_CHAIN_LATENCY_MS = env.int("SANDBOX_CHAIN_LATENCY_MS", 0, minimum=0)
# Chain endpoints the payment verifiers call (JSON-RPC for BSC and Solana, REST for the others).
BSC_RPC_URL = _provider_url("BSC_RPC_URL", "https://bsc-dataseed.binance.org", "chains/bsc/rpc")
TRONGRID_URL = _provider_url("TRONGRID_URL", "https://api.trongrid.io", "chains/tron")
TRONGRID_API_KEY = env.str("TRONGRID_API_KEY")
SOLANA_RPC_URL = _provider_url(
    "SOLANA_RPC_URL", "https://api.mainnet-beta.solana.com", "chains/solana/rpc"
)
APTOS_API_URL = _provider_url(
    "APTOS_API_URL", "https://fullnode.mainnet.aptoslabs.com/v1", "chains/aptos/v1"
)
# Our deposit addresses, one per chain (USDT arrives at the address of its chain). The defaults
# are sandbox addresses; production refuses to start without real ones.
DEV_DEPOSIT_ADDRESSES = {
    "bsc": "0x5afe000000000000000000000000000000000b5c",
    "tron": "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
    "solana": "7vfCXTUXx5WJV5JADk17DUJ4ksgau7utNKj4b963voxs",
    "aptos": "0x00000000000000000000000000000000000000000000000000000000005afe01",
}
DEPOSIT_ADDRESSES = {
    network: env.str(f"{network.upper()}_DEPOSIT_ADDRESS", default)
    for network, default in DEV_DEPOSIT_ADDRESSES.items()
}
# Confirmations a payment needs before it counts, per network (fewer: verified again later).
# Tron counts solidified blocks (19 confirmations); Aptos commits are final at once.
PAYMENT_MIN_CONFIRMATIONS = {
    "bsc": env.int("BSC_MIN_CONFIRMATIONS", 15, minimum=1),
    "tron": env.int("TRON_MIN_CONFIRMATIONS", 19, minimum=1),
    "solana": env.int("SOLANA_MIN_CONFIRMATIONS", 32, minimum=1),
    "aptos": env.int("APTOS_MIN_CONFIRMATIONS", 1, minimum=1),
}
# Accepted difference between what the invoice asked and what arrived, in USD: an absolute
# amount (the old bot's ±0.50), or, when PAYMENT_TOLERANCE_PERCENT is set, a percentage of it.
PAYMENT_TOLERANCE_USD = env.decimal("PAYMENT_TOLERANCE_USD", "0.50", minimum="0")
PAYMENT_TOLERANCE_PERCENT = env.decimal("PAYMENT_TOLERANCE_PERCENT", None, minimum="0")
# Minutes an invoice can be paid; a transaction older than the invoice minus the skew is refused.
INVOICE_TTL_MINUTES = env.int("INVOICE_TTL_MINUTES", 20, minimum=1)
PAYMENT_CLOCK_SKEW_SECONDS = env.int("PAYMENT_CLOCK_SKEW_SECONDS", 120, minimum=0)
# How long a claim keeps being re-checked (not found yet, chain down) before it fails.
PAYMENT_VERIFY_DEADLINE_MINUTES = env.int("PAYMENT_VERIFY_DEADLINE_MINUTES", 60, minimum=1)
# Orders above this are refused in the bot (arranged with support instead).
MAX_INVOICE_USD = env.decimal("MAX_INVOICE_USD", "5000", minimum="1")
# The referrer's share of every verified payment, in percent.
REFERRAL_COMMISSION_PERCENT = env.decimal("REFERRAL_COMMISSION_PERCENT", "10", minimum="0")

# Prices: CoinGecko first, a second source to cross-check; quotes deviating more than the
# setting between them are refused. Prices are cached in the shared cache for PRICE_CACHE_SECONDS.
COINGECKO_URL = _provider_url("COINGECKO_URL", "https://api.coingecko.com/api/v3", "coingecko")
COINGECKO_API_KEY = env.str("COINGECKO_API_KEY")
SECOND_PRICE_URL = _provider_url("SECOND_PRICE_URL", "https://api.binance.com", "binance")
PRICE_CACHE_SECONDS = env.int("PRICE_CACHE_SECONDS", 60, minimum=1)
PRICE_MAX_DEVIATION_PERCENT = env.decimal("PRICE_MAX_DEVIATION_PERCENT", "2", minimum="0")
# USD -> NGN for bank-transfer invoices (exchangerate-api v6 shape) and the buffer the old bot
# added per dollar (₦100, "small buffer/fee"), recorded on every bank invoice.
FX_RATE_URL = _provider_url("FX_RATE_URL", "https://v6.exchangerate-api.com", "fx")
FX_API_KEY = env.str("FX_API_KEY", "sandbox-fx-key" if SANDBOX else None)
NGN_BUFFER_PER_USD = env.decimal("NGN_BUFFER_PER_USD", "100", minimum="0")

# Flutterwave v3 (bank-transfer charges now, payouts in the withdrawals app).
FLUTTERWAVE_BASE_URL = _provider_url(
    "FLUTTERWAVE_BASE_URL", "https://api.flutterwave.com", "flutterwave"
)
DEV_FLUTTERWAVE_SECRET_KEY = "sandbox-flutterwave-secret"  # noqa: S105 - sandbox only
FLUTTERWAVE_SECRET_KEY = env.str("FLUTTERWAVE_SECRET_KEY", DEV_FLUTTERWAVE_SECRET_KEY)
# Seconds to wait for a Flutterwave answer; its gateway gives up at ~28 s with a 503 (§1.7), so
# waiting a little longer gets that answer instead of a timeout of our own.
FLUTTERWAVE_READ_TIMEOUT = env.int("FLUTTERWAVE_READ_TIMEOUT", 32, minimum=1)
# The static "verif-hash" Flutterwave sends with its webhooks (set on its dashboard).
DEV_FLUTTERWAVE_WEBHOOK_HASH = "sandbox-verif-hash"
FLUTTERWAVE_WEBHOOK_HASH = env.str("FLUTTERWAVE_WEBHOOK_HASH", DEV_FLUTTERWAVE_WEBHOOK_HASH)

# --- Withdrawals ---------------------------------------------------------------------------------
# Per request: the smallest amount per balance, and the largest (USD, or its NGN equivalent).
WITHDRAWAL_MIN_USD = env.decimal("WITHDRAWAL_MIN_USD", "1.00", minimum="0.01")
WITHDRAWAL_MIN_NGN = env.decimal("WITHDRAWAL_MIN_NGN", "1000.00", minimum="1")
WITHDRAWAL_MAX_USD = env.decimal("WITHDRAWAL_MAX_USD", "500.00", minimum="1")
# Velocity per user: requests an hour, and USD value a day (NGN converted at the day's rate).
WITHDRAWAL_MAX_PER_HOUR = env.int("WITHDRAWAL_MAX_PER_HOUR", 5, minimum=1)
WITHDRAWAL_MAX_USD_PER_DAY = env.decimal("WITHDRAWAL_MAX_USD_PER_DAY", "1000.00", minimum="1")
# Above this (USD value) a second, different Senior finance user must approve.
WITHDRAWAL_DUAL_APPROVAL_USD = env.decimal("WITHDRAWAL_DUAL_APPROVAL_USD", "200.00", minimum="0")
# Naira that may leave through payouts in one day (UTC), all users together.
WITHDRAWAL_DAILY_PAYOUT_CAP_NGN = env.decimal(
    "WITHDRAWAL_DAILY_PAYOUT_CAP_NGN", "5000000.00", minimum="1"
)
# Where staff open the admin; links in the admin group's cards start with it.
ADMIN_BASE_URL = env.url("ADMIN_BASE_URL", ("http", "https"), "http://127.0.0.1:8000").rstrip("/")
# Payout calls to Flutterwave per minute (its rate limit is per account and unpublished).
FLUTTERWAVE_PAYOUTS_PER_MINUTE = env.int("FLUTTERWAVE_PAYOUTS_PER_MINUTE", 60, minimum=1)

# --- Boosts: SMM-panel orders and comment-group distribution ------------------------------------
# Views go out in batches of this size, one batch every interval, the first one interval after
# the submission; all likes go with the last batch (legacy rule, spec §6.5).
BOOST_VIEW_BATCH = env.int("BOOST_VIEW_BATCH", 1000, minimum=1)
BOOST_INTERVAL_MINUTES = env.decimal("BOOST_INTERVAL_MINUTES", "30", minimum="0.01")
# A Partial (or provider-canceled) order's remainder is ordered again, once.
BOOST_REORDER_REMAINDER = env.bool("BOOST_REORDER_REMAINDER", default=True)
# A phase no provider could take (all out of funds or open) waits; after this many hours past
# its due time it fails and the user gets the credit back.
BOOST_GIVE_UP_HOURS = env.decimal("BOOST_GIVE_UP_HOURS", "24", minimum="0.01")
# Phases claimed per dispatcher run, and how long a claim lasts before another worker may take it.
BOOST_DISPATCH_BATCH = env.int("BOOST_DISPATCH_BATCH", 500, minimum=1)
BOOST_LEASE_SECONDS = env.int("BOOST_LEASE_SECONDS", 300, minimum=10)
# SMM panel calls: read timeout (an `add` that times out is never re-sent blindly).
SMM_READ_TIMEOUT = env.decimal("SMM_READ_TIMEOUT", "20", minimum="0.1")
# Posts sent to comment groups: commenters per group, groups per post, and the stagger between
# groups (legacy: 5 commenters, at most 10 groups, one group every 10-40 minutes).
BOOST_COMMENTERS_PER_GROUP = env.int("BOOST_COMMENTERS_PER_GROUP", 5, minimum=1)
BOOST_MAX_COMMENT_GROUPS = env.int("BOOST_MAX_COMMENT_GROUPS", 10, minimum=1)
BOOST_GROUP_STAGGER_MINUTES = env.decimal("BOOST_GROUP_STAGGER_MINUTES", "15", minimum="0")
# The daily report to the admin group: the time of day (HH:MM, in TIME_ZONE) it is sent; it
# covers the calendar day before (a whole day, never cumulative).
BOOST_DAILY_REPORT_TIME = env.time_of_day("BOOST_DAILY_REPORT_TIME", "12:00")
# The sandbox panels accept this key when a provider's key variable is unset (sandbox only).
SANDBOX_SMM_API_KEY = "sandbox-smm-key"

# --- Backups (manage.py backup / restore and the daily job) ---------------------------------------
# Where backups and their .sha256 sidecars are written; keep it on another disk than the database.
BACKUP_DIR = env.str("BACKUP_DIR", str(VAR_DIR / "backups"))
# Days of backups kept; older ones of ours are deleted after each successful backup.
BACKUP_KEEP_DAYS = env.int("BACKUP_KEEP_DAYS", 7, minimum=1)
# When the daily backup runs (HH:MM, in TIME_ZONE).
BACKUP_TIME = env.time_of_day("BACKUP_TIME", "01:30")

# Bearer token for /metrics; unset means /metrics answers loopback callers only.
METRICS_TOKEN = env.str("METRICS_TOKEN")

# Log output: "json" (one object a line, production default) or "text" (dev default).
LOG_FORMAT = env.choice("LOG_FORMAT", "json" if IS_PRODUCTION else "text", ("json", "text"))
# Root log level.
LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))

if IS_PRODUCTION:
    _reasons = unsafe_production_reasons(
        debug=DEBUG,
        secret_key=SECRET_KEY,
        default_secret_key=DEV_SECRET_KEY,
        database_vendor="postgresql"
        if "postgresql" in DATABASES["default"]["ENGINE"]
        else "sqlite",
        sandbox=SANDBOX,
        redis_url=REDIS_URL,
        allowed_hosts=ALLOWED_HOSTS,
        telegram_token_is_default=TELEGRAM_BOT_TOKEN == DEV_TELEGRAM_BOT_TOKEN,
        webhook_secret_is_default=TELEGRAM_WEBHOOK_SECRET == DEV_TELEGRAM_WEBHOOK_SECRET,
        sandbox_defaults=tuple(
            name
            for name, value, default in (
                ("FLUTTERWAVE_SECRET_KEY", FLUTTERWAVE_SECRET_KEY, DEV_FLUTTERWAVE_SECRET_KEY),
                (
                    "FLUTTERWAVE_WEBHOOK_HASH",
                    FLUTTERWAVE_WEBHOOK_HASH,
                    DEV_FLUTTERWAVE_WEBHOOK_HASH,
                ),
                *(
                    (f"{network.upper()}_DEPOSIT_ADDRESS", DEPOSIT_ADDRESSES[network], default)
                    for network, default in DEV_DEPOSIT_ADDRESSES.items()
                ),
            )
            if value == default
        ),
        missing=() if FX_API_KEY else ("FX_API_KEY",),
    )
    if _reasons:
        raise ConfigError("Refusing to start with DJANGO_ENV=production: " + "; ".join(_reasons))

INSTALLED_APPS = [
    "apps.common.admin_config.ViralCoreAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "health_check",
    "django_ratelimit",
    "apps.common",
    "apps.users",
    "apps.audit",
    "apps.ledger",
    "apps.bot",
    "apps.purchases",
    "apps.withdrawals",
    "apps.boosts",
    "apps.legacy",
    "apps.sandbox",
]

MIDDLEWARE = [
    "apps.common.middleware.CorrelationIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "viralcore.urls"
WSGI_APPLICATION = "viralcore.wsgi.application"
ASGI_APPLICATION = "viralcore.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves static files from the web process; in dev straight from the app folders.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
WHITENOISE_AUTOREFRESH = not IS_PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files in production (after collectstatic); plain files in dev and tests.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security (production sits behind a TLS-terminating proxy) ---
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
# Probes from the platform and Prometheus speak plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$", r"^metrics$"]
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SESSION_COOKIE_HTTPONLY = True
# Staff sessions end after 8 hours (a working day) of inactivity.
SESSION_COOKIE_AGE = 8 * 60 * 60
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000 if IS_PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Webhook bodies and admin forms are small; a larger body is refused before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a commitment made per domain with the browsers' preload list; the operator
    # decides it, not the code.
    "security.W021",
    # django-ratelimit only knows the plain django_redis class; ours is django-prometheus'
    # subclass of it, with the same atomic INCR.
    "django_ratelimit.W001",
]
if not REDIS_URL:
    # Without Redis the cache is in-process memory. The embedded default serves every request
    # from one runserver process, so its rate-limit counters are still seen by every request.
    # Production refuses to start without REDIS_URL.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# --- Admin login rate limits (django-ratelimit on the shared cache) ---
# Attempts allowed per client IP and per username, as "count/period" (s, m, h, d; e.g. 10/15m).
ADMIN_LOGIN_RATE_PER_IP = env.str("ADMIN_LOGIN_RATE_PER_IP", "20/15m")
ADMIN_LOGIN_RATE_PER_USERNAME = env.str("ADMIN_LOGIN_RATE_PER_USERNAME", "5/15m")
RATELIMIT_VIEW = "apps.common.views.rate_limited"
# Proxies of ours in front of gunicorn that append to X-Forwarded-For (0: use REMOTE_ADDR).
# Rate limits and audit events take the client IP from this many hops back.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 0, minimum=0)
RATELIMIT_IP_META_KEY = "apps.common.request_context.client_ip_from_request"

# --- Celery ---
# Broker: Redis when REDIS_URL is set; otherwise kombu's filesystem transport under var/, which
# needs no server and is shared by the web, worker and beat processes of `make run`.
CELERY_BROKER_URL = env.url(
    "CELERY_BROKER_URL",
    ("redis", "rediss", "amqp", "amqps", "filesystem", "memory"),
    default=REDIS_URL or "filesystem://localhost/",
)
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL, VAR_DIR)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 5
# Beat's crontab times (the daily report) are read in the project's time zone.
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Results live in the database rows the tasks change, never in a result backend.
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, so a worker killed mid-task leaves it to another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Our LOGGING (correlation ids, redaction) applies inside workers too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Task modules Celery's autodiscovery (tasks.py only) would not load.
CELERY_IMPORTS = [
    "apps.withdrawals.tasks_reconciliation",
    "apps.boosts.tasks_report",
    "apps.common.tasks_backup",
]
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "apps.common.tasks.heartbeat", "schedule": 60.0},
    "bot-sweep-pending-updates": {"task": "apps.bot.tasks.sweep_pending_updates", "schedule": 30.0},
    "bot-send-outbox": {"task": "apps.bot.tasks.send_outbox", "schedule": 10.0},
    # Payments: re-check due claims, quote invoices whose task was lost, close expired ones.
    "purchases-sweep-claims": {"task": "apps.purchases.tasks.sweep_claims", "schedule": 15.0},
    "purchases-sweep-preparing": {
        "task": "apps.purchases.tasks.sweep_preparing_invoices",
        "schedule": 60.0,
    },
    "purchases-expire-invoices": {"task": "apps.purchases.tasks.expire_invoices", "schedule": 60.0},
    # Payouts: settle sent/unknown ones, re-enqueue approved ones whose task was lost.
    "withdrawals-sync-payouts": {"task": "apps.withdrawals.tasks.sync_payouts", "schedule": 60.0},
    "withdrawals-sweep-approved": {
        "task": "apps.withdrawals.tasks.sweep_approved",
        "schedule": 60.0,
    },
    # Yesterday's payouts against Flutterwave's transfer list; discrepancies alert the admin group.
    "withdrawals-reconcile-daily": {
        "task": "apps.withdrawals.tasks_reconciliation.reconcile_yesterday",
        "schedule": crontab(hour=3, minute=0),
    },
    # Boosts: claim due phases, follow placed provider orders, check panel balances.
    "boosts-dispatch-phases": {"task": "apps.boosts.tasks.dispatch_due_phases", "schedule": 10.0},
    "boosts-poll-orders": {"task": "apps.boosts.tasks.poll_provider_orders", "schedule": 60.0},
    "boosts-check-balances": {"task": "apps.boosts.tasks.check_balances", "schedule": 900.0},
    "boosts-daily-report": {
        "task": "apps.boosts.tasks_report.send_yesterdays_report",
        "schedule": crontab(hour=BOOST_DAILY_REPORT_TIME[0], minute=BOOST_DAILY_REPORT_TIME[1]),
    },
    # Proves cached balances equal their entries; an ERROR log line is the alert (02:30 UTC).
    "ledger-check-nightly": {
        "task": "apps.ledger.tasks.nightly_ledger_check",
        "schedule": crontab(hour=2, minute=30),
    },
    # A dump of the database into BACKUP_DIR; a failure is logged at ERROR (the alert).
    "backup-daily": {
        "task": "apps.common.tasks_backup.daily_backup",
        "schedule": crontab(hour=BACKUP_TIME[0], minute=BACKUP_TIME[1]),
    },
}

if SANDBOX:
    # The fake Flutterwave settles transfers after a few seconds and posts its webhooks, as the
    # real one does, so a payout can be watched end to end in `make run`.
    CELERY_BEAT_SCHEDULE["sandbox-flutterwave-transfers"] = {
        "task": "apps.sandbox.tasks.advance_flutterwave_transfers",
        "schedule": 10.0,
    }

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: an anonymous API caller gets 401 with `WWW-Authenticate: Token`, not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ViralCore staff API",
    "VERSION": "1.0.0",
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files: no CDN in the staff docs.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and its docs describe staff endpoints: staff only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
}

# --- Metrics ---
# Migration metrics would query the database while the process starts; /ready/ covers them.
PROMETHEUS_EXPORT_MIGRATIONS = False

# --- Logging: every line carries the correlation id and passes the redaction filter ---
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "correlation": {"()": "apps.common.logging.CorrelationIdFilter"},
        "redact": {"()": "apps.common.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)-7s %(name)s [%(correlation_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(correlation_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["correlation", "redact"],
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
