"""``manage.py analytics_recompute``: rebuild the rollups of one program or all, for their whole history or a range
of days. Resumable: run it again with the same range after a stop and it goes on from the last finished chunk."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics import rollups
from programs.models import Program


class Command(BaseCommand):
    help = "Rebuild the analytics rollups from the engine's tables (resumable, idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--program", help="The program's slug (default: every program).")
        parser.add_argument("--first", type=date.fromisoformat, help="First day (default: the program's first).")
        parser.add_argument("--last", type=date.fromisoformat, help="Last day (default: the program's today).")
        parser.add_argument("--chunk-days", type=int, default=rollups.CHUNK_DAYS, help="Days per transaction.")

    def handle(self, *args, **options):
        programs = Program.objects.order_by("pk")
        if options["program"]:
            programs = programs.filter(slug=options["program"])
            if not programs.exists():
                raise CommandError(f"No program with the slug {options['program']!r}.")
        for program in programs:
            bounds = rollups.history_bounds(program)
            if bounds is None and not (options["first"] and options["last"]):
                self.stdout.write(f"{program.slug}: nothing to roll up.")
                continue
            first = options["first"] or bounds[0]
            last = options["last"] or bounds[1]
            if last < first:
                raise CommandError("--last is before --first.")
            result = rollups.rollups_recompute(
                program=program,
                first=first,
                last=last,
                chunk_days=options["chunk_days"],
                progress=lambda run: self.stdout.write(f"  {run.program_id}: up to {run.next_day}", ending="\r"),
            )
            resumed = " (resumed)" if result.resumed else ""
            self.stdout.write(f"{program.slug}: rolled up {first}..{last}, {result.days_done} days{resumed}.")
