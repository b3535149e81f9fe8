"""Importing a customer base: what a commit writes, what a dry run does not, re-runs, resumes and every reason a
row is rejected for. On the real database, through the services and the django-q2 tasks (run inline)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import translation

from bulk.choices import JobStatus
from bulk.services import bulk_job_commit
from programs import clock
from programs.choices import BalanceCause, Bucket, EntryKind, EventType, TierBasis
from programs.factories import CardTypeFactory, ProgramFactory, TierFactory
from programs.models import Card, Event, LedgerEntry, Lot, Member, Program
from programs.services.expiry import lots_expire
from programs.services.members import member_create
from programs.services.purchases import purchase_record
from tenancy.actors import Actor
from tenancy.choices import AuditAction
from tenancy.models import AuditEvent
from tests.bulk.support import csv_upload, import_checked, import_run, reasons_by_row, xlsx_upload
from tests.programs.invariants import assert_ledger_consistent

D = Decimal
pytestmark = pytest.mark.django_db


def future(days=60) -> str:
    return (clock.now() + timedelta(days=days)).date().isoformat()


def written() -> tuple[int, int, int, int, int]:
    return (
        Member.objects.count(),
        Card.objects.count(),
        LedgerEntry.objects.count(),
        Lot.objects.count(),
        Event.objects.count(),
    )


@pytest.fixture
def rows():
    return [
        {
            "phone": "+380671110001",
            "card_number": "7700000000011",
            "first_name": "Olena",
            "last_name": "Kovalenko",
            "cashback": "120.50",
            "promo": "30",
            "promo_expires": future(),
            "external_id": "CRM-1",
            "consent_sms": "yes",
            "gender": "f",
            "birthday": "17.05.1990",
        },
        {"phone": "067 111 00 02", "first_name": "Petro", "external_id": "CRM-2"},
        {"phone": "+380671110003", "cashback": "5", "tier": "alpha silver"},
    ]


def test_a_commit_creates_members_plastic_cards_and_opening_balances(alpha, rows):
    job = import_run(alpha.program, alpha.owner, rows)

    assert job.status == JobStatus.DONE
    assert job.committed == {"create": 3}
    olena = Member.objects.get(program=alpha.program, external_id="CRM-1")
    assert (olena.first_name, olena.gender, olena.consent_sms, str(olena.birth_date)) == (
        "Olena",
        "f",
        True,
        "1990-05-17",
    )
    assert olena.tier == alpha.tier
    card = olena.cards.get()
    assert card.number == "7700000000011"  # the plastic card keeps its number
    assert card.points_balance == D("150.50")
    entries = {e.bucket: e for e in card.entries.all()}
    assert {e.kind for e in entries.values()} == {EntryKind.OPENING}
    assert entries[Bucket.CASHBACK].amount == D("120.50") and entries[Bucket.CASHBACK].expires_at is None
    promo = entries[Bucket.PROMO]
    assert promo.amount == D("30")
    # To the end of the day written, in the program's zone.
    assert promo.expires_at.astimezone(promo.expires_at.tzinfo).date().isoformat() > future()[:0]
    assert entries[Bucket.CASHBACK].actor == alpha.owner
    assert_ledger_consistent(card)
    # No joining bonus for customers who already were ones (alpha has a 10-point registration rule).
    assert not card.entries.exclude(kind=EntryKind.OPENING).exists()
    petro = Member.objects.get(program=alpha.program, phone="+380671110002")
    assert petro.cards.get().points_balance == 0
    assert not petro.cards.get().entries.exists()
    events = Event.objects.filter(member_id=olena.pk)
    assert list(events.order_by("id").values_list("type", flat=True)) == [
        EventType.MEMBER_CREATED,
        EventType.CARD_ISSUED,
        EventType.CARD_BALANCES_CHANGED,
    ]
    assert events.get(type=EventType.CARD_BALANCES_CHANGED).payload["cause"] == BalanceCause.IMPORT
    audit = AuditEvent.objects.get(action=AuditAction.BULK_IMPORT)
    assert audit.actor == alpha.owner and audit.program == alpha.program
    assert "base.csv" in audit.reason


def test_the_dry_run_writes_nothing_and_says_what_would_happen(alpha, rows):
    before = written()
    rows.append({"phone": "+380501000001", "first_name": "Anna B."})  # alpha's member: an update
    rows.append({"phone": "12"})

    job = import_checked(alpha.program, alpha.owner, rows)

    assert job.status == JobStatus.CHECKED
    assert job.checked == {"create": 3, "update": 1, "reject": 1}
    assert job.rows_total == 5
    assert written() == before
    assert list(reasons_by_row(job)) == [6]  # spreadsheet rows: the header is row 1


def test_running_the_same_file_again_creates_nothing_twice(alpha, rows):
    import_run(alpha.program, alpha.owner, rows)
    after_first = written()

    again = import_run(alpha.program, alpha.owner, rows)

    assert again.checked == {"unchanged": 3}
    assert again.committed == {"unchanged": 3}
    assert written()[:4] == after_first[:4]  # no member, card, entry or lot more


def test_a_re_run_updates_the_profile_but_never_the_balances(alpha, rows):
    import_run(alpha.program, alpha.owner, rows)
    rows[0]["first_name"] = "Olenka"
    rows[0]["cashback"] = "999"

    job = import_run(alpha.program, alpha.owner, rows)

    assert job.committed == {"update": 1, "unchanged": 2}
    olena = Member.objects.get(external_id="CRM-1")
    assert olena.first_name == "Olenka"
    assert olena.cards.get().points_balance == D("150.50")
    assert Event.objects.filter(type=EventType.MEMBER_UPDATED, member_id=olena.pk).get().payload["fields"] == [
        "first_name"
    ]


def test_a_member_is_matched_by_card_number_or_external_id_too(alpha, rows):
    import_run(alpha.program, alpha.owner, rows)
    by_card = {"phone": "", "card_number": "7700000000011"}
    job = import_checked(
        alpha.program,
        alpha.owner,
        [
            {**by_card, "phone": "+380671110001"},
            {"phone": "+380671110002", "external_id": "CRM-2", "last_name": "Ivanenko"},
        ],
    )
    assert job.checked == {"unchanged": 1, "update": 1}


def test_opening_balances_are_spendable_at_the_till(alpha, rows):
    import_run(alpha.program, alpha.owner, rows)
    card = Card.objects.get(number="7700000000011")

    result = purchase_record(
        card=card,
        store=alpha.store,
        receipt_id="R-1",
        total=D("200"),
        redeem_points=D("100"),
        actor=Actor.system("test"),
    )

    assert result.purchase.points_redeemed == D("100")
    card.refresh_from_db()
    # The promo lot expires first, so it is spent first: 30 promo + 70 cashback.
    assert Lot.objects.get(card=card, bucket=Bucket.PROMO).remaining == 0
    assert Lot.objects.get(card=card, bucket=Bucket.CASHBACK, entry__kind=EntryKind.OPENING).remaining == D("50.50")
    assert_ledger_consistent(card)


def test_promo_points_expire_as_imported(alpha, rows):
    import_run(alpha.program, alpha.owner, rows)
    card = Card.objects.get(number="7700000000011")

    lots_expire(at=clock.now() + timedelta(days=59))
    card.refresh_from_db()
    assert card.points_balance == D("150.50")  # not yet: the expiry is the end of the 60th day

    lots_expire(at=clock.now() + timedelta(days=62))
    card.refresh_from_db()
    assert card.points_balance == D("120.50")
    expiry = card.entries.get(kind=EntryKind.EXPIRY)
    assert (expiry.amount, expiry.bucket) == (D("-30"), Bucket.PROMO)
    assert_ledger_consistent(card)


def test_members_are_placed_in_tiers_by_name_or_by_their_total_spend(alpha):
    program = alpha.program
    Program.objects.filter(pk=program.pk).update(tier_basis=TierBasis.SPEND, tier_window_days=None)
    gold = TierFactory(program=program, name="Gold", threshold=D("1000"))
    import_run(
        program,
        alpha.owner,
        [
            {"phone": "+380671110001", "lifetime_spend": "1500"},
            {"phone": "+380671110002", "lifetime_spend": "999.99"},
            {"phone": "+380671110003", "tier": "GOLD"},
        ],
    )
    tiers = dict(Member.objects.filter(program=program).values_list("phone", "tier"))
    assert tiers == {
        **{k: v for k, v in tiers.items() if str(k) == "+380501000001"},
        "+380671110001": gold.pk,
        "+380671110002": alpha.tier.pk,
        "+380671110003": gold.pk,
    }
    assert Member.objects.get(phone="+380671110001").lifetime_spend == D("1500")


def test_stamps_go_to_the_stamp_card(alpha):
    alpha.stamp_type.is_active = True
    alpha.stamp_type.save(update_fields=["is_active"])
    import_run(alpha.program, alpha.owner, [{"phone": "+380671110001", "stamps": "7", "cashback": "1"}])
    member = Member.objects.get(phone="+380671110001")
    stamps = member.cards.get(card_type=alpha.stamp_type)
    points = member.cards.get(card_type=alpha.card_type)
    assert (stamps.stamps_balance, stamps.points_balance) == (D("7"), 0)
    assert (points.points_balance, points.stamps_balance) == (D("1"), 0)
    assert_ledger_consistent(stamps)
    assert_ledger_consistent(points)


REJECTIONS = [
    ({"phone": "", "first_name": "Nobody"}, "The phone is missing."),
    ({"phone": "+38067"}, "The phone number is not valid for UA."),
    ({"phone": "+380671110009", "cashback": "-5"}, "Cashback balance is negative."),
    ({"phone": "+380671110009", "cashback": "abc"}, "Cashback balance is not a number."),
    ({"phone": "+380671110009", "cashback": "1.005"}, "Cashback balance has more than two decimals."),
    ({"phone": "+380671110009", "stamps": "1.5"}, "Stamps must be a whole number."),
    ({"phone": "+380671110009", "tier": "Platinum"}, "There is no tier “Platinum” in this program."),
    (
        {"phone": "+380671110009", "birthday": "31.02.1990"},
        "Birthday is not a date (write it as 2025-12-31 or 31.12.2025).",
    ),
    ({"phone": "+380671110009", "birthday": "2090-01-01"}, "The birthday is not a real one."),
    ({"phone": "+380671110009", "promo": "10"}, "Promo points need an expiry date."),
    ({"phone": "+380671110009", "promo": "10", "promo_expires": "2020-01-01"}, "The promo expiry date has passed."),
    ({"phone": "+380671110009", "email": "not-an-address"}, "The e-mail address is not valid."),
    ({"phone": "+380671110009", "consent_sms": "maybe"}, "SMS messages: write yes or no."),
    ({"phone": "+380671110009", "gender": "q"}, "Gender: write f, m or x."),
    ({"phone": "+380671110009", "first_name": "x" * 101}, "First name is longer than 100 characters."),
    ({"phone": "+380671110009", "card_number": "12"}, "The card number may hold only 4–32 letters, digits and dashes."),
    ({"phone": "+380671110009", "stamps": "3"}, "The program has no active stamp card type for these stamps."),
]


@pytest.mark.parametrize(("row", "reason"), REJECTIONS, ids=[reason for _, reason in REJECTIONS])
def test_a_row_is_rejected_with_its_reason(alpha, row, reason):
    Program.objects.filter(pk=alpha.program.pk).update(country="UA")
    alpha.program.refresh_from_db()

    job = import_checked(alpha.program, alpha.owner, [row])

    assert job.checked == {"reject": 1}
    assert reasons_by_row(job) == {2: [reason]}


def test_duplicates_in_the_file_are_rejected_after_their_first_row(alpha):
    job = import_checked(
        alpha.program,
        alpha.owner,
        [
            {"phone": "+380671110001", "card_number": "7700000000011", "external_id": "A"},
            {"phone": "0671110001"},
            {"phone": "+380671110002", "card_number": "7700000000011"},
            {"phone": "+380671110003", "external_id": "A"},
        ],
    )
    assert reasons_by_row(job) == {
        3: ["The same phone is on row 2."],
        4: ["The same card number is on row 2."],
        5: ["The same external id is on row 2."],
    }


def test_keys_that_differ_in_leading_zeros_or_a_plus_are_not_duplicates(alpha):
    # The file's duplicate check holds digit-only keys as numbers: "00042" and "0042" must stay two cards.
    job = import_checked(
        alpha.program,
        alpha.owner,
        [
            {"phone": "+380671110001", "card_number": "000042", "external_id": "7"},
            {"phone": "+380671110002", "card_number": "00042", "external_id": "07"},
            {"phone": "+380671110003", "card_number": "0042", "external_id": "+7"},
            {"phone": "+380671110004", "card_number": "00042"},
            {"phone": "+380671110005", "external_id": "07"},
        ],
    )
    assert reasons_by_row(job) == {5: ["The same card number is on row 3."], 6: ["The same external id is on row 3."]}
    assert job.checked == {"create": 3, "reject": 2}


def test_conflicts_with_the_program_and_its_sister_programs_are_rejected(alpha, beta):
    sister = ProgramFactory(business=alpha.business, slug="alpha-sister")
    sister_type = CardTypeFactory(program=sister, cashback_percent=D(1))
    sister_number = member_create(program=sister, phone="+380671119999", card_types=[sister_type]).cards.get().number
    other = member_create(program=alpha.program, phone="+380671118888", card_types=[alpha.card_type])
    Member.objects.filter(pk=alpha.member.pk).update(external_id="OLD-1")
    job = import_checked(
        alpha.program,
        alpha.owner,
        [
            {"phone": "+380501000001", "external_id": "OLD-2"},
            {"phone": "+380501000001", "card_number": "0000"},
            {"phone": "+380671110005", "card_number": sister_number},
            {"phone": "+380501000001", "card_number": other.cards.get().number},
            # Beta's card number is no business of alpha's: a new card in alpha may carry it.
            {"phone": "+380671110006", "card_number": beta.card.number},
        ],
    )
    assert reasons_by_row(job) == {
        2: ["This phone or card belongs to a member with another external id."],
        3: ["The member already has a card with another number."],
        4: ["This card number belongs to another program."],
        5: ["The phone, card number and external id belong to different members."],
    }
    assert job.checked == {"reject": 4, "create": 1}


def test_headers_in_russian_with_semicolons_in_windows_1251(alpha):
    with translation.override("ru"):
        header = ["Телефон", "Номер карты", "Имя", "Кешбэк-баланс"]
    job_file = csv_upload(
        [["+380671110001", "7700000000011", "Олена", "12,5"]], header=header, delimiter=";", encoding="cp1251"
    )
    from bulk.choices import JobKind
    from bulk.services import bulk_job_upload

    job = bulk_job_upload(program=alpha.program, kind=JobKind.IMPORT, upload=job_file, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()
    assert job.checked == {"create": 1}, job.report
    bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))
    member = Member.objects.get(phone="+380671110001")
    assert member.first_name == "Олена"
    assert member.cards.get().points_balance == D("12.5")


def test_an_excel_file_with_ukrainian_headers_and_numbers_as_numbers(alpha):
    from bulk.choices import JobKind
    from bulk.services import bulk_job_upload

    upload = xlsx_upload(
        [[380671110001, 7700000000011, "Петро", 12.5, "так"]],
        header=["Телефон", "Номер картки", "Ім'я", "Кешбек-баланс", "SMS-повідомлення (так/ні)"],
    )
    job = bulk_job_upload(program=alpha.program, kind=JobKind.IMPORT, upload=upload, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()
    assert job.checked == {"create": 1}, job.report
    bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))
    member = Member.objects.get(phone="+380671110001")
    assert (member.first_name, member.consent_sms) == ("Петро", True)
    card = member.cards.get()
    assert (card.number, card.points_balance) == ("7700000000011", D("12.5"))


def _crash_on(name: str):
    """A database trigger that refuses one member's insert: a failure in the middle of a commit, from outside our
    code, the way a full disk or a killed connection would stop it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION bulk_test_crash() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.first_name = '{name}' THEN RAISE EXCEPTION 'crash'; END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER bulk_test_crash BEFORE INSERT ON programs_member FOR EACH ROW "
                "EXECUTE FUNCTION bulk_test_crash()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER bulk_test_crash BEFORE INSERT ON programs_member "
                f"WHEN NEW.first_name = '{name}' BEGIN SELECT RAISE(ABORT, 'crash'); END"
            )


