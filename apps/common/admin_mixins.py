"""Admin building blocks several apps share."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """History that is never edited by hand: corrections are audited service calls (actions)."""

    # Counting millions of rows on every page is slow and tells staff nothing.
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
