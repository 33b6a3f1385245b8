from apps.purchases.models.catalogue import (
    BOOST_PRODUCTS,
    FollowUp,
    Plan,
    PlanRevision,
    Platform,
    Product,
)
from apps.purchases.models.invoices import (
    BANK_TRANSFER,
    FLUTTERWAVE,
    ClaimStatus,
    Invoice,
    InvoiceStatus,
    PaymentClaim,
)
from apps.purchases.models.purchases import (
    CreditChange,
    CustomPlan,
    FulfilmentTask,
    Purchase,
    PurchaseSource,
    TaskStatus,
)

__all__ = [
    "BANK_TRANSFER",
    "BOOST_PRODUCTS",
    "FLUTTERWAVE",
    "ClaimStatus",
    "CreditChange",
    "CustomPlan",
    "FollowUp",
    "FulfilmentTask",
    "Invoice",
    "InvoiceStatus",
    "PaymentClaim",
    "Plan",
    "PlanRevision",
    "Platform",
    "Product",
    "Purchase",
    "PurchaseSource",
    "TaskStatus",
]
