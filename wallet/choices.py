"""Choices of the wallet app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CredentialSource(models.TextChoices):
    """Where a program's credentials for one wallet come from (``wallet.credentials`` decides, in this order)."""

    PROGRAM = "program", _("From the program")
    ENVIRONMENT = "environment", _("From the environment")
    NONE = "none", _("Not configured")
