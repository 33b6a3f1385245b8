from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "apps.common"
    label = "common"
    verbose_name = "Common"

    def ready(self):
        # Connect the Celery signal handlers that carry correlation ids across processes.
        from django.core.signals import request_finished

        from apps.common import celery_correlation  # noqa: F401
        from apps.common.correlation import clear_correlation_id
        from apps.common.request_context import clear_request_context

        # The id of a finished request must not label what its thread logs next.
        request_finished.connect(clear_correlation_id, dispatch_uid="clear_correlation_id")
        request_finished.connect(clear_request_context, dispatch_uid="clear_request_context")
