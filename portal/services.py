"""Signing customers in: one-time codes, sign-up, member sessions and consents.

The seven ways in (DESIGN: a phone or a card number, a member or not yet) come down to three steps:

1. ``code_send``: a code goes to a phone — the one typed, or the one linked to the card typed. Nothing here says
   whether a phone belongs to a member: a code is sent (or refused by a limit) the same way for any number.
2. ``code_verify``: the browser that asked types the code.
3. ``code_member`` tells who the verified phone or card belongs to; ``sign_up_complete`` enrols a new member (with
   a virtual card of each active card type) or records an existing one's first consent to the terms, and
   ``session_start`` opens the member's session. A phone is one member per program (a database constraint), so no
   path makes a second one.

Codes are stored as keyed hashes (HMAC with ``SECRET_KEY``); session keys as SHA-256 hashes. No phone number,
code or key is ever logged.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import delivery
from portal.models import CodePurpose, ConsentKind, ConsentRecord, MemberSession, OneTimeCode
from programs import clock
from programs.errors import MemberExists, ProgramInactive
from programs.models import Card, Member, Program
from programs.selectors import member_get_by_phone
from programs.services.members import member_create, member_update
from tenancy.actors import Actor

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
# How long a verified code may wait for the sign-up form to be sent.
SIGN_UP_WINDOW = timedelta(minutes=15)
PREFIX_DIGITS = 8  # "+" and 7 digits: the country and operator codes of most numbering plans
CHANNELS = (ConsentKind.EMAIL, ConsentKind.SMS, ConsentKind.PUSH, ConsentKind.TELEGRAM)


class PortalError(Exception):
    """A refusal the customer reads, in their language."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Throttled(PortalError):
    """A limit was reached: try again in ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _code_hash(code: str, browser_hash: str) -> str:
    return salted_hmac("kartka.portal.code", f"{browser_hash}:{code}", algorithm="sha256").hexdigest()


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = -(-seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def resend_wait(*, program: Program, phone: str, now=None) -> int:
    """Seconds before another code may go to ``phone`` (0: now): ``KARTKA_PORTAL_RESEND_SECONDS`` after the last
    one, doubled for every further code sent to it in the last hour (60 s, 2 min, 4 min…)."""
    now = now or clock.now()
    recent = list(
        OneTimeCode.objects.filter(program=program, phone=phone, created_at__gt=now - HOUR)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:20]
    )
    if not recent:
        return 0
    wait = settings.KARTKA_PORTAL_RESEND_SECONDS * 2 ** (len(recent) - 1)
    remaining = (recent[0] + timedelta(seconds=wait) - now).total_seconds()
    return max(0, int(remaining + 0.999))


def _oldest_in_hour_wait(queryset, now) -> int:
    """Seconds until the oldest of the last hour's rows in ``queryset`` leaves the hour."""
    oldest = queryset.order_by("created_at").values_list("created_at", flat=True).first()
    return max(1, int((oldest + HOUR - now).total_seconds() + 0.999)) if oldest else 1


def _limits_check(*, program: Program, phone: str, prefix: str, ip: str | None, now) -> None:
    hour = OneTimeCode.objects.filter(created_at__gt=now - HOUR)
    by_phone = hour.filter(program=program, phone=phone)
    if by_phone.count() >= settings.KARTKA_PORTAL_LIMIT_PHONE:
        wait = _oldest_in_hour_wait(by_phone, now)
        raise Throttled(
            _("Too many codes were sent to this number. Try again in %(wait)s.") % {"wait": _wait_text(wait)},
            retry_after=wait,
        )
    if ip:
        by_ip = hour.filter(ip=ip)
        if by_ip.count() >= settings.KARTKA_PORTAL_LIMIT_IP:
            wait = _oldest_in_hour_wait(by_ip, now)
            raise Throttled(
                _("Too many codes were asked for from your network. Try again in %(wait)s.")
                % {"wait": _wait_text(wait)},
                retry_after=wait,
            )
    by_prefix = hour.filter(prefix=prefix)
    if by_prefix.count() >= settings.KARTKA_PORTAL_LIMIT_PREFIX:
        wait = _oldest_in_hour_wait(by_prefix, now)
        raise Throttled(
            _("We are sending too many codes to numbers like this one. Try again in %(wait)s.")
            % {"wait": _wait_text(wait)},
            retry_after=wait,
        )
    wait = resend_wait(program=program, phone=phone, now=now)
    if wait:
        raise Throttled(
            _("A code was just sent to this number. You can ask for a new one in %(wait)s.")
            % {"wait": _wait_text(wait)},
            retry_after=wait,
        )


@dataclass(frozen=True)
class CodeSent:
    code: OneTimeCode
    browser_token: str  # the new token for the browser's cookie (the code is bound to it)


