"""The import's trail in the admin: support reads runs, reports and the old bot's history."""

from __future__ import annotations

import io
import json
import sqlite3
from contextlib import closing
from types import SimpleNamespace

import pytest
from django.urls import reverse

from apps.legacy.fixture import build_legacy_set
from apps.legacy.importer.run import run_import
from apps.legacy.models import BalanceOperation, ImportRun, LegacyRecord, WithdrawalEvent
from apps.withdrawals.models import Withdrawal

CHANGELIST = "/admin/legacy/importrun/"


@pytest.fixture(scope="module")
def legacy_set(tmp_path_factory):
    directory = tmp_path_factory.mktemp("legacy-admin")
    return SimpleNamespace(path=directory, facts=build_legacy_set(directory, users=120, seed=17))


@pytest.fixture
def run(db, legacy_set):
    return run_import(
        legacy_set.path, started_by="pytest admin", stream=io.StringIO(), progress=False
    )


def change_url(run) -> str:
    return f"/admin/legacy/importrun/{run.pk}/change/"


def test_support_reads_the_run_and_its_readable_report(client, support_agent, run):
    client.force_login(support_agent)

    listing = client.get(CHANGELIST)
    page = client.get(change_url(run))

    assert listing.status_code == 200
    assert str(run) in listing.content.decode()
    assert page.status_code == 200
    text = page.content.decode()
    assert "Affiliate balances" in text
    assert "viralcore.db:purchases" in text
    assert reverse("admin:legacy_importrun_json", args=[run.pk]) in text


def test_the_json_download_is_the_runs_report(client, support_agent, run):
    client.force_login(support_agent)

    response = client.get(reverse("admin:legacy_importrun_json", args=[run.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    stored = ImportRun.objects.get(pk=run.pk)
    assert json.loads(response.content) == stored.report
    assert stored.report["tables"]["viralcore.db:users"]["imported"] == 120


def test_anonymous_visitors_are_sent_to_the_login_page(client, run):
    for url in (
        CHANGELIST,
        change_url(run),
        reverse("admin:legacy_importrun_json", args=[run.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_nobody_adds_changes_or_deletes_a_run(client, superuser, support_agent, run):
    before = ImportRun.objects.get(pk=run.pk)
    for staff in (superuser, support_agent):
        client.force_login(staff)
        assert client.get("/admin/legacy/importrun/add/").status_code == 403
        assert client.post("/admin/legacy/importrun/add/", {"kind": "import"}).status_code == 403
        changed = client.post(change_url(run), {"status": "clean", "summary": "edited"})
        assert changed.status_code == 403
        delete_url = f"/admin/legacy/importrun/{run.pk}/delete/"
        assert client.get(delete_url).status_code == 403
        assert client.post(delete_url, {"post": "yes"}).status_code == 403
    after = ImportRun.objects.get(pk=run.pk)
    assert (after.summary, after.status, after.report) == (
        before.summary,
        before.status,
        before.report,
    )


def test_support_finds_a_users_legacy_balance_operations_by_telegram_id(
    client, support_agent, run, legacy_set
):
    with closing(sqlite3.connect(legacy_set.path / "viralcore.db")) as conn:
        telegram_id, count = conn.execute(
            "SELECT user_id, count(*) AS n FROM balance_operations "
            "GROUP BY user_id ORDER BY n DESC, user_id LIMIT 1"
        ).fetchone()
    assert BalanceOperation.objects.filter(telegram_id=telegram_id).count() == count
    client.force_login(support_agent)

    response = client.get("/admin/legacy/balanceoperation/", {"q": str(telegram_id)})

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert len(shown) == count
    assert {operation.telegram_id for operation in shown} == {telegram_id}
    assert str(telegram_id) in response.content.decode()


def test_support_sees_the_legacy_events_of_an_imported_withdrawal(client, support_agent, run):
    events = WithdrawalEvent.objects.values_list("withdrawal_id", flat=True)
    withdrawal = Withdrawal.objects.filter(pk__in=events).order_by("pk").first()
    assert withdrawal is not None
    assert LegacyRecord.objects.filter(
        source="viralcore.db:withdrawals", target_id=withdrawal.pk
    ).exists()
    expected = set(
        WithdrawalEvent.objects.filter(withdrawal=withdrawal).values_list("pk", flat=True)
    )
    client.force_login(support_agent)

    response = client.get("/admin/legacy/withdrawalevent/", {"q": str(withdrawal.pk)})
    by_user = client.get("/admin/legacy/withdrawalevent/", {"q": str(withdrawal.user.telegram_id)})

    assert response.status_code == 200
    assert {event.pk for event in response.context["cl"].result_list} == expected
    assert by_user.status_code == 200
    assert expected <= {event.pk for event in by_user.context["cl"].result_list}
