"""A finance user approves a withdrawal in the real admin, in Chromium, and records it paid.

Manual payout is the path that ends "paid" inside the browser: finance approves, pays from the
bank, and enters the bank reference. Automatic payouts (Flutterwave) are exercised by the
payout worker's tests and the end-to-end journey.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.ledger.models import AccountKind
from apps.ledger.services import user_account
from apps.withdrawals.models import Status, Withdrawal
from apps.withdrawals.services.requests import BankAccount, Rate, request_withdrawal
from tests.browser.conftest import WAIT_SECONDS, missing_browser
from tests.conftest import _staff_in
from tests.factories import BotUserFactory
from tests.ledger.factories import fund

if why := missing_browser():
    pytest.skip(why, allow_module_level=True)

# Only importable where the browser tests can run.
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

pytestmark = pytest.mark.browser

PASSWORD = "browser-finance-password-1"
BANK_REFERENCE = "NIP-000000123456"


@pytest.fixture
def finance_user(roles):
    user = _staff_in("Finance")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def waiting_withdrawal(roles):
    user = BotUserFactory(username="browser_earner", first_name="Ada")
    fund(user_account(owner=user, kind=AccountKind.AFFILIATE), "100.00")
    return request_withdrawal(
        user=user,
        balance=AccountKind.AFFILIATE,
        amount=Decimal("40.00"),
        bank=BankAccount(
            bank_code="044",
            bank_name="Access Bank",
            account_number="0690000031",
            account_name="Ada Obi",
        ),
        rate=Rate(ngn_per_usd=Decimal("1500.00"), source="test", at=timezone.now()),
    )


def wait_for(driver, by, value):
    return WebDriverWait(driver, WAIT_SECONDS).until(EC.presence_of_element_located((by, value)))


def click_and_wait(driver, element) -> None:
    """Click something that loads a new page, and wait until the old page is gone."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, WAIT_SECONDS).until(EC.staleness_of(page))


def messages(driver) -> str:
    return " ".join(item.text for item in driver.find_elements(By.CSS_SELECTOR, ".messagelist li"))


def test_finance_approves_a_withdrawal_and_marks_it_paid_in_chromium(
    chromium, live_server, finance_user, waiting_withdrawal
):
    driver = chromium
    withdrawal = waiting_withdrawal
    queue_path = reverse("admin:withdrawals_withdrawal_changelist")

    # Log in on the admin's own login page.
    driver.get(f"{live_server.url}{reverse('admin:login')}")
    driver.find_element(By.ID, "id_username").send_keys(finance_user.username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "input[type=submit]"))

    # Open the queue from the admin index: the waiting withdrawal is listed.
    click_and_wait(
        driver, driver.find_element(By.CSS_SELECTOR, f'#content-main a[href="{queue_path}"]')
    )
    row = wait_for(driver, By.CSS_SELECTOR, "#result_list tbody tr")
    assert f"W-{withdrawal.pk}" in row.text
    assert "Waiting for approval" in row.text

    # Select it and run "Approve selected withdrawals".
    driver.find_element(By.CSS_SELECTOR, f'input.action-select[value="{withdrawal.pk}"]').click()
    Select(driver.find_element(By.NAME, "action")).select_by_value("approve_selected")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, 'button[name="index"]'))

    # The confirmation page shows the user and the flags; choose manual payout and confirm.
    wait_for(driver, By.ID, "decision-form")
    page = driver.find_element(By.ID, "content").text
    assert "Approve withdrawals" in page
    assert "Balances now" in page
    assert "New account" in page
    driver.find_element(By.CSS_SELECTOR, 'input[name="payout_mode"][value="manual"]').click()
    click_and_wait(driver, driver.find_element(By.ID, "confirm-decision"))

    assert f"W-{withdrawal.pk}: approved for manual payout." in messages(driver)
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == Status.APPROVED

    # Find it again (approved, it left the waiting queue) and open its page.
    search = driver.find_element(By.ID, "searchbar")
    search.send_keys(f"W-{withdrawal.pk}")
    click_and_wait(
        driver, driver.find_element(By.CSS_SELECTOR, "#changelist-search input[type=submit]")
    )
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, f"W-{withdrawal.pk}"))

    # "Mark paid": the bank reference, a review, then the confirmation.
    mark_paid = reverse("admin:withdrawals_withdrawal_mark_paid", args=[withdrawal.pk])
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f'a[href="{mark_paid}"]'))
    driver.find_element(By.ID, "id_bank_reference").send_keys(BANK_REFERENCE)
    click_and_wait(driver, driver.find_element(By.ID, "confirm-decision"))
    assert (
        f"Mark paid with bank reference {BANK_REFERENCE}?"
        in driver.find_element(By.ID, "content").text
    )
    click_and_wait(driver, driver.find_element(By.ID, "confirm-decision"))
    assert f"marked paid manually with bank reference {BANK_REFERENCE}" in messages(driver)

    # The list shows it paid.
    driver.get(f"{live_server.url}{queue_path}?q=W-{withdrawal.pk}")
    row = wait_for(driver, By.CSS_SELECTOR, "#result_list tbody tr")
    assert "Paid manually" in row.text
    paid = Withdrawal.objects.get(pk=withdrawal.pk)
    assert (paid.status, paid.bank_reference) == (Status.PAID_MANUALLY, BANK_REFERENCE)
