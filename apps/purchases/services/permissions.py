"""Which staff permission each purchases action needs, checked by the services themselves.

The admin hides what a role may not do; the services refuse it anyway, so a script or a later
API cannot skip the rule. Roles get these permissions in apps/users/roles.py.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied

CANCEL_INVOICE = "purchases.change_invoice"
REVERIFY_CLAIM = "purchases.change_paymentclaim"
CREDIT_PURCHASE = "purchases.add_purchase"
ADJUST_CREDITS = "purchases.add_creditchange"
CREATE_CUSTOM_PLAN = "purchases.add_customplan"
COMPLETE_TASK = "purchases.change_fulfilmenttask"


def require_staff_permission(actor, permission: str, *, doing: str) -> None:
    """PermissionDenied unless ACTOR is an active staff member holding PERMISSION."""
    if not isinstance(actor, AbstractBaseUser):
        raise PermissionDenied(f"Only staff members may {doing}.")
    if not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise PermissionDenied(
            f"{actor.get_username()} may not {doing}: that needs the {permission} permission."
        )
