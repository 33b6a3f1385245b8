"""The sandbox's second lock: its views answer 404 whenever SANDBOX is off.

The first lock is viralcore/urls.py, which routes /sandbox/ only while SANDBOX is on.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import Http404


def sandbox_only(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.SANDBOX:
            raise Http404("The sandbox is off.")
        return view(request, *args, **kwargs)

    return wrapper
