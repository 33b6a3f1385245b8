"""What staff do to boosts by hand: retry, cancel, refill, resolve, and provider settings.

Every action checks the actor's permission again (the admin hides what a role may not do; a
script or a later API must not skip the rule), needs a reason, changes rows with
compare-and-swap updates and writes its audit event in the same transaction. Calls to the SMM
panels (cancel, refill, balance) go out with no transaction open: a slow panel never holds a
row lock, and the fake panels of the test server answer from the same database.

After a staff action the rows are left as the dispatcher expects them (a phase PENDING with
``next_attempt_at = now``): it picks them up on its next run and works out what is missing.
"""

from apps.boosts.services.staff.balances import (
    check_balances,
    is_low,
    refresh_balance,
)
from apps.boosts.services.staff.common import (
    ACT_ON_ORDERS,
    ADD_PROVIDERS,
    CLOSED_ORDER_STATUSES,
    EDIT_PROVIDERS,
    ERROR_LENGTH,
    LOW_BALANCE_ALERT_EVERY,
    OPEN_ORDER_STATUSES,
    PROVIDER_FIELDS,
    PROVIDER_SETTINGS,
    REFILLABLE_STATUSES,
    BoostActionRefused,
    order_ref,
)
from apps.boosts.services.staff.orders import (
    CancelOutcome,
    cancel_order,
    cancel_refusal,
    refill_order,
    refillable,
)
from apps.boosts.services.staff.phases import (
    Resolution,
    order_retry_refusal,
    resolve_unknown,
    retry_phase,
    retry_refusal,
)
from apps.boosts.services.staff.providers import (
    change_service_ids,
    create_provider,
    parse_service_id,
    update_provider,
)

__all__ = [
    "ACT_ON_ORDERS",
    "ADD_PROVIDERS",
    "CLOSED_ORDER_STATUSES",
    "EDIT_PROVIDERS",
    "ERROR_LENGTH",
    "LOW_BALANCE_ALERT_EVERY",
    "OPEN_ORDER_STATUSES",
    "PROVIDER_FIELDS",
    "PROVIDER_SETTINGS",
    "REFILLABLE_STATUSES",
    "BoostActionRefused",
    "CancelOutcome",
    "Resolution",
    "cancel_order",
    "cancel_refusal",
    "change_service_ids",
    "check_balances",
    "create_provider",
    "is_low",
    "order_ref",
    "order_retry_refusal",
    "parse_service_id",
    "refill_order",
    "refillable",
    "refresh_balance",
    "resolve_unknown",
    "retry_phase",
    "retry_refusal",
    "update_provider",
]
