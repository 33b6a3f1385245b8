"""The permission each purchases action needs (granted to roles in apps/users/roles.py).

Editing plans is the existing "change providers, plans and prices" capability. The other
actions use the purchases models' own permissions: the admin lets nobody add or change those
rows directly, so each permission means exactly the action named here.
"""

from apps.purchases.services.catalogue import EDIT_PLAN_PERMISSION
from apps.purchases.services.permissions import (  # noqa: F401 - re-exported for the admin
    ADJUST_CREDITS,
    CANCEL_INVOICE,
    COMPLETE_TASK,
    CREATE_CUSTOM_PLAN,
    CREDIT_PURCHASE,
    REVERIFY_CLAIM,
)

EDIT_PLANS = EDIT_PLAN_PERMISSION
