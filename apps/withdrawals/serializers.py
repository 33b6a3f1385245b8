"""Withdrawals as the staff API shows them, and the bodies of its decisions.

The bank account appears only masked (last 4 digits): the full number is never serialized.
"""

from __future__ import annotations

from rest_framework import serializers

from apps.withdrawals.models import PayoutMode, Withdrawal


class WithdrawalSerializer(serializers.ModelSerializer):
    user_telegram_id = serializers.IntegerField(source="user.telegram_id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    masked_account = serializers.CharField(
        read_only=True, help_text="The account number's last 4 digits, the rest masked."
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    approvals = serializers.IntegerField(
        source="approval_count", read_only=True, help_text="Approvals given so far."
    )

    class Meta:
        model = Withdrawal
        fields = (
            "id",
            "user_telegram_id",
            "username",
            "balance",
            "amount",
            "currency",
            "amount_ngn",
            "amount_usd",
            "bank_name",
            "masked_account",
            "status",
            "status_label",
            "needs_second_approval",
            "approvals",
            "payout_mode",
            "requested_at",
            "approved_at",
            "closed_at",
            "reason",
        )
        read_only_fields = fields


class ApproveSerializer(serializers.Serializer):
    payout_mode = serializers.ChoiceField(
        choices=PayoutMode.choices,
        help_text="automatic: paid through Flutterwave; manual: finance pays and records it.",
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=255, help_text="Why the request is refused; the user reads it."
    )


class RefusalSerializer(serializers.Serializer):
    """Why a decision was refused; DETAIL is the service's message, fit to show."""

    error = serializers.ChoiceField(choices=["not_waiting", "refused"])
    detail = serializers.CharField()


class FilterErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    parameter = serializers.CharField()
    detail = serializers.CharField()
