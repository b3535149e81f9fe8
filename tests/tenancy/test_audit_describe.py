"""The audit log says what happened in the reader's language: the action in words and the changed fields by
their names, with localized numbers — never ``card.adjust`` or ``points_balance``."""

import pytest
from django.utils import translation

from tenancy.choices import AuditAction
from tenancy.describe import audit_changes_describe, audit_describe
from tenancy.models import AuditEvent

EXPECTED = {
    "en": ("Balance adjusted", "Points: 439.00 → 589.00", "Card blocked"),
    "ru": ("Баланс скорректирован", "Баллы: 439,00 → 589,00", "Карта заблокирована"),
    "uk": ("Баланс скориговано", "Бали: 439,00 → 589,00", "Картку заблоковано"),
}


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_audit_events_are_described_in_words(language, settings):
    adjust = AuditEvent(
        action=AuditAction.CARD_ADJUST, object_type="card", changes={"points_balance": ["439.00", "589.00"]}
    )
    block = AuditEvent(action=AuditAction.CARD_BLOCK, object_type="card", changes={})
    label, change, blocked = EXPECTED[language]
    with translation.override(language):
        text = audit_describe(adjust)
        assert text.startswith(label)
        assert change in text.replace("\xa0", " ")
        assert "points_balance" not in text
        assert audit_describe(block) == blocked


def test_every_action_written_today_is_an_enumerated_one():
    assert AuditAction("card.issue").label == "Card issued"
    assert audit_describe(AuditEvent(action="something.new", object_type="x")) == "something.new"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Status: Active → Blocked"), ("uk", "Статус: Діє → Заблокована")],
)
def test_choice_values_are_said_by_their_labels(language, expected):
    block = AuditEvent(action=AuditAction.CARD_BLOCK, object_type="card", changes={"status": ["active", "blocked"]})
    with translation.override(language):
        assert audit_changes_describe(block) == expected
