"""Backups of the default database: `manage.py backup`, `manage.py restore`, the daily job.

PostgreSQL is dumped with pg_dump's custom format, SQLite with its online backup API; each file
gets a sha256sum sidecar that restore checks first and that marks the backup as complete.
"""
