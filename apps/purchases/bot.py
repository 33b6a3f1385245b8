"""The purchase journey in the bot: Services → platform → product → quantity → payment method.

Registered into apps/bot/journeys.py when the app is ready. Callback data is untrusted: every
argument is looked up again (plan codes, quantities, invoice numbers and their owner) and
anything unexpected gets the "didn't understand" reply.
"""

from __future__ import annotations

from apps.bot import journeys
from apps.bot.conversation import clear_step, enter_step
from apps.bot.texts import NOT_UNDERSTOOD, md, money
from apps.common.typed import whole_number
from apps.purchases import messages
from apps.purchases.assets import ASSETS
from apps.purchases.followup import InvalidFollowUp
from apps.purchases.models import BANK_TRANSFER, Invoice, Plan, Platform, Product, Purchase
from apps.purchases.orders import InvalidOrder, Order, parse_quantity, price_order, unit_label
from apps.purchases.services.claims import submit_hash
from apps.purchases.services.fulfilment import record_follow_up
from apps.purchases.services.invoices import InvoiceRefused, cancel_invoice, request_invoice

QUANTITY_STEP = "purchase:quantity"
MENU = messages.MENU
SERVICES_BUTTON = [{"text": "🆕 Services", "callback_data": "menu:services"}]
METHOD_ORDER = ("usdt_bep20", "usdt_trc20", "usdt_sol", "usdt_aptos", "bnb", "sol", "trx", "apt")


def services(user, replies, *, bot_username: str) -> None:
    replies.text(
        "🆕 *Service menu*\n\nWhich platform do you want to grow?",
        [
            [{"text": "🐦 X (Twitter)", "callback_data": "buy:x"}],
            [{"text": "✈️ Telegram", "callback_data": "buy:tg"}],
            *MENU,
        ],
    )


def route(user, replies, args: list[str], *, bot_username: str) -> None:
    handler = _ROUTES.get(args[0])
    if handler is None:
        _not_understood(replies)
        return
    handler(user, replies, args[1:])


def _platform(platform: str):
    def screen(user, replies, args) -> None:
        plans = Plan.objects.filter(platform=platform, is_active=True)
        rows, tiers_listed = [], False
        for plan in plans:
            if plan.product == Product.X_ENGAGEMENT:
                if not tiers_listed:
                    rows.append(
                        [
                            {
                                "text": "🚀 Engagement (likes, reposts, views)",
                                "callback_data": "buy:tiers",
                            }
                        ]
                    )
                    tiers_listed = True
                continue
            rows.append([{"text": plan.name, "callback_data": f"buy:plan:{plan.code}"}])
        title = "🐦 *X services*" if platform == Platform.X else "✈️ *Telegram services*"
        replies.text(f"{title}\n\nChoose a product:", [*rows, [SERVICES_BUTTON[0]], *MENU])

    return screen


def _tiers(user, replies, args) -> None:
    tiers = Plan.objects.filter(product=Product.X_ENGAGEMENT, is_active=True)
    lines = [
        f"*{md(plan.code.upper())}* \\- {money(plan.unit_price_usd, 'USD')} per post: "
        f"{md(plan.description)}"
        for plan in tiers
    ]
    buttons = [[{"text": plan.name, "callback_data": f"buy:plan:{plan.code}"}] for plan in tiers]
    replies.text("🚀 *X engagement tiers*\n\n" + "\n".join(lines), [*buttons, *MENU])


def _plan(user, replies, args) -> None:
    plan = _active_plan(args)
    if plan is None:
        _not_understood(replies)
    elif plan.product == Product.TG_ENGAGEMENT:
        _comments_per_post(plan, replies)
    else:
        _quantities(plan, replies, comments_per_post=0)


def _comments_per_post(plan: Plan, replies) -> None:
    buttons = [
        [{"text": f"{count} comments per post", "callback_data": f"buy:cpp:{plan.code}:{count}"}]
        for count in plan.comments_per_post_choices
    ]
    replies.text(
        f"✈️ *{md(plan.name)}*\n\n{md(plan.description)}\\.\n"
        "How many comments should each post get?",
        [*buttons, *MENU],
    )


def _cpp(user, replies, args) -> None:
    plan = _active_plan(args)
    count = _int(args, 1)
    if plan is None or count not in plan.comments_per_post_choices:
        _not_understood(replies)
        return
    _quantities(plan, replies, comments_per_post=count)


def _quantities(plan: Plan, replies, *, comments_per_post: int) -> None:
    unit = unit_label(plan)
    presets = [
        {
            "text": f"{count:,} {unit}",
            "callback_data": f"buy:qty:{plan.code}:{count}:{comments_per_post}",
        }
        for count in plan.quantity_presets
    ]
    custom = {
        "text": "✏️ Custom amount",
        "callback_data": f"buy:custom:{plan.code}:{comments_per_post}",
    }
    replies.text(
        f"*{md(plan.name)}*\n\nHow many {md(unit)}? \\(minimum {plan.min_quantity:,}\\)",
        [presets[i : i + 2] for i in range(0, len(presets), 2)] + [[custom], *MENU],
    )


def _custom(user, replies, args) -> None:
    plan = _active_plan(args)
    if plan is None:
        _not_understood(replies)
        return
    enter_step(user.telegram_id, QUANTITY_STEP, {"plan": plan.code, "cpp": _int(args, 1) or 0})
    replies.text(f"✏️ Type how many you want \\(at least {plan.min_quantity:,}\\)\\.", MENU)


