"""What the three sandbox panels sell, as the seeding migration and ensure_panel create it.

The view and like service ids are the ones the boosts Provider rows point at (legacy config);
each panel also lists a few services we never order, as real panels list hundreds.
"""

from __future__ import annotations

from decimal import Decimal

VIEWS_RATE = Decimal("0.05")  # USD per 1000
LIKES_RATE = Decimal("1.00")
OTHER_RATE = Decimal("2.40")
MIN_QUANTITY = 10
MAX_QUANTITY = 1_000_000
START_BALANCE = Decimal("50.00")
CURRENCY = "USD"

# panel name -> (views service id, likes service id, ids of the other services it lists)
PANELS: dict[str, tuple[int, int, tuple[int, ...]]] = {
    "plugsmms": (6073, 11023, (6074, 6075, 11024)),
    "smmflare": (8381, 8646, (8382, 8647, 8700)),
    "smmstone": (5480, 6662, (5481, 6663, 7001)),
}
# A panel created under another name (a test's own) sells these.
DEFAULT_SERVICES = (1001, 1002, (1003,))
OTHER_NAMES = ("X Reposts | Real", "Telegram Post Views", "X Followers | No refill")


def service_rows(name: str) -> list[dict]:
    """The services of panel NAME as SmmPanelService field values."""
    views, likes, others = PANELS.get(name, DEFAULT_SERVICES)
    rows = [
        _row(views, "X Views | Instant", "X Views", VIEWS_RATE, refill=False),
        _row(likes, "X Likes | Refill 30 days", "X Likes", LIKES_RATE, refill=True),
    ]
    for service_id, title in zip(others, OTHER_NAMES, strict=False):
        rows.append(_row(service_id, title, "Other", OTHER_RATE, refill=False))
    return rows


def service_ids(name: str) -> dict[str, int]:
    """{"views": id, "likes": id} of panel NAME, as a boosts Provider row holds them."""
    views, likes, _others = PANELS.get(name, DEFAULT_SERVICES)
    return {"views": views, "likes": likes}


def _row(service_id: int, title: str, category: str, rate: Decimal, *, refill: bool) -> dict:
    return {
        "service_id": service_id,
        "name": title,
        "type": "Default",
        "category": category,
        "rate": rate,
        "min_quantity": MIN_QUANTITY,
        "max_quantity": MAX_QUANTITY,
        "refill": refill,
        "cancel": True,
    }
