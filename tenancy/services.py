"""Tenancy services: the audit trail (one row per change with who, what, old and new values, and why) and who
works for which business.

Staff of a business get the "Business owners" group, which carries the admin access and model permissions;
``tenancy.permissions`` narrows them to their own businesses' rows.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
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


# --- Adding an owner in one step -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerAdded:
    user: object
    created: bool  # a new account (False: an existing account with that e-mail was given access)
    invited: bool  # a password-set e-mail is on its way


def _may_add_owner(*, actor: Actor, business: Business) -> bool:
    user = actor.user
    if user is None or not user.is_active:
        return False
    return user.is_superuser or business.staff.filter(pk=user.pk).exists()


@transaction.atomic
def business_owner_add(
    *,
    business: Business,
    email: str,
    actor: Actor,
    first_name: str = "",
    last_name: str = "",
    username: str = "",
    password: str | None = None,
    invite_base_url: str = "",
) -> OwnerAdded:
    """Make the person with ``email`` an owner (staff) of ``business`` in one step, audited.

    An account that already uses ``email`` is given access (``business_staff_add``), never duplicated. Otherwise a
    new account is made: with ``password`` it can sign in at once; without, its password is unusable and, after
    the commit, an invitation with a one-time password-set link (Django's token generator, valid
    ``PASSWORD_RESET_TIMEOUT``) is e-mailed, the link starting with ``invite_base_url``.

    Superusers may add owners to any business, a business's own staff to theirs (co-owners); anyone else raises
    ``PermissionDenied``. Raises ``ValidationError`` (keyed by field) for a taken username, a weak password or
    an e-mail several accounts share.
    """
    if not _may_add_owner(actor=actor, business=business):
        raise PermissionDenied
    User = get_user_model()
    email = User.objects.normalize_email((email or "").strip())
    existing = list(User.objects.filter(email__iexact=email)[:2]) if email else []
    if len(existing) > 1:
        raise ValidationError(
            {"email": _("Several accounts use this e-mail address. Ask an administrator to add the right one.")}
        )
    if existing:
        business_staff_add(business=business, user=existing[0], actor=actor)
        return OwnerAdded(user=existing[0], created=False, invited=False)
    user = User(username=(username or email).strip(), email=email, first_name=first_name, last_name=last_name)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(validate_unique=True)
    user.save()
    business_staff_add(business=business, user=user, actor=actor)
    if not password:
        audit_record(
            actor=actor,
            program=None,
            business=business,
            action=AuditAction.BUSINESS_OWNER_INVITE,
            obj=business,
            changes={"staff": (None, user.get_username())},
        )
        language = translation.get_language()
        inviter = actor.user.get_full_name() or actor.user.get_username()
        transaction.on_commit(
            lambda: owner_invitation_send(
                user=user, business=business, inviter=inviter, base_url=invite_base_url, language=language
            )
        )
    return OwnerAdded(user=user, created=True, invited=not password)


def owner_invitation_send(*, user, business: Business, inviter: str, base_url: str, language: str | None) -> None:
    """E-mail ``user`` the link that sets their password (Wagtail's password-reset confirmation page) and so
    opens their account. The token is single-use: setting the password changes what it was made from."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("wagtailadmin_password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})
    with translation.override(language):
        context = {
            "business": business.name,
            "inviter": inviter,
            "link": f"{base_url.rstrip('/')}{path}",
            "username": user.get_username(),
            "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        }
        subject = " ".join(render_to_string("tenancy/emails/owner_invitation_subject.txt", context).split())
        body = render_to_string("tenancy/emails/owner_invitation.txt", context)
    send_mail(subject, body, None, [user.email])
