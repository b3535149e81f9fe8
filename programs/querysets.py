"""Named filters: the vocabulary the services, selectors and admin share."""

from django.db import models
from django.db.models import F, Q


class ProgramQuerySet(models.QuerySet):
    def for_user(self, user):
        """Programs a staff user may see: all for superusers, their businesses' otherwise."""
        if not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(business__staff=user)


class MemberQuerySet(models.QuerySet):
    def search(self, query: str):
        """Match a phone (any format, by digits), a card number or a name fragment."""
        query = (query or "").strip()
        if not query:
            return self
        condition = Q(first_name__icontains=query) | Q(last_name__icontains=query) | Q(email__iexact=query)
        digits = "".join(ch for ch in query if ch.isdigit())
        if len(digits) >= 4:
            condition |= Q(phone__contains=digits) | Q(cards__number__startswith=digits)
        condition |= Q(cards__number__iexact=query)
        return self.filter(condition).distinct()


class CardQuerySet(models.QuerySet):
    def live(self):
        return self.exclude(status="replaced")


class LedgerEntryQuerySet(models.QuerySet):
    def for_card(self, card):
        return self.filter(card=card)

    def newest_first(self):
        return self.order_by("-created_at", "-id")


class LotQuerySet(models.QuerySet):
    def open(self):
        return self.filter(remaining__gt=0)

    def for_card(self, card, unit):
        return self.filter(card=card, unit=unit)

    def soonest_expiring_first(self):
        # Never-expiring lots go last; ties break by age so the order is stable.
        return self.order_by(F("expires_at").asc(nulls_last=True), "id")

    def spendable(self, at):
        """Open and not past expiry at ``at`` (lots past it count nowhere, even before the job closes them)."""
        return self.open().filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))

    def due(self, at):
        return self.open().filter(expires_at__lte=at)


class EarningRuleQuerySet(models.QuerySet):
    def active_on(self, day):
        return self.filter(
            Q(is_active=True),
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
        )