def code_send(
    *,
    program: Program,
    host: str,
    language: str,
    phone: str = "",
    card: Card | None = None,
    ip: str | None = None,
    browser_token: str = "",
) -> CodeSent:
    """Send a code to ``phone`` (E.164) or to the phone of ``card``'s member, for the browser holding
    ``browser_token`` (a new token is made and returned; the codes the old one asked for are superseded).

    Raises ``Throttled`` when a limit is reached, ``PortalError`` when nothing could be sent. Writes the code's
    row only once it was handed to the delivery backend.
    """
    if not program.is_active:
        raise PortalError(_("This program is closed: signing in is not possible."))
    if card is not None:
        phone = str(card.member.phone)
    prefix = phone[:PREFIX_DIGITS]
    now = clock.now()
    _limits_check(program=program, phone=phone, prefix=prefix, ip=ip, now=now)
    try:
        delivered = delivery.code_deliver(
            delivery.CodeRequest(phone=phone, program_name=program.name, host=host, language=language)
        )
    except delivery.DeliveryFailed as error:
        logger.warning("portal: no code sent for program %s: %s", program.pk, error)
        raise PortalError(_("We could not send the code right now. Please try again in a minute.")) from error
    new_token = secrets.token_urlsafe(32)
    browser = token_hash(new_token)
    with transaction.atomic():
        if browser_token:
            OneTimeCode.objects.filter(browser_hash=token_hash(browser_token), used_at__isnull=True).update(
                superseded=True
            )
        code = OneTimeCode.objects.create(
            program=program,
            purpose=CodePurpose.CARD if card is not None else CodePurpose.PHONE,
            phone=phone,
            prefix=prefix,
            card=card,
            browser_hash=browser,
            code_hash=_code_hash(delivered.code, browser),
            channel=delivered.channel,
            ip=ip,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.KARTKA_PORTAL_CODE_SECONDS),
        )
    logger.info("portal: code %s sent by %s for program %s", code.pk, delivered.channel, program.pk)
    return CodeSent(code=code, browser_token=new_token)


def code_pending(*, program: Program, browser_token: str) -> OneTimeCode | None:
    """The latest code this browser asked for in ``program`` and has not used up (expired or not)."""
    if not browser_token:
        return None
    return (
        OneTimeCode.objects.filter(
            program=program, browser_hash=token_hash(browser_token), superseded=False, used_at__isnull=True
        )
        .select_related("card")
        .order_by("-created_at")
        .first()
    )


def code_verify(*, program: Program, browser_token: str, code: str, ip: str | None = None) -> OneTimeCode:
    """Check the code the browser typed. A code allows ``KARTKA_PORTAL_CODE_ATTEMPTS`` wrong tries, then even the
    right code is refused; an IP address ``KARTKA_PORTAL_LIMIT_IP_FAILURES`` wrong codes an hour. Raises
    ``PortalError``/``Throttled`` with what to do; returns the verified code's row."""
    now = clock.now()
    pending = code_pending(program=program, browser_token=browser_token)
    if pending is None:
        raise PortalError(_("This code is no longer valid. Ask for a new one."))
    if pending.verified_at is not None:
        return pending
    if pending.expires_at <= now:
        raise PortalError(_("The code has expired. Ask for a new one."))
    limit = settings.KARTKA_PORTAL_CODE_ATTEMPTS
    if pending.attempts >= limit:
        raise PortalError(_("Too many wrong codes. Ask for a new one."))
    if ip:
        failures = OneTimeCode.objects.filter(ip=ip, created_at__gt=now - HOUR).aggregate(total=Sum("attempts"))
        if (failures["total"] or 0) >= settings.KARTKA_PORTAL_LIMIT_IP_FAILURES:
            raise Throttled(_("Too many wrong codes from your network. Try again in an hour."), retry_after=3600)
    typed = "".join(char for char in (code or "") if char in "0123456789")
    if typed and constant_time_compare(_code_hash(typed, pending.browser_hash), pending.code_hash):
        OneTimeCode.objects.filter(pk=pending.pk, verified_at__isnull=True).update(verified_at=now)
        pending.verified_at = now
        return pending
    OneTimeCode.objects.filter(pk=pending.pk).update(attempts=F("attempts") + 1)
    left = limit - pending.attempts - 1
    if left <= 0:
        raise PortalError(_("Too many wrong codes. Ask for a new one."))
    raise PortalError(
        ngettext("Wrong code. %(count)d try left.", "Wrong code. %(count)d tries left.", left) % {"count": left},
        field="code",
    )


def code_verified(*, program: Program, browser_token: str) -> OneTimeCode | None:
    """The browser's verified, unused code if it was verified recently enough to finish signing up with."""
    pending = code_pending(program=program, browser_token=browser_token)
    if pending is None or pending.verified_at is None or pending.verified_at < clock.now() - SIGN_UP_WINDOW:
        return None
    return pending


def code_member(code: OneTimeCode) -> Member | None:
    """Who the verified code proves to be: the card's member (sign-in by card), else the member with the phone."""
    if code.card_id is not None:
        return Member.objects.select_related("tier").get(pk=code.card.member_id)
    return member_get_by_phone(program=code.program, phone=code.phone)


def terms_accepted(member: Member) -> bool:
    return ConsentRecord.objects.filter(member=member, kind=ConsentKind.TERMS, granted=True).exists()


def _code_use(code: OneTimeCode) -> None:
    if not OneTimeCode.objects.filter(pk=code.pk, used_at__isnull=True).update(used_at=clock.now()):
        raise PortalError(_("This code is no longer valid. Ask for a new one."))


