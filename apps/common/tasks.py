"""Periodic housekeeping that belongs to no domain."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_CACHE_KEY = "worker:last-heartbeat"


@shared_task
def heartbeat() -> str:
    """Beat sends this every minute; the worker log and the cache show background work runs."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    logger.info("worker heartbeat at %s", now)
    return now