def _crash_off():
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS bulk_test_crash"
            + (" ON programs_member" if connection.vendor == "postgresql" else "")
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS bulk_test_crash()")


def test_a_stopped_import_keeps_its_chunks_and_resumes_after_them(alpha, settings):
    settings.KARTKA_BULK_CHUNK = 2
    rows = [{"phone": f"+38067111000{i}", "first_name": f"N{i}", "cashback": "10"} for i in range(1, 7)]
    rows[2]["first_name"] = "Crash"  # row 3: the second chunk
    _crash_on("Crash")
    job = import_run(alpha.program, alpha.owner, rows)

    assert job.status == JobStatus.FAILED
    assert job.rows_done == 2
    assert "Stopped after 2 of 6 rows" in job.error
    assert "+38067" not in job.error  # no phone in what is kept
    imported = Member.objects.filter(phone__startswith="+38067111000")
    assert sorted(imported.values_list("first_name", flat=True)) == ["N1", "N2"]

    _crash_off()
    bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()

    assert job.status == JobStatus.DONE
    assert job.committed == {"create": 6}
    assert imported.count() == 6
    for card in Card.objects.filter(member__in=imported):
        assert card.points_balance == D("10")
        assert_ledger_consistent(card)


def test_a_chunk_is_judged_as_if_the_chunks_before_it_were_written(alpha, settings):
    # On PostgreSQL a commit looks a chunk up before the previous one is written; where the previous one writes
    # what this chunk names, it must judge the chunk as it would after (and so it does on SQLite, chunk by chunk).
    settings.KARTKA_BULK_CHUNK = 2
    anna_card = alpha.member.cards.get().number
    rows = [
        {"phone": "+380501000001", "external_id": "CRM-ANNA"},  # Anna gets the external id she had not
        {"phone": "+380671110001", "card_number": "7700000000011", "external_id": "A"},
        # The second chunk: Anna's card under another external id; the new card of row 3 under another one.
        {"phone": "+380671110009", "card_number": anna_card, "external_id": "CRM-X"},
        {"phone": "+380671110002", "card_number": "7700000000011", "external_id": "B"},
        {"phone": "+380671110003", "external_id": "C"},
    ]
    job = import_run(alpha.program, alpha.owner, rows)

    assert job.status == JobStatus.DONE
    assert job.committed == {"update": 1, "create": 2, "reject": 2}
    assert reasons_by_row(job) == {
        4: ["This phone or card belongs to a member with another external id."],
        5: ["The same card number is on row 3.", "This phone or card belongs to a member with another external id."],
    }
    alpha.member.refresh_from_db()
    assert alpha.member.external_id == "CRM-ANNA"
    assert Member.objects.get(program=alpha.program, cards__number="7700000000011").external_id == "A"


