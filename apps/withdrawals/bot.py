"""The withdrawal journey in the bot: balance → amount → bank → account → confirm.

Typed input is checked here (amount format and limits a user can fix at once); the account
name is resolved and the rate fixed by a worker (apps/withdrawals/drafts.py), which sends the
confirmation screen. Confirming creates the request and holds the money (the service decides).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.bot import journeys
from apps.bot.conversation import clear_step, enter_step
from apps.bot.texts import NOT_UNDERSTOOD, md, money
from apps.common.typed import whole_number
from apps.withdrawals.amounts import parse_amount
from apps.withdrawals.drafts import ACCOUNT_STEP, BANK_STEP
from apps.withdrawals.errors import WithdrawalRefused
from apps.withdrawals.models import OPEN_STATUSES, BalanceKind, Draft, Status, Withdrawal
from apps.withdrawals.services.requests import (
    BankAccount,
    Rate,
    available,
    cancel_withdrawal,
    request_withdrawal,
)

AMOUNT_STEP = "withdraw:amount"
DRAFT_LIFETIME = timedelta(minutes=10)
MENU = [[{"text": "↩️ Main menu", "callback_data": "menu:main"}]]
CURRENCY = {BalanceKind.AFFILIATE: "USD", BalanceKind.EARNINGS: "NGN"}


def withdraw_menu(user, replies, *, bot_username: str) -> None:
    current = Withdrawal.objects.filter(user=user, status__in=OPEN_STATUSES).first()
    if current is not None:
        _show_current(current, replies)
        return
    rows = [
        [{"text": f"Withdraw {label}", "callback_data": f"wd:bal:{kind}"}]
        for kind, label in (
            (BalanceKind.AFFILIATE, "affiliate balance (USD)"),
            (BalanceKind.EARNINGS, "reply earnings (NGN)"),
        )
        if available(user, kind) > 0
    ]
    if not rows:
        replies.text("💵 *Withdraw*\n\nYou have nothing to withdraw yet\\.", MENU)
        return
    replies.text("💵 *Withdraw*\n\nWhich balance do you want to withdraw?", [*rows, *MENU])


def _show_current(withdrawal: Withdrawal, replies) -> None:
    buttons = list(MENU)
    if withdrawal.status == Status.REQUESTED:
        buttons.insert(0, [{"text": "❌ Cancel it", "callback_data": f"wd:cancel:{withdrawal.pk}"}])
    replies.text(
        f"💵 Your withdrawal W\\-{withdrawal.pk} of "
        f"{money(withdrawal.amount, withdrawal.currency)} is: "
        f"*{md(withdrawal.get_status_display())}*\\.\n"
        "You can request another once it is done\\.",
        buttons,
    )


def route(user, replies, args: list[str], *, bot_username: str) -> None:
    action, value = args[0], args[1] if len(args) > 1 else ""
    if action == "bal" and value in BalanceKind.values:
        _ask_amount(user, replies, value)
    elif action == "bank" and value:
        _choose_bank(user, replies, value)
    elif action == "confirm" and (draft_id := whole_number(value, max_digits=18)) is not None:
        _confirm(user, replies, draft_id)
    elif action == "cancel" and (withdrawal_id := whole_number(value, max_digits=18)) is not None:
        _cancel(user, replies, withdrawal_id)
    else:
        replies.text(NOT_UNDERSTOOD)
        replies.menu()


def _ask_amount(user, replies, balance: str) -> None:
    have = available(user, balance)
    currency = CURRENCY[balance]
    minimum = settings.WITHDRAWAL_MIN_USD if currency == "USD" else settings.WITHDRAWAL_MIN_NGN
    enter_step(user.telegram_id, AMOUNT_STEP, {"balance": balance})
    replies.text(
        f"How much do you want to withdraw? Available: *{money(have, currency)}*\\.\n"
        f"Minimum {money(minimum, currency)}, at most {money(settings.WITHDRAWAL_MAX_USD, 'USD')} "
        "\\(or its naira equivalent\\) per withdrawal\\.",
        MENU,
    )


def _amount_typed(user, replies, text: str, step) -> None:
    balance = step.data.get("balance")
    try:
        amount = parse_amount(text, currency=CURRENCY[balance])
        _check_amount(user, balance, amount)
    except WithdrawalRefused as refusal:
        replies.text(f"⚠️ {md(refusal)}", MENU)
        return
    enter_step(user.telegram_id, BANK_STEP, {"balance": balance, "amount": str(amount)})
    replies.text("🏦 Which bank? Send its name, like *Access* or *GTBank*\\.", MENU)


def _check_amount(user, balance: str, amount) -> None:
    currency = CURRENCY[balance]
    minimum = settings.WITHDRAWAL_MIN_USD if currency == "USD" else settings.WITHDRAWAL_MIN_NGN
    if amount < minimum:
        raise WithdrawalRefused(f"The minimum withdrawal is {currency} {minimum:,.2f}.")
    if currency == "USD" and amount > settings.WITHDRAWAL_MAX_USD:
        raise WithdrawalRefused(
            f"The maximum per withdrawal is USD {settings.WITHDRAWAL_MAX_USD:,.2f}."
        )
    have = available(user, balance)
    if amount > have:
        raise WithdrawalRefused(f"You only have {currency} {have:,.2f} available.")


def _bank_typed(user, replies, text: str, step) -> None:
    query = (text or "").strip()[:64]
    if len(query) < 2:
        replies.text("Send at least two letters of your bank's name, like *Access*\\.", MENU)
        return
    data, key = dict(step.data), replies.next_key()
    from apps.withdrawals.tasks import offer_banks

    # The bank list comes from Flutterwave (cached a day): a worker looks it up, not the chat.
    transaction.on_commit(lambda: offer_banks.delay(user.telegram_id, data, query, key))


def _choose_bank(user, replies, code: str) -> None:
    step = replies.previous_step
    banks = step.data.get("banks", {}) if step.name == BANK_STEP else {}
    if code not in banks:
        replies.text(NOT_UNDERSTOOD)
        replies.menu()
        return
    data = {key: step.data[key] for key in ("balance", "amount")}
    enter_step(
        user.telegram_id, ACCOUNT_STEP, {**data, "bank_code": code, "bank_name": banks[code]}
    )
    replies.text(f"Send your 10\\-digit {md(banks[code])} account number\\.", MENU)


def _account_typed(user, replies, text: str, step) -> None:
    number = (text or "").strip().replace(" ", "")
    if len(number) != 10 or whole_number(number, max_digits=10) is None:
        replies.text("⚠️ A Nigerian account number has exactly 10 digits\\. Send it again\\.", MENU)
        return
    clear_step(user.telegram_id)
    data = {**step.data, "account_number": number}
    key = replies.next_key()
    from apps.withdrawals.tasks import prepare_draft

    transaction.on_commit(lambda: prepare_draft.delay(user.telegram_id, data, key))
    replies.text("🔎 Checking the account with your bank…", MENU)


def _confirm(user, replies, draft_id: int) -> None:
    draft = Draft.objects.filter(pk=draft_id, user=user, used_at=None).first()
    if draft is None or timezone.now() - draft.created_at > DRAFT_LIFETIME:
        replies.text(
            "⏰ This confirmation has expired\\. Please start again from 💵 Withdraw\\.", MENU
        )
        return
    try:
        request_withdrawal(
            user=user,
            balance=draft.balance,
            amount=draft.amount,
            bank=BankAccount(
                draft.bank_code, draft.bank_name, draft.account_number, draft.account_name
            ),
            rate=Rate(draft.fx_rate, draft.fx_source, draft.fx_at),
        )
    except WithdrawalRefused as refusal:
        replies.text(f"⚠️ {md(refusal)}", MENU)
        return
    Draft.objects.filter(pk=draft.pk).update(used_at=timezone.now())


def _cancel(user, replies, withdrawal_id: int) -> None:
    withdrawal = Withdrawal.objects.filter(pk=withdrawal_id, user=user).first()
    if withdrawal is None:
        replies.text(NOT_UNDERSTOOD)
        replies.menu()
        return
    try:
        cancel_withdrawal(withdrawal=withdrawal, actor=user)
    except WithdrawalRefused as refusal:
        replies.text(f"⚠️ {md(refusal)}", MENU)


def register() -> None:
    journeys.SCREENS["menu:withdraw"] = withdraw_menu
    journeys.CALLBACK_ROUTES["wd"] = route
    journeys.STEP_HANDLERS[AMOUNT_STEP] = _amount_typed
    journeys.STEP_HANDLERS[BANK_STEP] = _bank_typed
    journeys.STEP_HANDLERS[ACCOUNT_STEP] = _account_typed
