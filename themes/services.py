"""Writes on themes: create, save a draft, publish (only at WCAG AA contrast), unpublish, delete. Each runs in one
transaction and writes its audit row; Wagtail's own log is not written for themes (its site history report
would show one business's theme names to another), the audit trail is the one history.

The admin's snippet views use Wagtail's actions for the form and the revision, then call these for the audit row
and for publishing, so the contrast rule holds whichever way a theme is published.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import Revision

from tenancy.actors import Actor
from tenancy.choices import AuditAction
from tenancy.services import audit_record
from themes.colours import contrast_failures
from themes.models import Theme

# What an owner edits, in the order the audit log lists changes.
THEME_FIELDS = (
    "business",
    "name",
    "background_colour",
    "text_colour",
    "label_colour",
    "accent_colour",
    "on_accent_colour",
    "stamp_filled_colour",
    "stamp_empty_colour",
    "font",
    "logo",
    "icon",
    "strip",
    "stamp_icon",
    "website",
    "instagram",
    "facebook",
    "telegram",
    "phone",
)


def theme_snapshot(theme: Theme) -> dict:
    """The owner-editable values of ``theme`` as plain JSON values (image ids, phone as text)."""
    snapshot = {}
    for name in THEME_FIELDS:
        value = Theme._meta.get_field(name).value_from_object(theme)
        snapshot[name] = str(value) if name == "phone" and value else value
    return snapshot


def theme_changes(before: dict, after: dict) -> dict:
    return {
        name: (before.get(name), after.get(name))
        for name in THEME_FIELDS
        if before.get(name) != after.get(name)
        and not (before.get(name) in (None, "") and after.get(name) in (None, ""))
    }


def theme_contrast_error(theme) -> ValidationError | None:
    """The error that stops ``theme`` from being published (in the active language), or None when every pair in
    ``themes.colours.CONTRAST_PAIRS`` reaches 4.5:1."""
    failures = contrast_failures(theme)
    if not failures:
        return None
    pairs = "; ".join(f"{result.pair.label}: {result.ratio:.2f}:1" for result in failures)
    return ValidationError(
        _(
            "The theme can't be published: some text would be hard to read (at least 4.5:1 is needed). %(pairs)s. "
            "You can still save it as a draft."
        ),
        code="contrast",
        params={"pairs": pairs},
    )


def _audit(*, theme: Theme, actor: Actor, action: AuditAction, changes: dict) -> None:
    audit_record(actor=actor, program=None, business=theme.business, action=action, obj=theme, changes=changes)


@transaction.atomic
def theme_create(*, business, actor: Actor, name: str, publish: bool = False, **fields) -> Theme:
    """A new theme of ``business`` (a draft unless ``publish``), with its first revision. Raises
    ``ValidationError`` for invalid fields (colours, another business's or too small images) and, with
    ``publish``, for colours below AA contrast."""
    theme = Theme(business=business, name=name, live=False, **fields)
    theme.full_clean()
    theme.save()
    revision = theme.save_revision(user=actor.user, log_action=False)
    _audit(theme=theme, actor=actor, action=AuditAction.THEME_CREATE, changes=theme_changes({}, theme_snapshot(theme)))
    if publish:
        theme_publish(theme=theme, actor=actor, revision=revision)
    return theme


@transaction.atomic
def theme_save_draft(*, theme: Theme, actor: Actor, **fields) -> Revision:
    """Save ``fields`` as a new draft revision of ``theme``. A live theme's row (and so its tokens) stays as
    published until ``theme_publish``. Raises ``ValidationError`` for invalid fields; contrast is not checked."""
    draft = theme.get_latest_revision_as_object() if theme.pk else theme
    before = theme_snapshot(draft)
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.full_clean()
    if not draft.live:
        draft.save()
    revision = draft.save_revision(user=actor.user, log_action=False)
    theme_change_record(theme=draft, actor=actor, action=AuditAction.THEME_UPDATE, before=before)
    return revision


def theme_change_record(*, theme: Theme, actor: Actor, action: AuditAction, before: dict) -> None:
    """Audit a change the admin's snippet views made: the fields that differ from ``before`` (nothing is written
    for a save that changed nothing but is not a creation)."""
    changes = theme_changes(before, theme_snapshot(theme))
    if changes or action != AuditAction.THEME_UPDATE:
        _audit(theme=theme, actor=actor, action=action, changes=changes)


@transaction.atomic
def theme_publish(*, theme: Theme, actor: Actor, revision: Revision | None = None) -> Revision:
    """Make ``revision`` (by default the latest) of ``theme`` live: from now on every surface draws it
    (``theme_tokens`` changes ``version``). Raises ``ValidationError`` (code ``contrast``) when its text, labels
    or text on accent fall below 4.5:1, or its fields are invalid."""
    revision = revision or theme.latest_revision or theme.save_revision(user=actor.user, log_action=False)
    content = revision.as_object()
    error = theme_contrast_error(content)
    if error is not None:
        raise error
    content.full_clean()
    live = Theme.objects.get(pk=theme.pk)
    before = theme_snapshot(live) if live.live else {}
    revision.publish(user=actor.user, log_action=False, skip_permission_checks=True)
    theme.refresh_from_db()
    _audit(
        theme=theme,
        actor=actor,
        action=AuditAction.THEME_PUBLISH,
        changes=theme_changes(before, theme_snapshot(theme)),
    )
    return revision


@transaction.atomic
def theme_unpublish(*, theme: Theme, actor: Actor) -> Theme:
    """Take ``theme`` off: its programs are drawn in Kartka's default look until it is published again."""
    theme.unpublish(user=actor.user, log_action=False)
    _audit(theme=theme, actor=actor, action=AuditAction.THEME_UNPUBLISH, changes={})
    return theme


@transaction.atomic
def theme_delete(*, theme: Theme, actor: Actor) -> None:
    """Delete ``theme``; its programs fall back to the default look (``Program.theme`` is set to null)."""
    _audit(
        theme=theme,
        actor=actor,
        action=AuditAction.THEME_DELETE,
        changes=theme_changes(theme_snapshot(theme), {}),
    )
    theme.delete()


@transaction.atomic
def theme_program_assign(*, program, theme: Theme | None, actor: Actor):
    """Draw ``program`` in ``theme`` (``None``: Kartka's default look). Raises ``ValidationError`` for a theme of
    another business. The admin's program form sets the same field through the builder's audited edit view."""
    if theme is not None and theme.business_id != program.business_id:
        raise ValidationError({"theme": _("Choose one of this business's themes.")})
    old = program.theme_id
    program.theme = theme
    program.save(update_fields=["theme"])
    audit_record(
        actor=actor,
        program=program,
        action=AuditAction.PROGRAM_UPDATE,
        obj=program,
        changes={"theme": (old, program.theme_id)},
    )
    return program
