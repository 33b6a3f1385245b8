from django.apps import AppConfig


class BoostsConfig(AppConfig):
    name = "apps.boosts"
    label = "boosts"
    verbose_name = "Boosts and SMM providers"

    def ready(self):
        from apps.boosts import bot

        bot.register()
