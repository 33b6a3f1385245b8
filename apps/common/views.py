"""Operations endpoints (health, readiness, metrics) and the error pages for non-admin callers."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView
from health_check.checks import Cache, Database
from health_check.views import HealthCheckView

from apps.common.backups.metrics import backup_metrics_text, current_backup_age_seconds
from apps.common.health import Broker, Migrations


@never_cache
@require_GET
def health(request):
    """Liveness: the process answers. No I/O, so a slow database never restarts the web tier."""
    return JsonResponse({"status": "ok"})


class ReadinessView(HealthCheckView):
    """Readiness: database, cache, broker and migrations; 503 with a JSON body naming failures."""

    checks = (
        (Database, {"alias": "default"}),
        (Cache, {"alias": "default"}),
        Broker,
        Migrations,
    )
    check_names = {Database: "database", Cache: "cache", Broker: "broker", Migrations: "migrations"}

    async def get(self, request, *args, **kwargs):
        await super().get(request, *args, **kwargs)
        return self.readiness_response()

    def readiness_response(self):
        checks = {
            self.check_names[type(result.check)]: str(result.error) if result.error else "ok"
            for result in self.results
        }
        failed = sorted(name for name, outcome in checks.items() if outcome != "ok")
        status = 503 if failed else 200
        body = {"status": "unavailable" if failed else "ok", "failed": failed, "checks": checks}
        # Information only: a fresh install has no backup yet and is still ready.
        body["backup_age_seconds"] = current_backup_age_seconds()
        return JsonResponse(body, status=status)


def _is_loopback(request) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _has_metrics_token(request) -> bool:
    expected = f"Bearer {settings.METRICS_TOKEN}"
    supplied = request.headers.get("Authorization", "")
    return hmac.compare_digest(supplied.encode(), expected.encode())


@never_cache
@require_GET
def metrics(request):
    """Prometheus metrics for the bearer of METRICS_TOKEN, or for loopback when no token is set."""
    allowed = _has_metrics_token(request) if settings.METRICS_TOKEN else _is_loopback(request)
    if not allowed:
        response = JsonResponse(
            {"error": "unauthorized", "detail": "A metrics token is required."}, status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = ExportToDjangoView(request)
    response.content += backup_metrics_text()
    return response


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status)


def bad_request(request, exception=None):
    return _error(400, "bad_request", "The request could not be understood.")


def permission_denied(request, exception=None):
    return _error(403, "forbidden", "You do not have permission to do this.")


def page_not_found(request, exception=None):
    return _error(404, "not_found", "Nothing is here.")


def server_error(request):
    # No traceback and no exception text: the details are in the log, under this request's id.
    correlation_id = getattr(request, "correlation_id", None)
    return _error(
        500, "server_error", f"Something went wrong on our side (request {correlation_id})."
    )


def rate_limited(request, exception=None):
    return _error(429, "rate_limited", "Too many requests. Slow down and try again shortly.")
