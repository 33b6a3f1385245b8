"""`manage.py make_legacy_fixture`: write a synthetic, legacy-shaped set of the SQLite files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.legacy.fixture import build_legacy_set
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

    def handle(self, *args, **options):
        out = Path(options["out"])
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
