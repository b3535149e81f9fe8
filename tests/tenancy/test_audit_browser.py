"""The audit log as an owner reads it, in a real browser, in each admin language: what happened, who did it and
what changed, in words."""

import pytest

from programs.services.api_keys import api_key_create
from programs.services.cards import card_block
from tenancy.actors import Actor
from tests.browser import admin_login, screenshots
from tests.programs.admin_support import build_tenant

# The live server answers from another thread, so the data must be committed; serialized_rollback restores what
# the data migrations wrote (groups, collections) after the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WORDS = {
    "en": ["What happened", "Balance adjusted", "Points: 10.00 → 50.00", "Card blocked", "API key “Front till”"],
    "ru": [
        "Что произошло",
        "Баланс скорректирован",
        "Баллы: 10,00 → 50,00",
        "Карта заблокирована",
        "API-ключ «Front till»",
    ],
    "uk": ["Що сталося", "Баланс скориговано", "Бали: 10,00 → 50,00", "Картку заблоковано", "API-ключ «Front till»"],
}


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_owner_reads_the_audit_log_in_words(page, live_server, language):
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    till = api_key_create(program=tenant.program, name="Front till", actor=Actor.staff(tenant.owner)).api_key
    card_block(card=tenant.card, reason="Lost", actor=Actor.api(till))
    admin_login(page, live_server, tenant.owner, language=language)
    page.goto(f"{live_server.url}/admin/loyalty/audit/")
    screenshots(page, f"audit-log-{language}")

    table = " ".join(page.locator("main table").inner_text().replace("\xa0", " ").split())
    for words in WORDS[language]:
        assert words in table
    for stored in ("card.adjust", "points_balance", "api_key"):
        assert stored not in table
