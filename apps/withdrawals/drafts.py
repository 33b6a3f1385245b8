"""The worker half of the bot's withdrawal journey: resolve the account, fix the rate, ask.

Runs in a Celery task because it calls Flutterwave and the FX source: the chat handler never
waits on a provider. It answers the user through the outbox and moves their conversation step.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction

from apps.bot.conversation import enter_step
from apps.bot.outbox import queue_text
from apps.bot.texts import md, money
from apps.common.http.errors import ProviderError
from apps.users.models import BotUser
from apps.withdrawals.amounts import usd_to_ngn
from apps.withdrawals.models import BalanceKind, Draft

logger = logging.getLogger(__name__)
ACCOUNT_STEP = "withdraw:account"
BANK_STEP = "withdraw:bank"
MENU = [[{"text": "↩️ Main menu", "callback_data": "menu:main"}]]


def prepare_draft(*, telegram_id: int, data: dict, key: str) -> Draft | None:
    """Resolve DATA's account and quote the rate; send the confirmation screen (or why not)."""
    from apps.purchases.clients.flutterwave import build_flutterwave_client
    from apps.purchases.pricing import PriceUnavailable
    from apps.purchases.pricing import usd_to_ngn as fx_quote

    try:
        with build_flutterwave_client() as client:
            name = client.resolve_account(
                account_number=data["account_number"], bank_code=data["bank_code"]
            )
        fx = fx_quote()
    except (ProviderError, PriceUnavailable) as error:
        logger.warning("withdrawal draft for %s: provider unavailable: %s", telegram_id, error)
        _say(
            telegram_id,
            key,
            "⚠️ We could not reach the bank right now\\. Please send the "
            "account number again in a minute\\.",
        )
        with transaction.atomic():
            enter_step(telegram_id, ACCOUNT_STEP, data)
        return None
    if not name:
        with transaction.atomic():
            enter_step(telegram_id, ACCOUNT_STEP, data)
            _say(
                telegram_id,
                key,
                f"❌ {md(data['bank_name'])} does not know account "
                f"{md(data['account_number'])}\\. Check the number and send it again\\.",
            )
        return None
    return _save_and_ask(telegram_id, data, name, fx, key)


@transaction.atomic
def _save_and_ask(telegram_id: int, data: dict, name: str, fx, key: str) -> Draft:
    user = BotUser.objects.get(telegram_id=telegram_id)
    draft = Draft.objects.create(
        user=user,
        balance=data["balance"],
        amount=Decimal(data["amount"]),
        bank_code=data["bank_code"],
        bank_name=data["bank_name"],
        account_number=data["account_number"],
        account_name=name,
        fx_rate=fx.rate,
        fx_source=fx.source,
        fx_at=fx.fetched_at,
    )
    queue_text(
        chat_id=telegram_id,
        text=confirmation_text(draft),
        buttons=[
            [{"text": "✅ Confirm withdrawal", "callback_data": f"wd:confirm:{draft.pk}"}],
            [{"text": "❌ Cancel", "callback_data": "menu:main"}],
        ],
        dedupe_key=key,
    )
    return draft


def confirmation_text(draft: Draft) -> str:
    lines = [
        "🏦 *Please confirm your withdrawal*\n",
        f"Account name: *{md(draft.account_name)}*",
        f"Bank: {md(draft.bank_name)}",
        f"Account: {md('******' + draft.account_number[-4:])}",
    ]
    if draft.balance == BalanceKind.AFFILIATE:
        ngn = usd_to_ngn(draft.amount, draft.fx_rate)
        lines += [
            f"Amount: *{money(draft.amount, 'USD')}* \\= *{money(ngn, 'NGN')}*",
            f"Rate: {md(f'{draft.fx_rate:,.2f}')} NGN per USD "
            f"\\({md(draft.fx_at.strftime('%Y-%m-%d %H:%M UTC'))}\\)",
        ]
    else:
        lines.append(f"Amount: *{money(draft.amount, 'NGN')}*")
    lines.append("\nThe amount is held from your balance until finance reviews the request\\.")
    return "\n".join(lines)


def _say(telegram_id: int, key: str, text: str) -> None:
    queue_text(chat_id=telegram_id, text=text, buttons=MENU, dedupe_key=key)


def offer_banks(*, telegram_id: int, data: dict, query: str, key: str) -> int:
    """The banks matching QUERY as buttons (their codes kept in the step); how many matched."""
    from apps.purchases.clients.flutterwave import search_banks

    try:
        banks = search_banks(query)
    except ProviderError as error:
        logger.warning("bank list unavailable: %s", error)
        _say(
            telegram_id, key, "⚠️ The bank list is unavailable right now\\. Please try again soon\\."
        )
        return 0
    with transaction.atomic():
        if not banks:
            _say(
                telegram_id,
                key,
                "No bank matches that name\\. Try another spelling, like *Zenith*\\.",
            )
            return 0
        enter_step(
            telegram_id, BANK_STEP, {**data, "banks": {bank.code: bank.name for bank in banks}}
        )
        buttons = [[{"text": bank.name, "callback_data": f"wd:bank:{bank.code}"}] for bank in banks]
        queue_text(
            chat_id=telegram_id, text="Choose your bank:", buttons=[*buttons, *MENU], dedupe_key=key
        )
    return len(banks)
