"""Tenancy services: the audit trail (one row per change with who, what, old and new values, and why) and who
works for which business.

Staff of a business get the "Business owners" group, which carries the admin access and model permissions;
``tenancy.permissions`` narrows them to their own businesses' rows.
"""

from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction

from programs import clock
from tenancy.models import AuditEvent, Business

# --- Audit trail ---------------------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def audit_record(
    *,
    actor,
    program,
    action: str,
    obj,
    changes: dict | None = None,
    reason: str = "",
    business=None,
    api_key=None,
) -> AuditEvent:
    """Write an audit row. ``changes`` maps a field to ``(old, new)``; values are stored as plain JSON.
    ``actor`` is the staff user (``None``: the system); ``api_key`` the key of a till or CRM that acted through the
    POS/CRM API."""
    business = business or program.business
    return AuditEvent.objects.create(
        business=business,
        program=program,
        actor=actor if getattr(actor, "pk", None) else None,
        api_key=api_key,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes={field: [_plain(old), _plain(new)] for field, (old, new) in (changes or {}).items()},
        reason=reason,
        created_at=clock.now(),
    )


# --- Businesses and their staff ------------------------------------------------------------------------------

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
