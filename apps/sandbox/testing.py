"""One import for tests that drive the bot against the fake Telegram Bot API.

from apps.sandbox.testing import inject_failure, reset_sandbox, sent_to

inject_failure("sendMessage", "http_429", retry_after=3)
...
assert sent_to(user.telegram_id)[-1].text == "Welcome"
"""

from apps.sandbox.failures import inject_failure
from apps.sandbox.selectors import api_calls, sent_to
from apps.sandbox.services import create_persona, reset_sandbox, set_chat_member

__all__ = [
    "api_calls",
    "create_persona",
    "inject_failure",
    "reset_sandbox",
    "sent_to",
    "set_chat_member",
]
