"""Portal sites: one Wagtail ``Site`` per program, rooted at the program's ``PortalHomePage``, editable by the
program's business staff and nobody else."""

import re

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import GroupPagePermission, Page, Site

from pages.models import PortalHomePage, portal_language_default
from programs.errors import InvalidInput
from programs.models import Program
from tenancy.actors import Actor
from tenancy.choices import AuditAction
from tenancy.services import audit_record, business_workspace_ensure

# A DNS name (letters, digits and hyphens in dot-separated labels), lower case, no scheme, port or path.
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
# What a business's staff group may do on its programs' portal pages (Wagtail's page permission codenames).
STAFF_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")


def portal_site_for(program: Program) -> Site | None:
    """The ``Site`` whose root is ``program``'s portal home, or ``None`` when the program has no portal yet."""
    return (
        Site.objects.filter(root_page__portalhomepage__program=program)
        .select_related("root_page")
        .order_by("pk")
        .first()
    )


def portal_home_for(program: Program) -> PortalHomePage | None:
    """``program``'s portal home page, or ``None``."""
    return PortalHomePage.objects.filter(program=program).first()


def portal_permissions_ensure(*, home: PortalHomePage) -> None:
    """Let the staff of ``home``'s business add, edit and publish the home and the pages under it (and nothing
    else in the page tree). Idempotent: also what brings programs whose home predates it up to date."""
    business = business_workspace_ensure(business=home.program.business)
    permissions = Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=STAFF_PAGE_PERMISSIONS)
    for permission in permissions:
        GroupPagePermission.objects.get_or_create(group=business.staff_group, page=home, permission=permission)


def _hostname_clean(hostname: str) -> str:
    hostname = (hostname or "").strip().lower().rstrip(".")
    if not HOSTNAME.match(hostname):
        raise InvalidInput(
            _("Enter a host name such as club.example.com (no http://, port or path)."), field="hostname"
        )
    if Site.objects.filter(hostname=hostname).exists():
        raise InvalidInput(_("Another site already answers to this host name."), field="hostname")
    return hostname


@transaction.atomic
def portal_site_create(
    *,
    program: Program,
    hostname: str,
    port: int = 80,
    actor: Actor,
    language: str | None = None,
    title: str = "",
) -> Site:
    """Give ``program`` its portal: a published ``PortalHomePage`` directly under the tree's root and a ``Site``
    for it at ``hostname`` (lower-cased; unique among sites whatever the port, so a site is found by its host
    name alone behind a proxy), editable by the business's staff (``portal_permissions_ensure``). Audited.

    One transaction: a refusal or a failure leaves no page, site or permission behind. Raises ``InvalidInput``
    for a malformed or taken host name, a bad port, or a program that already has a portal.
    """
    program = Program.objects.select_for_update().select_related("business").get(pk=program.pk)
    if PortalHomePage.objects.filter(program=program).exists():
        raise InvalidInput(_("This program already has a portal."), field="program")
    hostname = _hostname_clean(hostname)
    if not (isinstance(port, int) and 0 < port < 65536):
        raise InvalidInput(_("The port must be a number from 1 to 65535."), field="port")
    root = Page.get_first_root_node()
    home = PortalHomePage(
        title=title or program.name,
        slug=f"portal-{program.slug}",
        program=program,
        language=language or portal_language_default(),
    )
    root.add_child(instance=home)
    revision = home.save_revision(user=actor.user, log_action=True)
    # Whether the actor may give the program a portal is the caller's check (an operator's screen, the launch
    # wizard for a business's owner); the page permissions it would test are only granted below.
    revision.publish(user=actor.user, skip_permission_checks=True)
    home.refresh_from_db()
    site = Site(hostname=hostname, port=port, root_page=home, site_name=program.name, is_default_site=False)
    site.full_clean()
    site.save()
    portal_permissions_ensure(home=home)
    audit_record(
        actor=actor,
        program=program,
        action=AuditAction.PORTAL_SITE_CREATE,
        obj=site,
        changes={"hostname": (None, hostname), "port": (None, port), "home": (None, home.pk)},
    )
    return site
