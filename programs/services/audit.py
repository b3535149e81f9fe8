"""The staff audit trail: one row per change with who, what, old and new values, and why."""

from decimal import Decimal

from programs import clock
from programs.models import AuditEvent, Program


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
    program: Program | None,
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
