"""``manage.py wallet_check``: are the wallet credentials of this install and of each program usable?"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from programs.models import Program
from wallet.checks import apple_check, apple_source, google_check, google_source
from wallet.choices import CredentialSource

WARNING = "Warning:"
SOURCES = {CredentialSource.PROGRAM: "the program's own", CredentialSource.ENVIRONMENT: "from the environment"}


class Command(BaseCommand):
    help = (
        "Check the Apple Wallet and Google Wallet credentials: the install-wide ones (WALLET_* environment "
        "variables) and each program's own (set in the admin). Says what is wrong in plain words; exits with "
        "status 1 when anything configured is unusable (warnings alone exit 0)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--program", help="Only this program (its slug).")

    def handle(self, *args, **options):
        programs = Program.objects.select_related("wallet_config").order_by("pk")
        if options["program"]:
            programs = programs.filter(slug=options["program"])
            if not programs:
                raise CommandError(f"No program with the slug {options['program']!r}.")
        failed = False
        with translation.override("en"):
            targets = [(None, "Install-wide (environment)")] if not options["program"] else []
            targets += [(program, f"Program {program.slug}") for program in programs]
            for program, title in targets:
                self.stdout.write(self.style.MIGRATE_HEADING(title))
                for name, source_of, check in (
                    ("Apple Wallet", apple_source, apple_check),
                    ("Google Wallet", google_source, google_check),
                ):
                    source = source_of(program)
                    problems = check(program) if source != CredentialSource.NONE else []
                    errors = [problem for problem in problems if not problem.startswith(WARNING)]
                    if source == CredentialSource.NONE:
                        self.stdout.write(f"  {name}: not configured (its buttons don't show)")
                    elif not problems:
                        self.stdout.write(self.style.SUCCESS(f"  {name}: OK ({SOURCES[source]})"))
                    else:
                        style = self.style.ERROR if errors else self.style.WARNING
                        verdict = "problems" if errors else "warnings"
                        self.stdout.write(style(f"  {name}: {verdict} ({SOURCES[source]})"))
                    for problem in problems:
                        self.stdout.write(f"    - {problem}")
                    failed = failed or bool(errors)
        if failed:
            raise CommandError("Some wallet credentials are unusable; see above.", returncode=1)