def _quantity_typed(user, replies, text: str, step) -> None:
    plan = Plan.objects.filter(code=step.data.get("plan"), is_active=True).first()
    quantity = parse_quantity(text)
    if plan is None:
        clear_step(user.telegram_id)
        _not_understood(replies)
        return
    if quantity is None:
        replies.text("Please send a whole number, like 250\\.", MENU)
        return
    if _offer_methods(plan, quantity, step.data.get("cpp") or None, replies):
        clear_step(user.telegram_id)


def _qty(user, replies, args) -> None:
    plan = _active_plan(args)
    quantity = _int(args, 1)
    if plan is None or quantity is None:
        _not_understood(replies)
        return
    _offer_methods(plan, quantity, _int(args, 2) or None, replies)


def _offer_methods(plan: Plan, quantity: int, comments_per_post, replies) -> bool:
    try:
        order = price_order(plan, quantity, comments_per_post)
    except InvalidOrder as refusal:
        replies.text(f"⚠️ {md(refusal)}", MENU)
        return False
    base = f"buy:pay:{plan.code}:{quantity}:{order.comments_per_post or 0}"
    crypto = [
        {"text": ASSETS[code].label, "callback_data": f"{base}:{code}"} for code in METHOD_ORDER
    ]
    bank = {"text": "🏦 Bank transfer (NGN)", "callback_data": f"{base}:{BANK_TRANSFER}"}
    replies.text(
        f"{_order_text(order)}\n\nHow would you like to pay?",
        [crypto[i : i + 2] for i in range(0, len(crypto), 2)] + [[bank], *MENU],
    )
    return True


def _order_text(order: Order) -> str:
    plan = order.plan
    if order.comments_per_post:
        what = f"{order.quantity:,} posts x {order.comments_per_post} comments"
    else:
        what = f"{order.quantity:,} {unit_label(plan)}"
    return f"🛒 *{md(plan.name)}*: {md(what)}\nTotal: *{money(order.amount_usd, 'USD')}*"


def _pay(user, replies, args) -> None:
    plan = _active_plan(args)
    quantity, method = _int(args, 1), args[3] if len(args) > 3 else ""
    if plan is None or quantity is None or method not in (*ASSETS, BANK_TRANSFER):
        _not_understood(replies)
        return
    try:
        order = price_order(plan, quantity, _int(args, 2) or None)
        request_invoice(user=user, order=order, method=method)
    except (InvalidOrder, InvoiceRefused) as refusal:
        replies.text(f"⚠️ {md(refusal)}", MENU)
        return
    replies.text("⏳ Preparing your invoice with a fresh price quote…", MENU)


def invoice_callback(user, replies, args: list[str], *, bot_username: str) -> None:
    """pay:cancel:<invoice number>: only the invoice's owner may cancel it."""
    invoice = _own_invoice(user, args[1] if len(args) > 1 else "")
    if args[0] != "cancel" or invoice is None:
        _not_understood(replies)
        return
    try:
        cancel_invoice(invoice=invoice, actor=user)
    except InvoiceRefused as refusal:
        replies.text(f"⚠️ {md(refusal)}", MENU)
        return
    replies.text(
        f"Invoice {md(invoice.number)} is cancelled\\. Nothing was charged\\.",
        [SERVICES_BUTTON, *MENU],
    )


def _hash_typed(user, replies, text: str, step) -> None:
    invoice = _own_invoice(user, step.data.get("invoice", ""))
    if invoice is None:
        clear_step(user.telegram_id)
        _not_understood(replies)
        return
    result = submit_hash(user=user, invoice=invoice, raw_hash=text)
    if result.accepted:
        clear_step(user.telegram_id)
        messages.verifying(user.telegram_id, result.claim, replies.next_key())
        return
    if result.invoice_closed:
        clear_step(user.telegram_id)
    replies.text(f"❌ {md(result.message)}", MENU)


def _follow_up_typed(user, replies, text: str, step) -> None:
    purchase = Purchase.objects.filter(pk=step.data.get("purchase"), user=user).first()
    if purchase is None:
        clear_step(user.telegram_id)
        _not_understood(replies)
        return
    try:
        record_follow_up(purchase=purchase, text=text, actor=user)
    except InvalidFollowUp as refusal:
        replies.text(f"⚠️ {md(refusal)}", MENU)
        return
    clear_step(user.telegram_id)
    replies.text("👍 Got it\\. Your order is set up; we will take it from here\\.", MENU)


def _own_invoice(user, number: str) -> Invoice | None:
    return Invoice.objects.filter(number=number[:24], user=user).first()


def _active_plan(args: list[str]) -> Plan | None:
    code = args[0] if args else ""
    return Plan.objects.filter(code=code[:32], is_active=True).first()


def _int(args: list[str], index: int) -> int | None:
    return whole_number(args[index] if len(args) > index else "", max_digits=9)


def _not_understood(replies) -> None:
    replies.text(NOT_UNDERSTOOD)
    replies.menu()


_ROUTES = {
    "x": _platform(Platform.X),
    "tg": _platform(Platform.TELEGRAM),
    "tiers": _tiers,
    "plan": _plan,
    "cpp": _cpp,
    "qty": _qty,
    "custom": _custom,
    "pay": _pay,
}


def register() -> None:
    journeys.SCREENS["menu:services"] = services
    journeys.CALLBACK_ROUTES["buy"] = route
    journeys.CALLBACK_ROUTES["pay"] = invoice_callback
    journeys.STEP_HANDLERS[QUANTITY_STEP] = _quantity_typed
    journeys.STEP_HANDLERS[messages.HASH_STEP] = _hash_typed
    journeys.STEP_HANDLERS[messages.FOLLOW_UP_STEP] = _follow_up_typed
