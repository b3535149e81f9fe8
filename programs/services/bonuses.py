"""Scheduled action bonuses (birthdays)."""

import calendar
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from programs.choices import BalanceCause, CardStatus, RuleKind
from programs.models import EarningRule, Member, Program
from programs.services import ledger
from programs.services.cards import action_bonus_grant


def _birthday_filter(day) -> Q:
    condition = Q(birth_date__month=day.month, birth_date__day=day.day)
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        condition |= Q(birth_date__month=2, birth_date__day=29)  # leap-day birthdays are celebrated on the 28th
    return condition


def birthday_bonuses_grant(*, at: datetime) -> int:
    """Give the birthday bonus to members whose birthday is today in their program's zone, once a year.

    The year granted is stored on the member under a row lock, so overlapping runs can't give it twice.
    Returns how many members got a bonus.
    """
    granted = 0
    program_ids = EarningRule.objects.filter(kind=RuleKind.BIRTHDAY, is_active=True).values("program_id")
    for program in Program.objects.filter(is_active=True, pk__in=program_ids):
        today = at.astimezone(ZoneInfo(program.timezone)).date()
        members = (
            Member.objects.filter(program=program)
            .filter(_birthday_filter(today))
            .filter(Q(birthday_bonus_year__isnull=True) | Q(birthday_bonus_year__lt=today.year))
            .values_list("pk", flat=True)
        )
        for member_id in list(members):
            with transaction.atomic():
                member = Member.objects.select_for_update().get(pk=member_id)
                if member.birthday_bonus_year is not None and member.birthday_bonus_year >= today.year:
                    continue
                card_ids = member.cards.filter(status=CardStatus.ACTIVE).values_list("pk", flat=True)
                gave = False
                for card in ledger.cards_lock(card_ids=list(card_ids)).values():
                    if action_bonus_grant(card=card, kind=RuleKind.BIRTHDAY, at=at):
                        ledger.card_save_balances(card=card, now=at, cause=BalanceCause.BIRTHDAY_BONUS)
                        gave = True
                member.birthday_bonus_year = today.year
                member.save(update_fields=["birthday_bonus_year"])
                granted += gave
    return granted