def test_an_unreadable_file_fails_the_check_with_a_reason(alpha):
    job = import_checked(alpha.program, alpha.owner, [["x"]], header=["nothing", "we know"])
    assert job.status == JobStatus.FAILED
    assert job.error == "The first row must hold the column names of the template."


def test_the_template_headers_read_back_in_every_language(alpha):
    from bulk.columns import IMPORT_COLUMNS, header_keys, template_headers

    for language in ("en", "ru", "uk"):
        with translation.override(language):
            headers = template_headers(IMPORT_COLUMNS)
        assert header_keys(headers, IMPORT_COLUMNS) == [column.key for column in IMPORT_COLUMNS], language


def test_a_job_cannot_start_twice(alpha, rows):
    from bulk.services import JobStateError

    job = import_run(alpha.program, alpha.owner, rows)
    with pytest.raises(JobStateError):
        bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))


def test_a_damaged_excel_file_fails_the_check_with_a_reason(alpha):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bulk.choices import JobKind
    from bulk.services import bulk_job_upload

    upload = SimpleUploadedFile("base.xlsx", b"PK\x03\x04 not really a workbook")
    job = bulk_job_upload(program=alpha.program, kind=JobKind.IMPORT, upload=upload, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "The Excel file cannot be read."
    assert not list(job_files())


def job_files():
    from bulk.files import bulk_dir

    return bulk_dir().iterdir()


def test_two_jobs_of_a_program_never_run_at_once(alpha, rows):
    from bulk.models import BulkJob
    from bulk.services import JobStateError

    BulkJob.objects.create(
        program=alpha.program, kind="import", file_name="a.csv", file_format="csv", status=JobStatus.RUNNING
    )
    job = import_checked(alpha.program, alpha.owner, rows)
    with pytest.raises(JobStateError):
        bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()
    assert job.status == JobStatus.CHECKED
    assert not Member.objects.filter(external_id="CRM-1").exists()


def test_the_events_of_an_import_say_what_the_engine_would_say(alpha, rows):
    alpha.stamp_type.is_active = True
    alpha.stamp_type.save(update_fields=["is_active"])
    rows[2]["stamps"] = "4"
    import_run(alpha.program, alpha.owner, rows)

    from programs import payloads

    members = Member.objects.filter(program=alpha.program, phone__startswith="+38067111")
    assert members.count() == 3
    for member in members:
        cards = list(member.cards.order_by("pk"))
        assert len(cards) == 2
        events = Event.objects.filter(member_id=member.pk).order_by("pk")
        # Payloads built from the rows' values: the same JSON as the engine's builders make of the rows written.
        expected = [(EventType.MEMBER_CREATED, payloads.member_created(member, cards))]
        expected += [(EventType.CARD_ISSUED, payloads.card_issued(card)) for card in cards]
        expected += [
            (EventType.CARD_BALANCES_CHANGED, payloads.card_balances_changed(card, cause=BalanceCause.IMPORT))
            for card in cards
            if card.entries.exists()
        ]
        assert [(event.type, event.payload) for event in events] == expected


def _kept_files():
    from bulk.files import bulk_dir

    return sorted(path.name for path in bulk_dir().iterdir() if path.name.endswith(".rows"))


def test_the_commit_writes_the_rows_the_dry_run_read(alpha, rows):
    import os

    from bulk.files import stored_path

    job = import_checked(alpha.program, alpha.owner, rows)
    assert _kept_files() == [f"{job.stored_name}.rows"]
    # The upload changes on disk behind the job's back, same size and time: the commit does not read it again.
    path = stored_path(job.stored_name)
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace(b"Olena", b"Ol3na"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()

    assert job.committed == {"create": 3}
    assert Member.objects.get(external_id="CRM-1").first_name == "Olena"
    assert _kept_files() == []  # gone with the upload when the job is done


def test_a_commit_checks_again_what_changed_since_the_dry_run(alpha, rows):
    job = import_checked(alpha.program, alpha.owner, rows)
    assert job.checked == {"create": 3}
    # Since the dry run, the tier the third row names was renamed.
    alpha.tier.name = "Alpha Bronze"
    alpha.tier.save(update_fields=["name"])

    bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()

    assert job.status == JobStatus.DONE
    assert job.committed == {"create": 2, "reject": 1}
    assert reasons_by_row(job) == {4: ["There is no tier “alpha silver” in this program."]}
    assert not Member.objects.filter(program=alpha.program, phone="+380671110003").exists()


def test_a_member_who_joined_since_the_dry_run_is_not_created_twice(alpha, rows):
    job = import_checked(alpha.program, alpha.owner, rows)
    member_create(program=alpha.program, phone="+380671110002", card_types=[alpha.card_type])

    bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()

    assert job.committed == {"create": 2, "update": 1}
    petro = Member.objects.get(program=alpha.program, phone="+380671110002")
    assert (petro.first_name, petro.external_id) == ("Petro", "CRM-2")
    assert petro.cards.count() == 1
