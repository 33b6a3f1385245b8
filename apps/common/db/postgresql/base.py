"""PostgreSQL backend: django-prometheus's query metrics, one cursor class per process.

django-prometheus builds its instrumented cursor class inside get_connection_params(), which
Django calls on every connect(). With the connection pool every request that touches the
database connects, so each such request built a class and threw it away: about a twentieth of
the Telegram webhook's CPU (bench/README.md). The class depends only on its three arguments,
so one per (cursor class, alias, vendor) serves every connection and counts the same queries.
"""

from functools import lru_cache

from django.db.backends.postgresql import base as django_base
from django_prometheus.db.backends.postgresql import base as prometheus_base
from django_prometheus.db.common import ExportingCursorWrapper

instrumented_cursor_class = lru_cache(maxsize=None)(ExportingCursorWrapper)


class DatabaseWrapper(prometheus_base.DatabaseWrapper):
    def get_connection_params(self):
        conn_params = django_base.DatabaseWrapper.get_connection_params(self)
        conn_params["cursor_factory"] = instrumented_cursor_class(
            conn_params["cursor_factory"], self.alias, self.vendor
        )
        return conn_params
