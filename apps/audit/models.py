"""The audit log: append-only, hash-chained events answering "who did what, when, and why"."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from apps.audit.actors import ACTOR_TYPES
from apps.audit.chain import GENESIS_HASH
from apps.common.db.models import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    sequence = models.BigIntegerField(unique=True, help_text="Position in the hash chain.")
    occurred_at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=16, choices=ACTOR_TYPES)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=100, help_text="Dotted name, e.g. withdrawal.approved.")
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(blank=True)
    correlation_id = models.CharField(max_length=128, blank=True, db_index=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["action", "-sequence"], name="audit_action_seq"),
            models.Index(fields=["actor_type", "actor_id", "-sequence"], name="audit_actor_seq"),
            models.Index(fields=["object_type", "object_id", "-sequence"], name="audit_object_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"


class AuditSearchTerm(models.Model):
    """Exact-match search keys of an event (ids, usernames, references, tx hashes), indexed.

    A LIKE over JSON text cannot use an index; one row per key can, on a million events.
    """

    event = models.ForeignKey(AuditEvent, on_delete=models.CASCADE, related_name="search_terms")
    term = models.CharField(max_length=128)

    class Meta:
        indexes = [models.Index(fields=["term", "event"], name="audit_term_event")]

    def __str__(self) -> str:
        return self.term


class AuditChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serialises the chain's writers."""

    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # The hash before the last append, so one UPDATE ... RETURNING can hand the new event both.
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"chain head at #{self.sequence}"
