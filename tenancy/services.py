"""Tenancy services: the audit trail (one row per change with who, what, old and new values, and why) and who
works for which business.

Staff of a business get the "Business owners" group, which carries the admin access and model permissions;
``tenancy.permissions`` narrows them to their own businesses' rows.
"""

from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission

from programs import clock
from tenancy.actors import SYSTEM, Actor
from tenancy.choices import AuditAction
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
    actor: Actor,
    program,
    action: AuditAction | str,
    obj,
    changes: dict | None = None,
    reason: str = "",
    business=None,
) -> AuditEvent:
    """Write an audit row: ``action`` (an ``AuditAction``) done by ``actor`` to ``obj``. ``changes`` maps a field
    to ``(old, new)``; values are stored as plain JSON."""
    action = AuditAction(action)  # an action the audit log cannot say in words is a programming error
    business = business or program.business
    return AuditEvent.objects.create(
        business=business,
        program=program,
        actor_kind=actor.kind,
        actor=actor.user,
        api_key=actor.api_key,
        member=actor.member,
        job=actor.job,
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

# What a business's staff group may do in the business's own collection (and nowhere else): upload, pick in the
# choosers and edit images and documents. Deleting stays with superusers, like every other tenant deletion of
# shared media. The same list is frozen in the data migration tenancy/0004.
WORKSPACE_COLLECTION_PERMISSIONS = (
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
)


def business_staff_group_name(business: Business) -> str:
    return f"Business staff: {business.slug}"


@transaction.atomic
def business_workspace_ensure(*, business: Business) -> Business:
    """Give ``business`` its own Wagtail collection and staff group (with the collection permissions of
    ``WORKSPACE_COLLECTION_PERMISSIONS``), if it has none yet. Idempotent; returns the business.

    Images and documents are scoped by collection permissions, so this is what keeps one business's media out of
    another's choosers.
    """
    business = Business.objects.select_for_update().get(pk=business.pk)
    changed = []
    if business.collection_id is None:
        # Wagtail's migration makes the root; a flushed database (transactional tests) has none.
        root = Collection.get_first_root_node() or Collection.add_root(name="Root")
        business.collection = root.add_child(name=business.name)
        changed.append("collection")
    if business.staff_group_id is None:
        business.staff_group, _ = Group.objects.get_or_create(name=business_staff_group_name(business))
        changed.append("staff_group")
    if changed:
        business.save(update_fields=changed)
        for app_label, codename in WORKSPACE_COLLECTION_PERMISSIONS:
            GroupCollectionPermission.objects.get_or_create(
                group=business.staff_group,
                collection=business.collection,
                permission=Permission.objects.get(content_type__app_label=app_label, codename=codename),
            )
        business.staff_group.user_set.add(*business.staff.all())
    return business


@transaction.atomic
def business_create(*, name: str, slug: str, actor: Actor) -> Business:
    """A new business with its workspace (``business_workspace_ensure``), audited. Staff are added afterwards with
    ``business_staff_add``. Raises ``ValidationError`` for an invalid or taken slug."""
    business = Business(name=name, slug=slug)
    business.full_clean()
    business.save()
    business = business_workspace_ensure(business=business)
    audit_record(
        actor=actor,
        program=None,
        business=business,
        action=AuditAction.BUSINESS_CREATE,
        obj=business,
        changes={"name": (None, name), "slug": (None, slug)},
    )
    return business


def business_owners_group() -> Group:
    """The group every business's staff belong to. Raises ``Group.DoesNotExist`` if migrations were not run."""
    return Group.objects.get(name=BUSINESS_OWNERS_GROUP)


@transaction.atomic
def business_staff_add(*, business: Business, user, actor: Actor = SYSTEM) -> None:
    """Give ``user`` access to ``business``: a staff member of it, in the "Business owners" group and the
    business's own staff group (its collection's images and documents).

    Idempotent: adding someone who is already staff changes nothing and writes no audit row.
    """
    business = business_workspace_ensure(business=business)
    if business.staff.filter(pk=user.pk).exists():
        user.groups.add(business_owners_group(), business.staff_group)
        return
    business.staff.add(user)
    user.groups.add(business_owners_group(), business.staff_group)
    audit_record(
        actor=actor,
        program=None,
        business=business,
        action=AuditAction.BUSINESS_STAFF_ADD,
        obj=business,
        changes={"staff": (None, user.get_username())},
    )


@transaction.atomic
def business_staff_remove(*, business: Business, user, actor: Actor = SYSTEM) -> None:
    """Take ``business`` away from ``user``; they leave the "Business owners" group once they serve no business.

    Superusers keep their powers whatever their groups. Idempotent like ``business_staff_add``.
    """
    if not business.staff.filter(pk=user.pk).exists():
        return
    business.staff.remove(user)
    if business.staff_group_id is not None:
        user.groups.remove(business.staff_group)
    if not user.businesses.exists():
        user.groups.remove(business_owners_group())
    audit_record(
        actor=actor,
        program=None,
        business=business,
        action=AuditAction.BUSINESS_STAFF_REMOVE,
        obj=business,
        changes={"staff": (user.get_username(), None)},
    )


@transaction.atomic
def business_staff_set(*, business: Business, users, actor: Actor) -> None:
    """Make ``users`` exactly the staff of ``business`` through ``business_staff_add`` / ``_remove``."""
    wanted = {user.pk: user for user in users}
    current = {user.pk: user for user in business.staff.all()}
    for pk in sorted(set(current) - set(wanted)):
        business_staff_remove(business=business, user=current[pk], actor=actor)
    for pk in sorted(set(wanted) - set(current)):
        business_staff_add(business=business, user=wanted[pk], actor=actor)
