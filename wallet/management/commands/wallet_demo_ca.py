"""``manage.py wallet_demo_ca``: a demo Apple-shaped certificate chain, so passes can be built and checked locally."""

import shlex
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wallet.demo_ca import DEMO_PASS_TYPE_ID, DEMO_TEAM_ID, DEMO_WARNING, demo_ca_ensure


class Command(BaseCommand):
    help = (
        "Create, once, a Kartka DEMO certificate chain (root, WWDR-like intermediate, pass certificate for "
        f"{DEMO_PASS_TYPE_ID}) and print the WALLET_APPLE_* lines that use it. Passes signed with it verify with "
        f"openssl against the demo root; {DEMO_WARNING}. Prints a .env fragment: comments and VAR=value lines."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            type=Path,
            default=None,
            help="Where the files go (default: var/wallet-demo/ under the var directory).",
        )

    def handle(self, *args, **options):
        directory = (options["directory"] or Path(settings.VAR_DIR) / "wallet-demo").resolve()
        try:
            paths, created = demo_ca_ensure(directory)
        except FileExistsError as error:
            raise CommandError(f"{error}. Remove the directory to start again.") from error
        except OSError as error:
            raise CommandError(f"Cannot write the demo CA to {directory}: {error.strerror}") from error
        state = "made now" if created else "already there, left as they are"
        lines = [
            f"# Kartka DEMO Apple certificates in {directory} ({state}).",
            f"# Not issued by Apple: {DEMO_WARNING}. For building and checking passes locally only.",
            f"WALLET_APPLE_PASS_TYPE_ID={DEMO_PASS_TYPE_ID}",
            f"WALLET_APPLE_TEAM_ID={DEMO_TEAM_ID}",
            f"WALLET_APPLE_CERTIFICATE={shlex.quote(str(paths['pass.pem']))}",
            f"WALLET_APPLE_KEY={shlex.quote(str(paths['pass.key']))}",
            f"WALLET_APPLE_WWDR={shlex.quote(str(paths['wwdr.pem']))}",
            "# Check a pass's signature against the demo root (in the unzipped .pkpass):",
            "#   openssl smime -verify -binary -inform DER -in signature -content manifest.json "
            f"-CAfile {shlex.quote(str(paths['root.pem']))} -purpose any",
        ]
        self.stdout.write("\n".join(lines))
