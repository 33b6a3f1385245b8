# Load the Celery app with Django so @shared_task binds to it and tasks can be sent from web.
from viralcore.celery import app as celery_app

__all__ = ("celery_app",)
