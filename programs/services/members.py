"""Members: enrolment, profile changes and the bonuses they trigger."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from programs import clock, outbox, payloads
from programs.choices import BalanceCause, CardStatus, EventType, RuleKind
from programs.errors import InvalidInput, MemberExists, ProgramInactive
from programs.models import CardType, Member, Program, Tier
from programs.services import ledger
from programs.services.cards import action_bonus_grant, card_issue_unannounced
from tenancy.actors import SYSTEM, Actor
from tenancy.choices import AuditAction
from tenancy.services import audit_record

PROFILE_FIELDS = ("first_name", "last_name", "email", "birth_date", "gender")
EDITABLE_FIELDS = (*PROFILE_FIELDS, "consent_email", "consent_sms", "consent_push", "consent_telegram")


def _profile_complete(member: Member) -> bool:
    return all(getattr(member, field) for field in PROFILE_FIELDS)


def _invalid(error: ValidationError) -> InvalidInput:
    return InvalidInput(_("Please correct the profile."), field_errors=error.message_dict)


@transaction.atomic
def member_create(
    *, program: Program, phone, card_types: list[CardType] | None = None, actor: Actor = SYSTEM, **profile
) -> Member:
    """Enrol a member in ``program`` and issue a card of each given card type (default: every active one).

    The member starts in the lowest tier. Raises ``MemberExists`` for a phone already enrolled and
    ``InvalidInput`` for an invalid phone or profile. Writes ``member.created``, then each card's
    ``card.issued``, to the outbox.
    """
    if not program.is_active:
        raise ProgramInactive()
    unknown = set(profile) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown profile fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    now = clock.now()
    member = Member(program=program, phone=phone, joined_at=now, **profile)
    member.tier = Tier.objects.filter(program=program, threshold=0).first()
    member.tier_achieved_at = now if member.tier else None
    try:
        member.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise _invalid(error) from error
    if Member.objects.filter(program=program, phone=member.phone).exists():
        raise MemberExists()
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as error:
        raise MemberExists() from error
    if _profile_complete(member):
        member.profile_completed_at = now
        member.save(update_fields=["profile_completed_at"])
    if card_types is None:
        today = clock.now().date()
        card_types = [ct for ct in program.card_types.filter(is_active=True) if ct.is_valid_on(today)]
    cards, issued = [], []
    for card_type in card_types:
        card, event = card_issue_unannounced(member=member, card_type=card_type, actor=actor)
        if member.profile_completed_at:
            card = ledger.cards_lock(card_ids=[card.pk])[card.pk]
            action_bonus_grant(card=card, kind=RuleKind.PROFILE_COMPLETED, at=now, actor=actor)
            ledger.card_save_balances(card=card, now=now, cause=BalanceCause.PROFILE_BONUS)
        cards.append(card)
        issued.append(event)
    audit_record(actor=actor, program=program, action=AuditAction.MEMBER_CREATE, obj=member)
    # The member is announced before their cards.
    created = outbox.event_new(
        type=EventType.MEMBER_CREATED,
        program_id=program.pk,
        member_id=member.pk,
        payload=payloads.member_created(member, cards),
        at=now,
        program=program,
    )
    outbox.events_record([created, *issued])
    return member


@transaction.atomic
def member_update(*, member: Member, actor: Actor = SYSTEM, **changes) -> Member:
    """Change a member's profile or consents; the first time the profile is complete, grant that bonus once.

    Raises ``InvalidInput`` for unknown fields or invalid values; nothing is saved then.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown profile fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    member = Member.objects.select_for_update().get(pk=member.pk)
    old = {field: getattr(member, field) for field in changes}
    for field, value in changes.items():
        setattr(member, field, value)
    try:
        member.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise _invalid(error) from error
    changed = {field: (old[field], getattr(member, field)) for field in changes if old[field] != getattr(member, field)}
    if not changed:
        return member
    member.save(update_fields=[*changed, "updated_at"])
    now = clock.now()
    if member.profile_completed_at is None and _profile_complete(member):
        member.profile_completed_at = now
        member.save(update_fields=["profile_completed_at"])
        card_ids = list(member.cards.exclude(status=CardStatus.REPLACED).values_list("pk", flat=True))
        for card in ledger.cards_lock(card_ids=card_ids).values():
            if action_bonus_grant(card=card, kind=RuleKind.PROFILE_COMPLETED, at=now, actor=actor):
                ledger.card_save_balances(card=card, now=now, cause=BalanceCause.PROFILE_BONUS)
    updated = outbox.event_new(
        type=EventType.MEMBER_UPDATED,
        program_id=member.program_id,
        member_id=member.pk,
        payload=payloads.member_updated(member, fields=list(changed)),
        at=now,
    )
    outbox.events_record([updated])
    audit_record(actor=actor, program=member.program, action=AuditAction.MEMBER_UPDATE, obj=member, changes=changed)
    return member
