"""Configuration from the environment: strict parsing and the production refusals."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from viralcore.backends import database_settings
from viralcore.env import ConfigError, Env
from viralcore.production import unsafe_production_reasons

REPO = Path(__file__).resolve().parents[1]
STRONG_KEY = "k3Y-" + "".join(chr(ord("a") + n % 26) + str(n % 10) for n in range(40))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("Yes", True), ("1", True), ("off", False), ("0", False), ("", True)],
)
def test_booleans_accept_the_usual_words(raw, expected):
    assert Env({"DEBUG": raw}).bool("DEBUG", default=True) is expected


def test_a_bad_boolean_names_the_variable():
    with pytest.raises(ConfigError, match="DEBUG must be one of"):
        Env({"DEBUG": "maybe"}).bool("DEBUG", default=False)


def test_whole_numbers_are_parsed_and_bounded():
    assert Env({"N": " 12 "}).int("N", 3) == 12
    assert Env({}).int("N", 3) == 3
    with pytest.raises(ConfigError, match="N must be a whole number"):
        Env({"N": "12.5"}).int("N", 3)
    with pytest.raises(ConfigError, match="N must be at least 1"):
        Env({"N": "0"}).int("N", 3, minimum=1)


@pytest.mark.parametrize("raw", ["12", "7:30", "24:00", "12:60", "noon", "12:3a"])
def test_a_time_of_day_must_be_hh_mm(raw):
    assert Env({"T": "07:30"}).time_of_day("T", "12:00") == (7, 30)
    assert Env({}).time_of_day("T", "12:00") == (12, 0)
    with pytest.raises(ConfigError, match="T must be a time of day such as 12:00"):
        Env({"T": raw}).time_of_day("T", "12:00")


def test_choices_refuse_values_outside_the_list():
    assert Env({"DJANGO_ENV": "production"}).choice("DJANGO_ENV", "dev", ("dev", "production"))
    with pytest.raises(ConfigError, match="DJANGO_ENV must be one of: dev, production"):
        Env({"DJANGO_ENV": "prod"}).choice("DJANGO_ENV", "dev", ("dev", "production"))


def test_allowed_hosts_are_a_comma_separated_list_of_names():
    env = Env({"ALLOWED_HOSTS": "ops.example.com, .example.org,127.0.0.1,[::1]"})
    assert env.hosts("ALLOWED_HOSTS", []) == [
        "ops.example.com",
        ".example.org",
        "127.0.0.1",
        "[::1]",
    ]
    with pytest.raises(ConfigError, match="ALLOWED_HOSTS must be a comma-separated list"):
        Env({"ALLOWED_HOSTS": "https://ops.example.com/"}).hosts("ALLOWED_HOSTS", [])


def test_a_bad_url_is_refused_without_repeating_its_password():
    with pytest.raises(ConfigError) as refused:
        Env({"REDIS_URL": "http://user:hunter2@redis:6379"}).url("REDIS_URL", ("redis",))
    assert "REDIS_URL must be a URL starting with one of: redis" in str(refused.value)
    assert "hunter2" not in str(refused.value)
    with pytest.raises(ConfigError, match="REDIS_URL is not a valid URL"):
        Env({"REDIS_URL": "redis://host:notaport"}).url("REDIS_URL", ("redis",))


def test_secrets_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-the-file\n")
    assert Env({"SECRET_KEY_FILE": str(secret_file)}).str("SECRET_KEY") == "from-the-file"


def test_a_missing_secret_file_and_a_double_definition_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY_FILE names a file that cannot be read"):
        Env({"SECRET_KEY_FILE": str(tmp_path / "absent")}).str("SECRET_KEY")
    both = {"SECRET_KEY": "a", "SECRET_KEY_FILE": str(tmp_path)}
    with pytest.raises(ConfigError, match="Set either SECRET_KEY or SECRET_KEY_FILE, not both"):
        Env(both).str("SECRET_KEY")


def test_database_url_must_be_postgres_or_sqlite(tmp_path):
    postgres = database_settings("postgres://app:pw@db:5432/viralcore", pool_max_size=4)
    assert postgres["ENGINE"] == "apps.common.db.postgresql"  # django-prometheus, class cached
    assert postgres["OPTIONS"]["pool"]["max_size"] == 4
    assert postgres["CONN_MAX_AGE"] == 0
    sqlite = database_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}", pool_max_size=4)
    assert sqlite["ENGINE"] == "django_prometheus.db.backends.sqlite3"
    with pytest.raises(ConfigError, match="DATABASE_URL must be a postgres:// or sqlite:// URL"):
        database_settings("mysql://app@db/viralcore", pool_max_size=4)


SAFE_PRODUCTION = dict(
    debug=False,
    secret_key=STRONG_KEY,
    default_secret_key="dev",
    database_vendor="postgresql",
    sandbox=False,
    redis_url="redis://redis:6379/0",
    allowed_hosts=["ops.example.com"],
)


def test_a_safe_production_configuration_has_no_objections():
    assert unsafe_production_reasons(**SAFE_PRODUCTION) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"debug": True}, "DEBUG is on"),
        ({"secret_key": "dev"}, "SECRET_KEY is the development default"),
        ({"secret_key": "short"}, "SECRET_KEY is weak"),
        ({"secret_key": "ab" * 40}, "SECRET_KEY is weak"),
        ({"database_vendor": "sqlite"}, "DATABASE_URL is not PostgreSQL"),
        ({"sandbox": True}, "SANDBOX is on"),
        ({"redis_url": None}, "REDIS_URL is not set"),
        ({"allowed_hosts": []}, "ALLOWED_HOSTS is not set"),
        ({"telegram_token_is_default": True}, "TELEGRAM_BOT_TOKEN is the sandbox default"),
        ({"webhook_secret_is_default": True}, "TELEGRAM_WEBHOOK_SECRET is the sandbox default"),
        (
            {"sandbox_defaults": ("BSC_DEPOSIT_ADDRESS",)},
            "BSC_DEPOSIT_ADDRESS is the sandbox default",
        ),
        ({"missing": ("FX_API_KEY",)}, "FX_API_KEY is not set"),
    ],
)
def test_production_refuses_each_unsafe_setting(change, named):
    reasons = unsafe_production_reasons(**{**SAFE_PRODUCTION, **change})
    assert len(reasons) == 1
    assert named in reasons[0]


def run_manage(*args, **env_overrides):
    env = {key: value for key, value in os.environ.items() if key not in _SERVICE_VARIABLES}
    env.update({"DJANGO_SETTINGS_MODULE": "viralcore.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


_SERVICE_VARIABLES = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ENV", "DEBUG"}


# Payment settings production needs (a sandbox deposit address would lose customers' money).
PRODUCTION_PAYMENT_SETTINGS = {
    "FLUTTERWAVE_SECRET_KEY": "production-flutterwave-secret",
    "FLUTTERWAVE_WEBHOOK_HASH": "production-verif-hash",
    "FX_API_KEY": "production-fx-key",
    "BSC_DEPOSIT_ADDRESS": "0x1111111111111111111111111111111111111111",
    "TRON_DEPOSIT_ADDRESS": "TJGL6Z2zEfHQ4bPKnPnAfMCswU7XtJ7oSB",
    "SOLANA_DEPOSIT_ADDRESS": "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM",
    "APTOS_DEPOSIT_ADDRESS": "0x" + "11" * 32,
}


def test_production_with_defaults_stops_with_every_reason_and_no_traceback():
    result = run_manage("check", DJANGO_ENV="production")
    assert result.returncode == 2
    assert "Refusing to start with DJANGO_ENV=production" in result.stderr
    assert "SECRET_KEY is the development default" in result.stderr
    assert "BSC_DEPOSIT_ADDRESS is the sandbox default" in result.stderr
    assert "FLUTTERWAVE_SECRET_KEY is the sandbox default" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_variable_stops_start_up_naming_it():
    result = run_manage("check", DEBUG="perhaps")
    assert result.returncode == 2
    assert "Configuration error: DEBUG must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_deploy_checks_pass_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=STRONG_KEY,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/viralcore",
        REDIS_URL="redis://127.0.0.1:6379/0",
        SANDBOX="false",
        ALLOWED_HOSTS="ops.example.com",
        TELEGRAM_BOT_TOKEN="42:production-token-from-botfather",
        TELEGRAM_WEBHOOK_SECRET="production-webhook-secret",
        **PRODUCTION_PAYMENT_SETTINGS,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_system_checks_pass_in_the_configuration_under_test():
    call_command("check", fail_level="WARNING")
