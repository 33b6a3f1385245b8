"""Everything the bot says, escaped for MarkdownV2 in one place.

Templates are written in MarkdownV2 (``*bold*``); every value put into them goes through
``md()``, which escapes Telegram's reserved characters. The old bot built strings by hand and
broke messages for months; no other module formats bot text.
"""

from __future__ import annotations

from decimal import Decimal

from telegram.helpers import escape_markdown

from apps.common.money import format_amount


def md(value) -> str:
    """VALUE as literal text inside a MarkdownV2 message."""
    return escape_markdown(str(value), version=2)


def money(amount: Decimal, currency: str) -> str:
    return md(format_amount(amount, currency=currency))


WELCOME = (
    "👋 *Welcome to Viral Core* \\- your gateway to organic marketing that matters\\!\n\n"
    "• Boost your X and Telegram posts with real engagement\n"
    "• Pay with crypto on BSC, Tron, Solana or Aptos\n"
    "• Earn 10% on every payment your referrals make\n"
    "• Withdraw earnings to your Nigerian bank account"
)
MAIN_MENU = "What would you like to do?"
SUPPORT = "🛠️ *Support*\n\nWrite to @ViralCore\\_Support or open https://t\\.me/ViralCore\\_Support"
HELP = (
    "❔ *Help*\n\n/start \\- open the main menu\n/help \\- this message\n\n"
    "Use the buttons below each message to move around\\."
)
AFFILIATE = (
    "🤝 *Affiliate program*\n\n"
    "Your referral link:\n{link}\n\n"
    "You have referred *{referrals}* users\\.\n"
    "Commission earned: *{earned}*\n"
    "Affiliate balance: *{balance}*\n\n"
    "You earn *10%* of every successful payment made by your referrals\\."
)
BALANCE = (
    "💰 *My balance*\n\n"
    "Posts left: {credits}\n"
    "💸 Affiliate balance: *{affiliate}*\n"
    "🧾 Reply earnings: *{earnings}*"
)
NO_CREDITS = "none yet"
NOT_UNDERSTOOD = "❓ I didn't understand that\\. Use the menu buttons to navigate\\."
PRIVATE_CHAT_ONLY = "Please use these commands in a private chat with the bot\\."
SLOW_DOWN = "⏳ You are sending messages too quickly\\. Please wait a minute and try again\\."
SUSPENDED = (
    "🚫 Your account is suspended\\. Contact @ViralCore\\_Support if you think this is a mistake\\."
)
