"""Configuration tables: groups → TelegramGroup, provider service ids → Provider.

Groups arrive with no role (the old bot only used the table as a gate, spec §1.2.18): staff
give them roles in the admin. Provider service ids are taken as they are in the old database
(spec §1.2.11: production had changed them from the code defaults); a change to one of our
providers is audited with old and new. A provider we do not have is created switched off.
"""

from __future__ import annotations

from django.db import transaction

from apps.audit.services import record_event
from apps.boosts.models import Provider
from apps.bot.models import TelegramGroup
from apps.legacy import parsing
from apps.legacy.importer.context import ACTOR, Context, audit_batch, known, remember

SERVICE_COLUMNS = {"likes": "like_service_id", "views": "view_service_id"}
NOT_IMPORTED = {
    "viralcore.db:user_notifications": "delivery log of the old bot's DMs; no business state",
    "viralcore.db:job_queue": "generic queue the bot never used (spec §1.2.14)",
    "viralcore.db:scheduled_sends": "split sends the running bot never used (spec §1.2.15)",
    "viralcore.db:reply_balances": "suspect, non-authoritative (spec §1.2.20); reply-guy "
    "balances live in the viralmonitor database, which is not part of this import",
    "viralcore.db:withdrawal_settings": "the old global payout mode; the new system decides "
    "the mode per approval",
    "viralcore.db:boosting_service_audit_log": "history of service-id edits; the current ids "
    "are imported",
    "custom.db:custom_plans_backup": "backup left by an old migration script",
}


def import_groups(ctx: Context) -> None:
    if not ctx.has_columns("groups.db", "groups", ("group_id", "group_name")):
        return
    source = ctx.source("groups.db", "groups")
    for rows in ctx.batches("groups.db", "groups"):
        counts = ctx.report.table(source)
        done = known(source, (row["group_id"] for row in rows))
        existing = set(
            TelegramGroup.objects.filter(chat_id__in=[r["group_id"] for r in rows]).values_list(
                "chat_id", flat=True
            )
        )
        fresh = [
            TelegramGroup(chat_id=row["group_id"], title=parsing.text(row["group_name"], limit=255),
                          chat_type="supergroup", role="")
            for row in rows
            if str(row["group_id"]) not in done and row["group_id"] not in existing
        ]  # fmt: skip
        counts.already += len(rows) - len(fresh)
        with transaction.atomic():
            TelegramGroup.objects.bulk_create(fresh)
            pairs = [(group.chat_id, group.pk) for group in fresh]
            remember(ctx, source, "bot.telegramgroup", pairs)
            audit_batch(ctx, source, "bot.telegramgroup", pairs)
        counts.imported += len(fresh)


def import_provider_services(ctx: Context) -> None:
    file_name = "viralcore.db"
    if not ctx.has_columns(
        file_name,
        "boosting_service_providers",
        ("service_id", "provider_name", "provider_service_id"),
    ) or not ctx.has_columns(file_name, "boosting_services", ("id", "service_type")):
        return
    source = ctx.source(file_name, "boosting_service_providers")
    ids = _legacy_service_ids(ctx, file_name)
    ctx.report.table(source).read = sum(len(kinds) for kinds in ids.values())
    for name, kinds in sorted(ids.items()):
        _apply(ctx, source, name, kinds)


def _legacy_service_ids(ctx: Context, file_name: str) -> dict[str, dict[str, int]]:
    sql = (
        "SELECT p.provider_name, s.service_type, p.provider_service_id "
        "FROM boosting_service_providers p JOIN boosting_services s ON s.id = p.service_id "
        "ORDER BY s.is_active, s.id"  # the active service (latest id) is applied last
    )
    found: dict[str, dict[str, int]] = {}
    for name, kind, service_id in ctx.files[file_name].connection.execute(sql):
        if kind in SERVICE_COLUMNS and isinstance(service_id, int) and 0 < service_id < 10**6:
            found.setdefault(str(name).strip().lower(), {})[kind] = service_id
    return found


def _apply(ctx: Context, source: str, name: str, kinds: dict[str, int]) -> None:
    counts = ctx.report.table(source)
    new = {SERVICE_COLUMNS[kind]: value for kind, value in kinds.items()}
    with transaction.atomic():
        provider = Provider.objects.select_for_update().filter(name=name).first()
        if provider is None:
            _create(ctx, source, name, new)
            counts.imported += len(kinds)
            return
        old = {column: getattr(provider, column) for column in new}
        if old == new:
            counts.already += len(kinds)
            return
        Provider.objects.filter(pk=provider.pk).update(**new)
        record_event(
            actor=ACTOR,
            action="provider.services_changed",
            object_type="boosts.provider",
            object_id=provider.pk,
            before=old,
            after=new,
            reason="Service ids carried over from the old bot (boosting_service_providers).",
            search_terms=[name],
        )
    counts.imported += len(kinds)


def _create(ctx: Context, source: str, name: str, ids: dict) -> None:
    if len(ids) < 2:
        ctx.report.table(source).skip("provider without both a views and a likes id", name)
        return
    provider = Provider.objects.create(
        name=name,
        api_url=f"https://{name}.com/api/v2",
        api_key_env=f"{name.upper().replace('-', '_')}_API_KEY",
        is_enabled=False,
        **ids,
    )
    record_event(
        actor=ACTOR,
        action="provider.created",
        object_type="boosts.provider",
        object_id=provider.pk,
        after={"name": name, "is_enabled": False, **ids},
        reason="Provider named by the old bot; created switched off: check its URL and key.",
        search_terms=[name],
    )
    ctx.report.finding(
        "provider the new system did not have",
        "Created switched off with a guessed URL: staff check the URL and key, then enable it.",
        name,
    )


def note_tables_not_imported(ctx: Context) -> None:
    for source, why in NOT_IMPORTED.items():
        file_name, table = source.split(":")
        columns = ctx.table_columns(file_name, table)
        if columns is None:
            continue
        rows = ctx.files[file_name].connection.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608
        total = rows.fetchone()[0]
        counts = ctx.report.table(source)
        counts.read = total
        if total:
            counts.skipped[f"not imported: {why}"] = total
