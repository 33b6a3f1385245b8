"""The ViralCore admin site: branded, and its login rate-limited per IP and per username."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django_ratelimit.core import get_usage

LOGIN_LIMIT_GROUP_IP = "admin-login-ip"
LOGIN_LIMIT_GROUP_USERNAME = "admin-login-username"


def _username_key(group, request) -> str:
    # Case and spaces must not buy an attacker fresh attempts at the same account.
    return request.POST.get("username", "").strip().lower()


def _login_limits(request, *, increment: bool) -> list[bool]:
    """One flag per limit: True once its failed attempts reached the allowed count.

    Both limits are evaluated every time, so both counters move on each failed attempt. When
    the cache cannot count, django-ratelimit reports a zero limit and the login stays closed:
    an unlimited admin login is worse than a short outage of it.
    """
    usages = [
        get_usage(
            request,
            group=LOGIN_LIMIT_GROUP_IP,
            key="ip",
            rate=settings.ADMIN_LOGIN_RATE_PER_IP,
            method="POST",
            increment=increment,
        ),
        get_usage(
            request,
            group=LOGIN_LIMIT_GROUP_USERNAME,
            key=_username_key,
            rate=settings.ADMIN_LOGIN_RATE_PER_USERNAME,
            method="POST",
            increment=increment,
        ),
    ]
    return [usage["count"] >= usage["limit"] for usage in usages]


class ViralCoreAdminSite(admin.AdminSite):
    site_header = "ViralCore back-office"
    site_title = "ViralCore"
    index_title = "Operations"
    # No public site behind the admin: hide the "View site" link.
    site_url = None

    def login(self, request, extra_context=None):
        if request.method == "POST" and any(_login_limits(request, increment=False)):
            return TemplateResponse(
                request,
                "admin/login_rate_limited.html",
                {**self.each_context(request), "title": "Too many login attempts"},
                status=429,
            )
        response = super().login(request, extra_context)
        if request.method == "POST" and not request.user.is_authenticated:
            # Only failed attempts count: staff who log in correctly are never locked out.
            _login_limits(request, increment=True)
        return response
