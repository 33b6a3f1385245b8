from django.apps import AppConfig


class WithdrawalsConfig(AppConfig):
    name = "apps.withdrawals"
    label = "withdrawals"
    verbose_name = "Withdrawals and payouts"

    def ready(self):
        from apps.withdrawals import bot

        bot.register()
        from apps.purchases.webhooks import EVENT_HANDLERS
        from apps.withdrawals.webhooks import transfer_completed

        EVENT_HANDLERS["transfer.completed"] = transfer_completed
        EVENT_HANDLERS["Transfer"] = transfer_completed  # the legacy v2 "event.type"