@transaction.atomic
def sign_up_complete(
    *, code: OneTimeCode, terms_url: str, terms_revision: int | None = None, first_name: str = ""
) -> Member:
    """Finish signing in with a verified ``code`` for a customer who has not accepted the program's terms yet:
    enrol them if the phone is nobody's (a virtual card of each active card type), and record their consent to
    the terms with its time. Uses the code up. Raises ``PortalError`` for a code that can't be used any more."""
    _code_use(code)
    program = code.program
    member = code_member(code)
    now = clock.now()
    if member is None:
        profile = {"first_name": first_name.strip()[:100]} if first_name.strip() else {}
        try:
            with transaction.atomic():
                member = member_create(
                    program=program, phone=code.phone, actor=Actor.system("portal sign-up"), **profile
                )
        except MemberExists:
            # Enrolled a moment ago (a till, another tab): the same member, never a second one.
            member = member_get_by_phone(program=program, phone=code.phone)
        except ProgramInactive as error:
            raise PortalError(_("This program is closed: new members can't join.")) from error
    elif first_name.strip() and not member.first_name:
        member = member_update(member=member, first_name=first_name.strip()[:100], actor=Actor.customer(member))
    ConsentRecord.objects.create(
        program=program,
        member=member,
        kind=ConsentKind.TERMS,
        granted=True,
        page_url=terms_url[:300],
        page_revision=terms_revision,
        created_at=now,
    )
    return member


def code_sign_in(*, code: OneTimeCode) -> Member:
    """Use a verified code of a member who has accepted the terms: who signs in."""
    member = code_member(code)
    if member is None or not terms_accepted(member):
        raise PortalError(_("Please accept the program's terms first."))
    _code_use(code)
    return member


def session_start(*, member: Member, user_agent: str = "", previous_key: str = "") -> str:
    """Open a session for ``member`` and return its key (for the cookie). A session the browser already had is
    revoked: a new key at every sign-in, so a key planted before sign-in is worth nothing after it."""
    now = clock.now()
    if previous_key:
        MemberSession.objects.filter(key_hash=token_hash(previous_key), revoked_at__isnull=True).update(revoked_at=now)
    key = secrets.token_urlsafe(32)
    MemberSession.objects.create(
        program_id=member.program_id,
        member=member,
        key_hash=token_hash(key),
        user_agent=user_agent[:200],
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=settings.KARTKA_PORTAL_SESSION_DAYS),
    )
    return key


def session_get(*, program_id: int, key: str) -> MemberSession | None:
    """The live session of ``key`` in ``program_id`` with its member, the member's tier and the program (one
    query); ``None`` for an unknown, expired or revoked key or one of another program. Slides the expiry at most
    once a day."""
    if not key:
        return None
    now = clock.now()
    # The key hash is unique: no ORDER BY (``first()`` would add one, a tenth of this query's cost to compile).
    found = MemberSession.objects.filter(
        key_hash=token_hash(key), program_id=program_id, revoked_at__isnull=True, expires_at__gt=now
    ).select_related("member", "member__tier", "program")[:1]
    session = next(iter(found), None)
    if session is not None and now - session.last_seen_at > timedelta(days=1):
        expires = now + timedelta(days=settings.KARTKA_PORTAL_SESSION_DAYS)
        MemberSession.objects.filter(pk=session.pk).update(last_seen_at=now, expires_at=expires)
        session.last_seen_at, session.expires_at = now, expires
    return session


def session_end(session: MemberSession) -> None:
    MemberSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(revoked_at=clock.now())


def sessions_end_all(member: Member) -> int:
    """Sign ``member`` out everywhere: every open session revoked. Returns how many."""
    return MemberSession.objects.filter(member=member, revoked_at__isnull=True).update(revoked_at=clock.now())


@transaction.atomic
def channels_set(*, member: Member, channels: dict[str, bool]) -> Member:
    """Set the member's channel preferences (``{"email": True, …}``) as the member chose them in the portal: each
    change is recorded with its time."""
    changes = {f"consent_{kind}": bool(value) for kind, value in channels.items() if kind in CHANNELS}
    changed = {field: value for field, value in changes.items() if getattr(member, field) != value}
    if not changed:
        return member
    member = member_update(member=member, actor=Actor.customer(member), **changed)
    now = clock.now()
    ConsentRecord.objects.bulk_create(
        ConsentRecord(
            program_id=member.program_id,
            member=member,
            kind=field.removeprefix("consent_"),
            granted=value,
            created_at=now,
        )
        for field, value in changed.items()
    )
    return member


def channels_since(member: Member) -> dict[str, object]:
    """When each channel preference was last set in the portal (kind → time), for "since …" under each."""
    since = {}
    for kind, at in ConsentRecord.objects.filter(member=member, kind__in=CHANNELS).values_list("kind", "created_at"):
        since.setdefault(kind, at)
    return since


def phone_hint(phone: str) -> str:
    """What the customer sees of the phone a code went to: its last two digits."""
    return f"•• {phone[-2:]}" if phone else ""
