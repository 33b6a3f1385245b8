"""The boosts admin as each staff role sees it: providers, boost orders and their actions.

Every action page asks for a reason, shows a refusal instead of a button when the service
would refuse, and changes nothing until confirmed; the services check everything again.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.boosts.models import (
    BoostOrder,
    OrderStatus,
    PhaseStatus,
    Provider,
    ProviderOrderStatus,
)
from apps.purchases.models import Purchase
from tests.boosts.test_staff_actions import (
    KEY_ENV,
    add_phase,
    add_provider_order,
    make_order,
    make_provider,
)
from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db

SECRET_KEY_VALUE = "sk-live-9f8e7d6c5b4a-do-not-show"
ROLES = ["support_agent", "finance_clerk", "second_approver"]


def url(model, view="changelist", *args):
    return reverse(f"admin:boosts_{model}_{view}", args=args)


def body_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def listed(response) -> list[int]:
    return [row.pk for row in response.context["cl"].result_list]


def events(action: str):
    return AuditEvent.objects.filter(action=action)


@pytest.fixture
def owner(db):
    return BotUserFactory(telegram_id=424242, username="findme")


@pytest.fixture
def running(owner):
    """A running X order of @findme: phase 1 placed (id 7001 at plugsmms), phase 2 waiting
    after errors, phase 3 not tried yet."""
    order = make_order(user=owner)
    placed = add_phase(order, 1, PhaseStatus.PLACED, placed_at=timezone.now(), likes=30)
    add_provider_order(placed, provider_order_id="7001", status=ProviderOrderStatus.IN_PROGRESS)
    add_provider_order(
        placed, provider_order_id="7002", kind="likes", quantity=30, service_id=11023
    )
    add_phase(order, 2, attempts=2, last_error="Not enough funds on balance")
    add_phase(order, 3)
    return order


# --- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ROLES)
def test_every_role_reads_boost_orders(persona, running, client, request):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(url("boostorder")).status_code == 200
    page = client.get(url("boostorder", "change", running.pk))

    assert page.status_code == 200
    assert 'name="_save"' not in body_of(page)
    assert "Not enough funds on balance" in body_of(page)  # the phases inline
    assert "7001" in body_of(page)  # the provider orders


def test_support_reads_boost_orders_only(running, support_agent, client):
    client.force_login(support_agent)

    page = body_of(client.get(url("boostorder", "change", running.pk)))

    assert "Retry a phase" not in page and "Cancel order" not in page
    assert client.get(url("provider")).status_code == 403
    for action in ("retry", "cancel", "refill", "resolve"):
        assert client.get(url("boostorder", action, running.pk)).status_code == 403
    posted = client.post(
        url("boostorder", "cancel", running.pk), {"reason": "friend", "return_credit": "on"}
    )
    assert posted.status_code == 403
    assert BoostOrder.objects.get(pk=running.pk).status == OrderStatus.RUNNING


def test_finance_reads_providers_and_acts_on_orders_but_changes_no_provider(
    running, finance_clerk, client
):
    provider = make_provider()
    client.force_login(finance_clerk)

    assert client.get(url("provider")).status_code == 200
    page = body_of(client.get(url("provider", "change", provider.pk)))
    assert 'name="_save"' not in page
    assert "Change service ids" not in page and "Refresh balance" not in page
    assert client.get(url("provider", "add")).status_code == 403
    assert client.get(url("provider", "service_ids", provider.pk)).status_code == 403
    assert client.post(url("provider", "refresh", provider.pk)).status_code == 403

    order_page = body_of(client.get(url("boostorder", "change", running.pk)))
    for label in ("Retry a phase", "Cancel order"):
        assert label in order_page


def test_senior_finance_adds_and_changes_providers_but_nobody_deletes_them(
    second_approver, superuser, client
):
    provider = make_provider()
    client.force_login(second_approver)

    assert client.get(url("provider", "add")).status_code == 200
    page = body_of(client.get(url("provider", "change", provider.pk)))
    assert 'name="_save"' in page and "Change service ids" in page
    for user in (second_approver, superuser):
        client.force_login(user)
        assert client.get(url("provider", "delete", provider.pk)).status_code == 403


def test_the_api_key_is_never_shown_only_whether_its_variable_is_set(
    second_approver, client, monkeypatch
):
    make_provider("plugsmms", api_key_env=KEY_ENV)
    make_provider("smmflare", api_key_env="SMMFLARE_KEY_NOT_SET")
    monkeypatch.setenv(KEY_ENV, SECRET_KEY_VALUE)
    monkeypatch.delenv("SMMFLARE_KEY_NOT_SET", raising=False)
    client.force_login(second_approver)

    listing = client.get(url("provider"))
    pages = [
        body_of(listing),
        *(
            body_of(client.get(url("provider", "change", provider.pk)))
            for provider in Provider.objects.all()
        ),
    ]

    for page in pages:
        assert SECRET_KEY_VALUE not in page
    row = {r.name: r for r in listing.context["cl"].result_list}
    admin = listing.context["cl"].model_admin
    assert str(admin.key_set_shown(row["plugsmms"])).startswith("yes")
    assert ">no</strong>" in str(admin.key_set_shown(row["smmflare"]))


# --- the provider list --------------------------------------------------------------------------


def test_the_provider_list_shows_balance_low_flag_and_breaker(
    second_approver, client, django_assert_max_num_queries
):
    checked = timezone.now()
    make_provider(
        "plugsmms",
        balance=Decimal("3.25"),
        balance_currency="USD",
        balance_checked_at=checked,
        low_balance_threshold=Decimal("10.00"),
    )
    make_provider(
        "smmflare",
        priority=2,
        balance=Decimal("80.00"),
        balance_currency="USD",
        balance_checked_at=checked,
    )
    make_provider("smmstone", priority=3)
    client.force_login(second_approver)

    with django_assert_max_num_queries(6):
        page = body_of(client.get(url("provider")))

    assert "3.25 USD" in page and "LOW (below 10.00)" in page
    assert "80.00 USD" in page
    assert "not checked yet" in page
    assert page.count(">closed</strong>") == 3


# --- provider add and change --------------------------------------------------------------------


def provider_fields(**overrides) -> dict:
    fields = {
        "name": "smmstone",
        "api_url": "https://smmstone.example/api/v2",
        "api_key_env": "SMMSTONE_API_KEY",
        "priority": "3",
        "is_enabled": "on",
        "view_service_id": "5480",
        "like_service_id": "6662",
        "low_balance_threshold": "10.00",
        "reason": "a third panel for failover",
    }
    return {**fields, **overrides}


def test_adding_a_provider_is_audited_with_the_reason(second_approver, client):
    client.force_login(second_approver)

    done = client.post(url("provider", "add"), provider_fields())

    assert done.status_code == 302
    provider = Provider.objects.get(name="smmstone")
    assert provider.service_ids() == {"views": 5480, "likes": 6662}
    event = events("provider.created").get()
    assert event.after["api_key_env"] == "SMMSTONE_API_KEY"
    assert event.reason == "a third panel for failover"


@pytest.mark.parametrize(
    ("field", "value"),
    [("view_service_id", "abc"), ("like_service_id", "1000000"), ("view_service_id", "0")],
)
def test_a_provider_with_a_bad_service_id_is_not_added(second_approver, client, field, value):
    client.force_login(second_approver)

    page = client.post(url("provider", "add"), provider_fields(**{field: value}))

    assert page.status_code == 200
    assert page.context["adminform"].form.errors[field]
    assert not Provider.objects.exists()


def test_changing_settings_is_audited_before_and_after_and_needs_a_reason(second_approver, client):
    provider = make_provider(priority=1)
    client.force_login(second_approver)
    fields = {
        "api_url": provider.api_url,
        "api_key_env": provider.api_key_env,
        "priority": "5",
        "low_balance_threshold": "25.00",
        "reason": "",
    }

    refused = client.post(url("provider", "change", provider.pk), fields)

    assert refused.status_code == 200
    assert "Say why the provider is added or changed." in body_of(refused)
    assert Provider.objects.get(pk=provider.pk).priority == 1

    done = client.post(
        url("provider", "change", provider.pk), {**fields, "reason": "plugsmms is slow today"}
    )

    assert done.status_code == 302
    provider.refresh_from_db()
    assert (provider.priority, provider.is_enabled) == (5, False)
    event = events("provider.changed").get()
    assert event.before == {"priority": 1, "is_enabled": True, "low_balance_threshold": "10.00"}
    assert event.after == {"priority": 5, "is_enabled": False, "low_balance_threshold": "25.00"}
    assert event.reason == "plugsmms is slow today"


def test_service_ids_are_read_only_on_the_change_form(second_approver, client):
    provider = make_provider()
    client.force_login(second_approver)

    client.post(
        url("provider", "change", provider.pk),
        {
            "api_url": provider.api_url,
            "api_key_env": provider.api_key_env,
            "priority": "1",
            "is_enabled": "on",
            "low_balance_threshold": "10.00",
            "view_service_id": "1",
            "like_service_id": "2",
            "reason": "sneaky",
        },
    )

    provider.refresh_from_db()
    assert provider.service_ids() == {"views": 6073, "likes": 11023}
    assert not events("provider.services_changed").exists()


# --- service ids through their confirmation page -------------------------------------------------


def test_service_ids_change_after_a_review_of_old_and_new(second_approver, client):
    provider = make_provider()
    client.force_login(second_approver)
    fields = {"view_service_id": "6080", "like_service_id": "11023", "reason": "renumbered"}

    form_page = client.get(url("provider", "service_ids", provider.pk))
    assert 'name="view_service_id"' in body_of(form_page)
    review = client.post(url("provider", "service_ids", provider.pk), {**fields, "stage": "review"})
    assert "Change these service ids?" in body_of(review)
    assert "→ 6080" in body_of(review) and "unchanged" in body_of(review)
    assert Provider.objects.get(pk=provider.pk).view_service_id == 6073

    done = client.post(url("provider", "service_ids", provider.pk), {**fields, "stage": "confirm"})

    assert done.status_code == 302
    assert Provider.objects.get(pk=provider.pk).view_service_id == 6080
    assert events("provider.services_changed").get().after == {
        "view_service_id": 6080,
        "like_service_id": 11023,
    }
    assert any("service ids are now 6080 (views)" in m for m in messages_of(done))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"view_service_id": "abc"}, "The views service id must be a whole number"),
        ({"like_service_id": "1000000"}, "1,000,000 is out of range."),
        ({"view_service_id": "0"}, "0 is out of range."),
        ({"reason": "   "}, "Say why the service ids change."),
    ],
)
@pytest.mark.parametrize("stage", ["review", "confirm"])
def test_a_bad_service_id_or_no_reason_is_refused_and_changes_nothing(
    second_approver, client, fields, expected, stage
):
    provider = make_provider()
    client.force_login(second_approver)
    data = {"view_service_id": "6080", "like_service_id": "11030", "reason": "renumbered"}

    page = client.post(
        url("provider", "service_ids", provider.pk), {**data, **fields, "stage": stage}
    )

    assert page.status_code == 200
    assert expected in body_of(page)
    assert Provider.objects.get(pk=provider.pk).service_ids() == {"views": 6073, "likes": 11023}
    assert not events("provider.services_changed").exists()


# --- boost orders: list, search, filters --------------------------------------------------------


@pytest.fixture
def assorted(running):
    other = BotUserFactory(telegram_id=555001, username="someone")
    telegram = make_order(
        user=other,
        platform="telegram",
        link="https://t.me/brandchannel/42",
        post_id="brandchannel/42",
    )
    failed = make_order(user=other, status=OrderStatus.FAILED, post_id="1790000000000000999")
    BoostOrder.objects.filter(pk=failed.pk).update(created_at=timezone.now().replace(year=2025))
    return {"running": running, "telegram": telegram, "failed": failed}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("424242", ["running"]),
        ("@findme", ["running"]),
        ("findme", ["running"]),
        ("https://t.me/brandchannel/42", ["telegram"]),
        ("1790000000000000999", ["failed"]),
        ("7002", ["running"]),
        ("nothing-like-it", []),
    ],
)
def test_search_by_user_link_post_or_provider_order_id(
    assorted, finance_clerk, client, term, expected
):
    client.force_login(finance_clerk)

    response = client.get(url("boostorder"), {"q": term})

    assert listed(response) == [assorted[name].pk for name in expected]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, ["failed"]),
        ({"platform": "telegram"}, ["telegram"]),
        ({"platform": "x", "status": "running"}, ["running"]),
        ({"created_at__year": "2025"}, ["failed"]),
    ],
)
def test_filters(assorted, support_agent, client, query, expected):
    client.force_login(support_agent)

    response = client.get(url("boostorder"), query)

    assert sorted(listed(response)) == sorted(assorted[name].pk for name in expected)


def test_the_list_shows_phases_placed_of_total_in_pinned_queries(
    running, finance_clerk, client, django_assert_max_num_queries
):
    for _ in range(20):
        order = make_order()
        add_phase(order, 1, PhaseStatus.PLACED, placed_at=timezone.now())
        add_phase(order, 2)
    client.force_login(finance_clerk)

    with django_assert_max_num_queries(8):
        response = client.get(url("boostorder"))

    assert len(listed(response)) == 21
    row = next(r for r in response.context["cl"].result_list if r.pk == running.pk)
    assert (row.phases_placed, row.phases_total) == (1, 3)
    assert "1 / 3" in body_of(response)


def test_the_change_page_query_count_is_pinned(
    running, finance_clerk, client, django_assert_max_num_queries
):
    client.force_login(finance_clerk)

    with django_assert_max_num_queries(14):
        page = client.get(url("boostorder", "change", running.pk))

    assert page.status_code == 200


# --- boost order actions ------------------------------------------------------------------------


def test_retry_page_offers_phases_waiting_after_errors_and_needs_a_reason(
    running, finance_clerk, client
):
    client.force_login(finance_clerk)
    waiting = running.phases.get(number=2)

    page = client.get(url("boostorder", "retry", running.pk))
    assert "Phase 2 (next try" in body_of(page)
    assert "Phase 3 (next try" not in body_of(page)  # not tried yet: it goes at its time

    refused = client.post(url("boostorder", "retry", running.pk), {"phase": waiting.pk})
    assert "Say why the phase is retried" in body_of(refused)
    waiting.refresh_from_db()
    assert waiting.next_attempt_at > timezone.now()

    done = client.post(
        url("boostorder", "retry", running.pk), {"phase": waiting.pk, "reason": "topped up"}
    )

    assert done.status_code == 302
    waiting.refresh_from_db()
    assert waiting.next_attempt_at <= timezone.now()
    assert f"B-{running.pk}: phase 2 will be tried again now, on every provider." in (
        messages_of(done)
    )


def test_retry_page_of_a_failed_order_explains_instead_of_offering(owner, finance_clerk, client):
    order = make_order(user=owner, status=OrderStatus.FAILED, credit_returned=True)
    add_phase(order, 1, attempts=4, last_error="no provider")
    client.force_login(finance_clerk)

    page = body_of(client.get(url("boostorder", "retry", order.pk)))

    assert "the credit was returned; the user can submit the link again" in page
    assert 'id="confirm-action"' not in page


def test_cancel_with_the_credit_returned(running, finance_clerk, client):
    running.phases.filter(number=1).update(status=PhaseStatus.COMPLETED)
    client.force_login(finance_clerk)

    page = client.get(url("boostorder", "cancel", running.pk))
    assert 'name="return_credit"' in body_of(page)
    refused = client.post(url("boostorder", "cancel", running.pk), {"return_credit": "on"})
    assert "Say why the order is canceled." in body_of(refused)
    assert BoostOrder.objects.get(pk=running.pk).status == OrderStatus.RUNNING

    done = client.post(
        url("boostorder", "cancel", running.pk),
        {"return_credit": "on", "reason": "the post was deleted"},
    )

    assert done.status_code == 302
    order = BoostOrder.objects.get(pk=running.pk)
    assert (order.status, order.credit_returned) == (OrderStatus.CANCELED, True)
    assert Purchase.objects.get(pk=order.purchase_id).credits_remaining == 5
    assert any("the credit was returned to the user" in m for m in messages_of(done))


def test_cancel_page_refuses_while_a_phase_is_being_placed(running, finance_clerk, client):
    running.phases.filter(number=2).update(status=PhaseStatus.DISPATCHING)
    client.force_login(finance_clerk)

    page = body_of(client.get(url("boostorder", "cancel", running.pk)))

    assert "being placed right now, try again in a minute" in page
    assert 'id="confirm-action"' not in page


def test_refill_page_refuses_when_nothing_was_delivered(running, finance_clerk, client):
    client.force_login(finance_clerk)

    page = body_of(client.get(url("boostorder", "refill", running.pk)))

    assert "there is no completed or partial order with a panel order id to refill" in page
    posted = client.post(url("boostorder", "refill", running.pk), {"reason": "drops"})
    assert any("no completed or partial provider order" in m for m in messages_of(posted))
    assert not events("boost.refill_requested").exists()


def test_resolving_an_unknown_order_with_the_panels_id(owner, finance_clerk, client):
    order = make_order(user=owner)
    phase = add_phase(order, 1, PhaseStatus.CHECKING, attempts=1)
    unknown = add_provider_order(phase, status=ProviderOrderStatus.UNKNOWN)
    client.force_login(finance_clerk)

    page = body_of(client.get(url("boostorder", "change", order.pk)))
    assert "Resolve unknown" in page
    refused = client.post(
        url("boostorder", "resolve", order.pk),
        {"provider_order": unknown.pk, "provider_order_id": "7009"},
    )
    assert "Say what you found on the panel." in body_of(refused)

    done = client.post(
        url("boostorder", "resolve", order.pk),
        {"provider_order": unknown.pk, "provider_order_id": "7009", "reason": "on the panel"},
    )

    assert done.status_code == 302
    unknown.refresh_from_db()
    assert (unknown.status, unknown.provider_order_id) == (ProviderOrderStatus.PENDING, "7009")
    phase.refresh_from_db()
    assert phase.status == PhaseStatus.PENDING
    assert any("order #7009 is followed from now on" in m for m in messages_of(done))


def test_resolving_without_an_id_marks_it_not_placed(owner, finance_clerk, client):
    order = make_order(user=owner)
    phase = add_phase(order, 1, PhaseStatus.CHECKING, attempts=1)
    unknown = add_provider_order(phase, status=ProviderOrderStatus.UNKNOWN)
    client.force_login(finance_clerk)

    client.post(
        url("boostorder", "resolve", order.pk),
        {"provider_order": unknown.pk, "provider_order_id": "", "reason": "not on the panel"},
    )

    unknown.refresh_from_db()
    assert unknown.status == ProviderOrderStatus.NOT_PLACED
