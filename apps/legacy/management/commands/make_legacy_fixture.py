"""`manage.py make_legacy_fixture`: write a synthetic, legacy-shaped set of the SQLite files."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.legacy.fixture import build_legacy_set, extend_legacy_set
from apps.legacy.fixture.schema import CUSTOM_PLANS_SHAPES


class Command(BaseCommand):
    help = (
        "Write viralcore.db, tweets.db, tg.db, groups.db and custom.db (fully synthetic, "
        "legacy DDL) plus facts.json into --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="target directory (created if missing)")
        parser.add_argument("--users", type=int, default=2000, help="about 12 rows per user")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--custom-plans-shape", choices=CUSTOM_PLANS_SHAPES, default="altered")
        parser.add_argument(
            "--force", action="store_true", help="overwrite a directory that already holds .db"
        )
        parser.add_argument(
            "--next-day",
            action="store_true",
            help="add a day of the old bot's activity to the set in --out (new users, purchases, "
            "a commission, a withdrawal finished and a new one pending): for trying --since",
        )

    def handle(self, *args, **options):
        out = Path(options["out"])
        if options["next_day"]:
            self._next_day(out, options)
            return
        existing = sorted(p.name for p in out.glob("*.db")) if out.is_dir() else []
        if existing and not options["force"]:
            raise CommandError(
                f"{out} already holds {', '.join(existing)}; pass --force to overwrite."
            )
        if options["users"] < 4:
            raise CommandError("--users must be at least 4")
        facts = build_legacy_set(
            out,
            users=options["users"],
            seed=options["seed"],
            custom_plans_shape=options["custom_plans_shape"],
        )
        width = max(len(key) for key in facts["tables"])
        for key, count in facts["tables"].items():
            self.stdout.write(f"{key:<{width}}  {count:>9}")
        self.stdout.write(self.style.SUCCESS(f"{'total':<{width}}  {facts['total_rows']:>9}"))

    def _next_day(self, out: Path, options) -> None:
        if not (out / "facts.json").exists():
            raise CommandError(f"{out} holds no generated set (no facts.json) to extend.")
        # Each day is different: a fixed seed would draw the same "new" rows again.
        new_users = max(options["users"] // 100, 5)
        facts = extend_legacy_set(out, new_users=new_users, seed=time.time_ns() % 1_000_000)
        for key, ids in facts["added"].items():
            self.stdout.write(f"added {len(ids):>5} rows to {key}")
        for key, ids in facts["changed"].items():
            self.stdout.write(f"changed {len(ids):>3} rows of {key}")
