from django.apps import AppConfig


class PurchasesConfig(AppConfig):
    name = "apps.purchases"
    label = "purchases"
    verbose_name = "Purchases and payments"

    def ready(self):
        from apps.purchases import bot

        bot.register()
