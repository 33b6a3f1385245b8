"""The purchases admin: catalogue, payments, purchases and manual-fulfilment tasks.

Everything here reads, or calls a service: no page or action writes a model directly.
"""

from apps.purchases.admin import catalogue, fulfilment, payments, purchases

__all__ = ["catalogue", "fulfilment", "payments", "purchases"]
