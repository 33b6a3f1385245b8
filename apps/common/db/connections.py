"""Giving the database connection back while a task waits on something slow."""

from django.db import connection


def release_connection() -> None:
    """Return this thread's connection to the pool before a slow provider call.

    A worker thread waiting 200 ms-15 s on a chain or Flutterwave would otherwise keep a
    connection checked out, so connections would grow with worker threads, not with work.
    Inside a transaction (or a test's) the connection is kept: closing it would end it.
    """
    if not connection.in_atomic_block:
        connection.close()
