"""The audit event as the staff API shows it: every stored field, read-only."""

from rest_framework import serializers

from apps.audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = (
            "sequence",
            "occurred_at",
            "actor_type",
            "actor_id",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "before",
            "after",
            "reason",
            "correlation_id",
            "client_ip",
            "prev_hash",
            "hash",
        )
        read_only_fields = fields
