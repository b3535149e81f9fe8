"""Businesses: who works for which tenant. Staff of a business get the "Business owners" group, which carries the
admin access and model permissions; ``programs.permissions`` narrows them to their own businesses' rows."""

from django.contrib.auth.models import Group
from django.db import transaction

from programs.models import Business
from programs.services.audit import audit_record

# Created with its permissions by the data migration programs/0002_business_owners_group.
BUSINESS_OWNERS_GROUP = "Business owners"


def business_owners_group() -> Group:
    """The group every business's staff belong to. Raises ``Group.DoesNotExist`` if migrations were not run."""
    return Group.objects.get(name=BUSINESS_OWNERS_GROUP)


@transaction.atomic
def business_staff_add(*, business: Business, user, actor=None) -> None:
    """Give ``user`` access to ``business``: a staff member of it, in the "Business owners" group.

    Idempotent: adding someone who is already staff changes nothing and writes no audit row.
    """
    if business.staff.filter(pk=user.pk).exists():
        user.groups.add(business_owners_group())
        return
    business.staff.add(user)
    user.groups.add(business_owners_group())
    audit_record(
        actor=actor,
        program=None,
        business=business,
        action="business.staff_add",
        obj=business,
        changes={"staff": (None, user.get_username())},
    )


@transaction.atomic
def business_staff_remove(*, business: Business, user, actor=None) -> None:
    """Take ``business`` away from ``user``; they leave the "Business owners" group once they serve no business.

    Superusers keep their powers whatever their groups. Idempotent like ``business_staff_add``.
    """
    if not business.staff.filter(pk=user.pk).exists():
        return
    business.staff.remove(user)
    if not user.businesses.exists():
        user.groups.remove(business_owners_group())
    audit_record(
        actor=actor,
        program=None,
        business=business,
        action="business.staff_remove",
        obj=business,
        changes={"staff": (user.get_username(), None)},
    )


@transaction.atomic
def business_staff_set(*, business: Business, users, actor=None) -> None:
    """Make ``users`` exactly the staff of ``business`` through ``business_staff_add`` / ``_remove``."""
    wanted = {user.pk: user for user in users}
    current = {user.pk: user for user in business.staff.all()}
    for pk in sorted(set(current) - set(wanted)):
        business_staff_remove(business=business, user=current[pk], actor=actor)
    for pk in sorted(set(wanted) - set(current)):
        business_staff_add(business=business, user=wanted[pk], actor=actor)
