"""Staff adding and changing SMM providers, and their service ids (through a confirmation)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.boosts.clients.smm import SmmError, build_smm_client
from apps.boosts.models import (
    Provider,
)
from apps.boosts.services.staff.common import (
    ADD_PROVIDERS,
    EDIT_PROVIDERS,
    PROVIDER_FIELDS,
    PROVIDER_SETTINGS,
    SERVICE_ID_MAX,
    SERVICE_ID_MIN,
    BoostActionRefused,
    _reason,
    logger,
)
from apps.purchases.services.permissions import require_staff_permission


def parse_service_id(value, *, label: str) -> int:
    """VALUE as a service id (a whole number from 1 to 999999), or a refusal naming LABEL."""
    text = str(value).strip() if value is not None else ""
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
        raise BoostActionRefused(
            f"The {label} service id must be a whole number from {SERVICE_ID_MIN} to "
            f"{SERVICE_ID_MAX:,}; “{text[:20]}” is not."
        )
    number = int(text)
    if not SERVICE_ID_MIN <= number <= SERVICE_ID_MAX:
        raise BoostActionRefused(
            f"The {label} service id must be from {SERVICE_ID_MIN} to {SERVICE_ID_MAX:,}; "
            f"{number:,} is out of range."
        )
    return number


def change_service_ids(
    provider: Provider, *, actor, reason: str, view_service_id, like_service_id
) -> Provider:
    """New service ids for PROVIDER's future orders; boost orders keep their snapshot."""
    require_staff_permission(actor, EDIT_PROVIDERS, doing="change provider service ids")
    reason = _reason(reason)
    new = {
        "view_service_id": parse_service_id(view_service_id, label="views"),
        "like_service_id": parse_service_id(like_service_id, label="likes"),
    }
    _offered_by_panel(provider, new)
    with transaction.atomic():
        current = Provider.objects.select_for_update().get(pk=provider.pk)
        old = {
            "view_service_id": current.view_service_id,
            "like_service_id": current.like_service_id,
        }
        if old == new:
            raise BoostActionRefused("These are already the provider's service ids.")
        Provider.objects.filter(pk=current.pk).update(**new, updated_at=timezone.now())
        record_event(
            actor=actor,
            action="provider.services_changed",
            object_type="boosts.provider",
            object_id=current.pk,
            before=old,
            after=new,
            reason=reason,
            search_terms=[current.name],
        )
    current.refresh_from_db()
    return current


def _offered_by_panel(provider: Provider, ids: dict) -> None:
    """Refuse ids the panel's own service list lacks; a panel that cannot answer is no veto."""
    try:
        with build_smm_client(provider) as client:
            offered = {service.id for service in client.services()}
    except SmmError as error:
        logger.info("service ids of %s not checked at the panel: %s", provider.name, error)
        return
    missing = [str(number) for number in ids.values() if number not in offered]
    if missing:
        raise BoostActionRefused(
            f"{provider.name} does not offer service {' or '.join(missing)}; "
            "check the id in the panel's service list."
        )


def create_provider(*, actor, reason: str, values: dict) -> Provider:
    """A new panel (VALUES: PROVIDER_FIELDS, validated by the caller's form)."""
    require_staff_permission(actor, ADD_PROVIDERS, doing="add SMM providers")
    reason = _reason(reason)
    values = {name: values[name] for name in PROVIDER_FIELDS if name in values}
    for name, label in (("view_service_id", "views"), ("like_service_id", "likes")):
        values[name] = parse_service_id(values.get(name), label=label)
    with transaction.atomic():
        provider = Provider(**values)
        provider.full_clean()
        provider.save()
        record_event(
            actor=actor,
            action="provider.created",
            object_type="boosts.provider",
            object_id=provider.pk,
            after=_settings_of(provider, PROVIDER_FIELDS),
            reason=reason,
            search_terms=[provider.name],
        )
    return provider


def update_provider(provider: Provider, *, actor, reason: str, changes: dict) -> Provider:
    """Change PROVIDER's settings (PROVIDER_SETTINGS); service ids go through change_service_ids."""
    require_staff_permission(actor, EDIT_PROVIDERS, doing="change SMM providers")
    reason = _reason(reason)
    unknown = set(changes) - set(PROVIDER_SETTINGS)
    if unknown:
        raise BoostActionRefused(
            f"Not changed here: {', '.join(sorted(unknown))} (service ids have their own page)."
        )
    with transaction.atomic():
        current = Provider.objects.select_for_update().get(pk=provider.pk)
        before = _settings_of(current, changes)
        changed = {name: value for name, value in changes.items() if before[name] != value}
        if not changed:
            raise BoostActionRefused("Nothing was changed.")
        for name, value in changed.items():
            setattr(current, name, value)
        current.full_clean()
        Provider.objects.filter(pk=current.pk).update(**changed, updated_at=timezone.now())
        record_event(
            actor=actor,
            action="provider.changed",
            object_type="boosts.provider",
            object_id=current.pk,
            before={name: before[name] for name in changed},
            after=changed,
            reason=reason,
            search_terms=[current.name],
        )
    current.refresh_from_db()
    return current


def _settings_of(provider: Provider, names) -> dict:
    return {name: getattr(provider, name) for name in names}
