"""The boosts admin: SMM providers and boost orders.

Every page reads, or calls services/staff.py (which checks the permission and the state again
and writes the audit event); nothing here writes a model.
"""

from apps.boosts.admin import orders, providers

__all__ = ["orders", "providers"]
