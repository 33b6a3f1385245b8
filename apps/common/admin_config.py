from django.contrib.admin.apps import AdminConfig


class ViralCoreAdminConfig(AdminConfig):
    """The Django admin, with our branded, rate-limited site as the default site."""

    default_site = "apps.common.admin_site.ViralCoreAdminSite"
