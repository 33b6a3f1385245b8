"""Test-only PostgreSQL backend: lets the test runner empty append-only tables between tests.

Django's transactional tests end with TRUNCATE, which our append-only triggers refuse, as they
must in production. Here, and only here, the flush runs with session_replication_role=replica
(superuser only), which switches ordinary triggers off for that statement.
"""

from apps.common.db.postgresql.base import DatabaseWrapper as PrometheusWrapper


class DatabaseOperations(PrometheusWrapper.ops_class):
    def execute_sql_flush(self, sql_list):
        with self.connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            super().execute_sql_flush(sql_list)
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")


class DatabaseWrapper(PrometheusWrapper):
    ops_class = DatabaseOperations
