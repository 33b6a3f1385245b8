"""Demo set-up for `make run`: the sandbox SMM panels as providers, and the bot's groups.

Only with SANDBOX on (seed_demo refuses production anyway). Idempotent: rows that exist are
left as staff changed them.
"""

from __future__ import annotations

from django.conf import settings

from apps.audit.actors import Actor
from apps.audit.services import record_event
from apps.boosts.models import Provider
from apps.bot.models import GroupRole, TelegramGroup

# (name, priority, view service id, like service id): the sandbox panels' own ids.
DEMO_PROVIDERS = [
    ("plugsmms", 1, 6073, 11023),
    ("smmflare", 2, 8381, 8646),
    ("smmstone", 3, 5480, 6662),
]
# (chat id, title, role, position)
DEMO_GROUPS = [
    (-1001000000100, "ViralCore admins (demo)", GroupRole.ADMIN, 0),
    (-1001000000101, "Comment group 1 (demo)", GroupRole.COMMENTS, 1),
    (-1001000000102, "Comment group 2 (demo)", GroupRole.COMMENTS, 2),
    (-1001000000103, "Comment group 3 (demo)", GroupRole.COMMENTS, 3),
    (-1001000000110, "Likes group (demo)", GroupRole.LIKES, 0),
]


def seed_demo_boosts() -> tuple[int, int]:
    """(providers created, groups created)."""
    if not settings.SANDBOX:
        return 0, 0
    providers = sum(_ensure_provider(*row) for row in DEMO_PROVIDERS)
    groups = sum(_ensure_group(*row) for row in DEMO_GROUPS)
    return providers, groups


def _ensure_provider(name: str, priority: int, views: int, likes: int) -> bool:
    provider, created = Provider.objects.get_or_create(
        name=name,
        defaults={
            "api_url": f"{settings.SANDBOX_BASE_URL}/smm/{name}/api/v2",
            "api_key_env": f"{name.upper()}_API_KEY",
            "priority": priority,
            "view_service_id": views,
            "like_service_id": likes,
        },
    )
    if created:
        record_event(
            actor=Actor.system("manage.py seed_demo"),
            action="provider.created",
            object_type="boosts.provider",
            object_id=provider.pk,
            after={"name": name, "api_url": provider.api_url, "services": provider.service_ids()},
        )
    return created


def _ensure_group(chat_id: int, title: str, role: str, position: int) -> bool:
    _, created = TelegramGroup.objects.get_or_create(
        chat_id=chat_id,
        defaults={"title": title, "chat_type": "supergroup", "role": role, "position": position},
    )
    return created
