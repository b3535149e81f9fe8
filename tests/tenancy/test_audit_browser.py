"""The audit log as an owner reads it, in a real browser, in each admin language."""

import pytest

from tests.browser import admin_login, screenshots
from tests.programs.admin_support import build_tenant

# The live server answers from another thread, so the data must be committed; serialized_rollback restores what
# the data migrations wrote (groups, collections) after the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HEADINGS = {"en": "What happened", "ru": "Что произошло", "uk": "Що сталося"}


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_owner_reads_the_audit_log_in_words(page, live_server, language):
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    admin_login(page, live_server, tenant.owner, language=language)
    page.goto(f"{live_server.url}/admin/loyalty/audit/")
    screenshots(page, f"audit-log-{language}")
    body = page.locator("main").inner_text()
    assert HEADINGS[language] in body
