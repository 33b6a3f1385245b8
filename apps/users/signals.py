"""Signals other apps listen to, so users never has to import them."""

from django.dispatch import Signal

# Sent after commit when a service changed a bot user with a queryset update (no post_save),
# e.g. a ban: caches holding the user must drop it. Argument: bot_user.
bot_user_changed = Signal()
