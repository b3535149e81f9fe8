"""Column helpers shared by the engine's models: money, points, percentages, the acting staff user."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")
PERCENT_VALIDATORS = [MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))]
NON_NEGATIVE = [MinValueValidator(ZERO)]


def money_field(verbose_name, **kwargs):
    kwargs.setdefault("default", ZERO)
    kwargs.setdefault("validators", NON_NEGATIVE)
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


def points_field(verbose_name, **kwargs):
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


def api_key_field(**kwargs):
    """The POS/CRM API key a till or CRM used to make a row (``None``: not through the API); the row stays if the
    key is deleted."""
    return models.ForeignKey(
        "programs.ApiKey",
        verbose_name=_("API key"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        **kwargs,
    )


def actor_field(**kwargs):
    """The staff user behind a row (``None``: the system, a job or a till); the row stays if the user is deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        **kwargs,
    )


def percent_field(verbose_name, **kwargs):
    kwargs.setdefault("validators", PERCENT_VALIDATORS)
    return models.DecimalField(verbose_name, max_digits=5, decimal_places=2, **kwargs)


def config_token_new() -> int:
    return secrets.randbits(62)


def csv_values(text: str) -> list[str]:
    """Comma-separated editor input (categories, SKUs) as a clean, case-folded list."""
    return [item.strip().casefold() for item in (text or "").split(",") if item.strip()]
