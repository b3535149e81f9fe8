"""The portal's daily clean-up forgets old codes and long-ended sessions, and nothing that is still of use."""

from datetime import timedelta

import pytest

from portal.jobs import portal_forget_old
from portal.models import MemberSession, OneTimeCode
from portal.services import session_start, token_hash
from programs import clock
from tests.portal.conftest import ask_code

pytestmark = pytest.mark.django_db


def test_old_codes_and_long_ended_sessions_are_forgotten(alpha, visitor):
    now = clock.now()
    with clock.travel(now - timedelta(days=2)):
        ask_code(visitor, "+380501000001")
    ask_code(visitor, "+380501000002")
    ended = session_start(member=alpha.member)
    MemberSession.objects.filter(key_hash=token_hash(ended)).update(revoked_at=now - timedelta(days=31))
    signed_out_lately = session_start(member=alpha.member)
    MemberSession.objects.filter(key_hash=token_hash(signed_out_lately)).update(revoked_at=now - timedelta(days=3))
    live = session_start(member=alpha.member)

    assert portal_forget_old() == {"codes": 1, "sessions": 1}
    assert list(OneTimeCode.objects.values_list("phone", flat=True)) == ["+380501000002"]
    kept = set(MemberSession.objects.values_list("key_hash", flat=True))
    assert kept == {token_hash(signed_out_lately), token_hash(live)}
    assert portal_forget_old() == {"codes": 0, "sessions": 0}
