"""``manage.py seed_demo``: two demo businesses with a year of history, their owners and an admin login."""

import logging
import os
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from programs.demo import demo_extensions_ensure
from programs.management.demo_seed import (
    demo_api_keys,
    demo_api_keys_ensure,
    demo_exists,
    demo_logins,
    demo_seed,
    demo_summary,
)
from programs.models import ApiKey, Card


class Command(BaseCommand):
    help = (
        "Create the demo world (Kvitka Fashion and Zerno Coffee, members and 12 months of purchases) through "
        "the engine's services. Idempotent: does nothing if the demo businesses exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=400, help="Members in all (5:3 fashion to coffee).")
        parser.add_argument("--days", type=int, default=365, help="Days of history before the end day.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed: the same seed, the same world.")
        parser.add_argument(
            "--end", type=date.fromisoformat, default=None, help="First day after the history (default: today)."
        )
        parser.add_argument("--summary", action="store_true", help="Only print the URL, the logins and the counts.")

    def handle(self, *args, **options):
        if options["members"] < 2 or options["days"] < 1:
            raise CommandError("Use at least 2 members and 1 day.")
        if not options["summary"]:
            if demo_exists():
                self.stdout.write("Demo data is already there; nothing changed.")
                if demo_api_keys_ensure():  # a demo seeded before the API had no keys yet
                    self.stdout.write("Added the demo API keys.")
            else:
                self.stdout.write(f"Seeding the demo: {options['members']} members, {options['days']} days of history…")
                started = time.monotonic()
                # Wagtail's reference-index task logs one line per saved config row; not news during a seed.
                logging.getLogger("django_tasks").setLevel(logging.WARNING)
                stats = demo_seed(
                    members=options["members"],
                    days=options["days"],
                    seed=options["seed"],
                    end=options["end"],
                    progress=self.stdout.write if options["verbosity"] >= 1 else None,
                )
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Seeded in {time.monotonic() - started:.1f} s: {stats.purchases:,} purchases, "
                        f"{stats.refunds:,} refunds, {stats.adjustments:,} staff adjustments."
                    )
                )
        exists = demo_exists()
        # What the apps built on the engine add (themes, portal sites, pages): every time, since each is idempotent.
        self.print_summary(exists=exists, extension_lines=demo_extensions_ensure() if exists else [])

    def print_summary(self, *, exists: bool, extension_lines: list[str]):
        write = self.stdout.write
        if exists:
            summary = demo_summary()
            write("")
            for program in summary["programs"]:
                tiers = ", ".join(f"{name} {count}" for name, count in program.tiers)
                write(
                    f"  {program.business} · {program.program}: {program.members:,} members"
                    + (f" ({tiers})" if tiers else "")
                    + f", {program.purchases:,} purchases, {program.stores} stores"
                )
            write(
                f"  members {summary['members']:,} · cards {summary['cards']:,} · purchases {summary['purchases']:,}"
                f" · refunds {summary['refunds']:,} · ledger entries {summary['ledger_entries']:,}"
            )
            write(
                f"  point redemptions {summary['redemptions']:,} · expiry entries {summary['expiry_entries']:,}"
                f" · stamp rewards {summary['rewards_issued']:,} ({summary['rewards_redeemed']:,} redeemed)"
                f" · tier changes {summary['tier_changes']:,}"
            )
        port = os.environ.get("PORT") or "8000"
        write("")
        write(self.style.MIGRATE_HEADING(f"Admin: http://localhost:{port}/admin/"))
        write("Logins (demo only; set DEMO_ADMIN_PASSWORD, DEMO_KVITKA_PASSWORD, DEMO_ZERNO_PASSWORD to change):")
        logins = demo_logins()
        width = max(len(f"{login.username} / {login.password}") for login in logins)
        for login in logins:
            write(f"  {f'{login.username} / {login.password}':<{width}}   {login.role}")
        self.print_api_keys(port)
        if extension_lines:
            write("")
            for line in extension_lines:
                write(line)

    def print_api_keys(self, port: str):
        write = self.stdout.write
        keys = [key for key in demo_api_keys() if ApiKey.objects.filter(prefix=key.prefix, revoked_at=None).exists()]
        if not keys:
            return
        write("")
        write(self.style.MIGRATE_HEADING(f"API: http://localhost:{port}/api/v1/docs/  (guide: docs/api.md)"))
        write("API keys (demo only; set DEMO_KVITKA_API_KEY, DEMO_ZERNO_API_KEY to change):")
        width = max(len(key.plaintext) for key in keys)
        for key in keys:
            write(f"  {key.plaintext:<{width}}   {key.name}")
        card = (
            Card.objects.filter(program__business__slug=keys[0].business, status="active")
            .order_by("-points_balance", "pk")
            .first()
        )
        if card is not None:
            write("Try:")
            write(
                f"  curl -H 'Authorization: Bearer {keys[0].plaintext}' "
                f"'http://localhost:{port}/api/v1/lookup/?card_number={card.number}'"
            )
