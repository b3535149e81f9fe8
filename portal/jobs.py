"""The portal's daily clean-up: one-time codes and ended member sessions are kept only as long as they serve.

The limits look back an hour at most, so a code is worth nothing after a day; a session that expired or was signed
out is kept 30 days (when and where a member was signed in, should they ask), then forgotten."""

from datetime import timedelta

from django.db.models import Q

from portal.models import MemberSession, OneTimeCode
from programs import clock

SCHEDULES = {
    # name: (function path, schedule type, minutes)
    "kartka.portal_forget_old": ("portal.jobs.portal_forget_old", "D", None),
}
CODES_KEPT = timedelta(days=1)
SESSIONS_KEPT = timedelta(days=30)


def portal_forget_old() -> dict[str, int]:
    """Delete codes older than a day and sessions ended more than 30 days ago; how many of each."""
    now = clock.now()
    codes, _ = OneTimeCode.objects.filter(created_at__lt=now - CODES_KEPT).delete()
    ended = Q(revoked_at__lt=now - SESSIONS_KEPT) | Q(expires_at__lt=now - SESSIONS_KEPT)
    sessions, _ = MemberSession.objects.filter(ended).delete()
    return {"codes": codes, "sessions": sessions}
