"""What the purchase flows tell bot users, queued through the bot's outbox.

Every value goes through md() (MarkdownV2 escaping lives in apps/bot/texts.py). Each message
has a dedupe key named after the invoice or claim, so a retried task never speaks twice.
"""

from __future__ import annotations

from decimal import Decimal

from apps.bot.conversation import enter_step
from apps.bot.outbox import queue_text
from apps.bot.texts import md, money
from apps.purchases.assets import ASSETS, Network
from apps.purchases.models import FollowUp

MENU = [[{"text": "↩️ Main menu", "callback_data": "menu:main"}]]
FOLLOW_UP_PROMPTS = {
    FollowUp.X_ACCOUNT: "Send the X username these posts are for, like @yourname.",
    FollowUp.TG_ACCOUNT: "Send the Telegram username or channel these posts are for, like @name.",
    FollowUp.POLL: "Send the poll link and the option number, like https://x.com/you/status/1, 2",
    FollowUp.PROFILE_LINK: "Send the X profile to grow, like https://x.com/yourname",
    FollowUp.CHANNEL: "Send the Telegram channel, like @yourchannel or https://t.me/yourchannel",
}
HASH_STEP = "purchase:hash"
FOLLOW_UP_STEP = "purchase:follow_up"


def _send(chat_id: int, text: str, key: str, buttons=None) -> None:
    queue_text(chat_id=chat_id, text=text, buttons=buttons or MENU, dedupe_key=key)


def plain(amount: Decimal) -> str:
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def order_line(invoice) -> str:
    snapshot = invoice.plan_snapshot
    line = f"{snapshot['name']}: {invoice.quantity:,} {snapshot['unit']}s"
    if invoice.comments_per_post:
        line = (
            f"{snapshot['name']}: {invoice.quantity:,} posts x {invoice.comments_per_post} comments"
        )
    return md(line)


def invoice_opened(invoice) -> None:
    if invoice.is_bank_transfer:
        _bank_invoice(invoice)
        return
    paid = ASSETS[invoice.method]
    expires = invoice.expires_at.strftime("%H:%M UTC")
    text = (
        f"🧾 *Invoice {md(invoice.number)}*\n\n"
        f"{order_line(invoice)}\n"
        f"Total: *{money(invoice.amount_usd, 'USD')}*\n\n"
        f"Send exactly *{md(plain(invoice.amount_due))} {md(paid.symbol)}* "
        f"on *{md(Network(invoice.network).label)}* to:\n"
        f"`{md(invoice.deposit_address)}`\n\n"
        f"⏰ Pay before {md(expires)}\\. Then send me the *transaction hash* here\\."
    )
    buttons = [[{"text": "❌ Cancel invoice", "callback_data": f"pay:cancel:{invoice.number}"}]]
    _send(invoice.chat_id, text, f"invoice:{invoice.number}:opened", buttons + MENU)
    enter_step(invoice.user.telegram_id, HASH_STEP, {"invoice": invoice.number})


def _bank_invoice(invoice) -> None:
    account = invoice.bank_account
    text = (
        f"🏦 *Invoice {md(invoice.number)}*\n\n"
        f"{order_line(invoice)}\n"
        f"Total: *{money(invoice.amount_usd, 'USD')}* \\= *{money(invoice.amount_due, 'NGN')}* "
        f"\\(rate {md(plain(invoice.fx_rate + invoice.fx_buffer))} NGN per USD\\)\n\n"
        f"Transfer exactly *{money(invoice.amount_due, 'NGN')}* to:\n"
        f"Bank: *{md(account.get('bank_name', ''))}*\n"
        f"Account number: `{md(account.get('account_number', ''))}`\n\n"
        "We confirm the transfer automatically and message you here\\."
    )
    buttons = [[{"text": "❌ Cancel invoice", "callback_data": f"pay:cancel:{invoice.number}"}]]
    _send(invoice.chat_id, text, f"invoice:{invoice.number}:opened", buttons + MENU)


def invoice_not_quoted(invoice, reason: str) -> None:
    _send(
        invoice.chat_id,
        f"⚠️ {md(reason)}\n\nNothing was charged\\. Please try again from the menu\\.",
        f"invoice:{invoice.number}:not-quoted",
    )


def invoice_expired(invoice) -> None:
    _send(
        invoice.chat_id,
        f"⏰ Invoice {md(invoice.number)} expired\\. If you still want this order, "
        "start again from 🆕 Services\\.",
        f"invoice:{invoice.number}:expired",
        [[{"text": "🆕 Services", "callback_data": "menu:services"}], *MENU],
    )


def verifying(chat_id: int, claim, key: str) -> None:
    _send(
        chat_id,
        f"🔎 Verifying your payment for invoice {md(claim.invoice.number)}\\. "
        "This usually takes a minute; I will message you with the result\\.",
        key,
    )


def payment_refused(claim, message: str, *, invoice_reopened: bool) -> None:
    invoice = claim.invoice
    tail = (
        "You can send another transaction hash for this invoice\\."
        if invoice_reopened
        else "Please start a new order from the menu or contact @ViralCore\\_Support\\."
    )
    _send(
        invoice.chat_id,
        f"❌ Payment verification failed for invoice {md(invoice.number)}: {md(message)}\n\n{tail}",
        f"claim:{claim.pk}:refused:{claim.attempts}",
    )
    if invoice_reopened:
        enter_step(invoice.user.telegram_id, HASH_STEP, {"invoice": invoice.number})


def payment_confirmed(invoice, purchase) -> None:
    text = (
        f"✅ Payment confirmed\\! Your order {md(invoice.number)} has been processed for "
        f"*{money(invoice.amount_usd, 'USD')}*\\."
    )
    follow_up = invoice.plan_snapshot.get("follow_up")
    if follow_up:
        text += f"\n\n{md(FOLLOW_UP_PROMPTS[follow_up])}"
        enter_step(invoice.user.telegram_id, FOLLOW_UP_STEP, {"purchase": purchase.pk})
    _send(invoice.chat_id, text, f"invoice:{invoice.number}:paid")


def commission_earned(invoice, commission: Decimal) -> None:
    referrer = invoice.user.referrer
    buyer = f"@{invoice.user.username}" if invoice.user.username else "one of your referrals"
    _send(
        referrer.telegram_id,
        f"💰 Great news\\! {md(buyer)} made a payment of {money(invoice.amount_usd, 'USD')}\\. "
        f"You earned *{money(commission, 'USD')}* commission\\.",
        f"invoice:{invoice.number}:commission",
    )
