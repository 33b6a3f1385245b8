"""One place that knows how to ask the Celery broker whether it is there."""

from django.conf import settings
from kombu import Connection


def connect_to_broker(*, timeout: float) -> None:
    """Open and close one connection to the configured broker; raises if it does not answer."""
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        connect_timeout=timeout,
    ) as connection:
        # One quick retry: a probe must answer within its timeout, not back off for seconds.
        connection.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.2, timeout=timeout
        )
