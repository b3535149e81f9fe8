"""Bulk adjustments: checked first, then each row a staff adjustment through the engine with the job's reason."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from bulk.choices import JobKind, JobStatus
from bulk.services import bulk_job_commit, bulk_job_upload
from programs.choices import EntryKind
from programs.models import LedgerEntry
from programs.services.members import member_create
from tenancy.actors import Actor
from tenancy.choices import AuditAction
from tenancy.models import AuditEvent
from tests.bulk.support import csv_upload
from tests.programs.invariants import assert_ledger_consistent

pytestmark = pytest.mark.django_db
D = Decimal
HEADER = ["card_number", "phone", "points", "stamps"]


def adjust(alpha, rows, reason="Outage compensation"):
    job = bulk_job_upload(
        program=alpha.program,
        kind=JobKind.ADJUST,
        upload=csv_upload(rows, header=HEADER),
        actor=Actor.staff(alpha.owner),
        reason=reason,
    )
    job.refresh_from_db()
    return job


def test_the_check_finds_cards_and_refuses_what_they_cannot_give(alpha, beta):
    balance = alpha.card.points_balance
    job = adjust(
        alpha,
        [
            [alpha.card.number, "", "50", ""],
            ["", "+380501000001", "-10", ""],
            ["0000000000", "", "5", ""],
            [beta.card.number, "", "5", ""],
            ["", "+380991234567", "5", ""],
            [alpha.card.number, "", "-99999", ""],
            [alpha.card.number, "", "0", ""],
            ["", "", "5", ""],
            [alpha.card.number, "", "", "2"],
        ],
    )
    assert job.status == JobStatus.CHECKED
    assert dict(job.report) == {
        3: ["The same card is on row 2."],
        4: ["There is no card with this number in the program."],
        5: ["There is no card with this number in the program."],
        6: ["There is no member with this phone in the program."],
        7: [f"Takes 99999.00 points but the card holds {balance}.", "The same card is on row 2."],
        8: ["Nothing to add or take: points and stamps are empty or zero."],
        9: ["Give a card number or a phone."],
        10: ["This card does not hold stamps.", "The same card is on row 2."],
    }
    assert job.checked == {"adjust": 1, "reject": 8}
    assert not LedgerEntry.objects.filter(reason="Outage compensation").exists()


def test_the_commit_posts_normal_adjustments_with_the_reason(alpha):
    other = member_create(program=alpha.program, phone="+380671110001", card_types=[alpha.card_type]).cards.get()
    before = alpha.card.points_balance
    job = adjust(alpha, [[alpha.card.number, "", "50", ""], ["", "+380671110001", "-5", ""]])
    assert job.checked == {"adjust": 2}, job.report

    bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()

    assert job.status == JobStatus.DONE and job.committed == {"adjust": 2}
    alpha.card.refresh_from_db()
    assert alpha.card.points_balance == before + 50
    entry = alpha.card.entries.get(reason="Outage compensation")
    assert (entry.kind, entry.amount, entry.actor) == (EntryKind.ADJUSTMENT, D("50"), alpha.owner)
    other.refresh_from_db()
    assert other.points_balance == D("5")  # 10 joining points, 5 taken
    assert_ledger_consistent(alpha.card)
    assert_ledger_consistent(other)
    assert AuditEvent.objects.filter(action=AuditAction.CARD_ADJUST, reason="Outage compensation").count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.BULK_ADJUST, actor=alpha.owner).count() == 1


def test_a_row_the_card_can_no_longer_give_is_rejected_at_commit(alpha):
    from programs.services.cards import card_adjust

    job = adjust(alpha, [[alpha.card.number, "", "-40", ""]])
    card_adjust(card=alpha.card, amount=-alpha.card.points_balance, reason="spent", actor=Actor.staff(alpha.owner))
    bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()
    assert job.committed == {"reject": 1}
    assert job.status == JobStatus.DONE
    assert_ledger_consistent(alpha.card)


def test_an_adjustment_needs_a_reason(alpha):
    with pytest.raises(ValidationError):
        adjust(alpha, [[alpha.card.number, "", "5", ""]], reason="  ")
