"""Google Wallet (wallet.google): the class and object JSON, the signed save link, the REST client against a fake
Google, the notification budget, the credentials check, and the sync of one pass on the real database."""

import base64
import json
import logging
import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from tests.wallet import google_fake
from tests.wallet.google_fake import ISSUER_ID, KEY_ID, FakeGoogle
from tests.wallet.samples import sample_content
from wallet.content import PassField
from wallet.google import (
    GoogleWalletClient,
    GoogleWalletError,
    class_cache_clear,
    class_suffix_for,
    google_pass_sync,
    google_problems,
    loyalty_class,
    loyalty_object,
    notified_recent,
    notify_allowed,
    resource_id,
    save_url,
)
from wallet.models import WalletPass

ID = re.compile(r"^\d+\.[\w.-]+$", re.ASCII)
CLASS_SUFFIX = "kartka-p1-ct7"
CLASS_ID = f"{ISSUER_ID}.{CLASS_SUFFIX}"
OBJECT_ID = f"{ISSUER_ID}.kartka-8d5c3f0e-1f3b-4c1e-9a57-0c1d2e3f4a5b"
LOGO = "https://kvitka.example/media/logo.png"


@pytest.fixture(autouse=True)
def fresh_class_cache():
    class_cache_clear()
    yield
    class_cache_clear()


@pytest.fixture
def creds():
    return google_fake.credentials()


@pytest.fixture
def google():
    return FakeGoogle()


@pytest.fixture
def client(creds, google):
    with GoogleWalletClient(creds, transport=google.transport()) as client:
        yield client


def class_body(creds, content=None):
    return loyalty_class(content or sample_content(), creds, class_suffix=CLASS_SUFFIX, logo_url=LOGO)


def object_body(creds, content=None, suffix="kartka-8d5c3f0e-1f3b-4c1e-9a57-0c1d2e3f4a5b"):
    return loyalty_object(content or sample_content(), creds, class_id=CLASS_ID, object_suffix=suffix)


# --- Class and object JSON ----------------------------------------------------------------------------------------


def test_class_carries_the_program_brand_and_localized_labels(creds):
    body = class_body(creds)
    assert ID.match(body["id"]) and body["id"] == CLASS_ID
    assert body["issuerName"] == "Kvitka" and body["programName"] == "Kvitka Club"
    assert re.fullmatch(r"#[0-9a-f]{6}", body["hexBackgroundColor"]) and body["hexBackgroundColor"] == "#fff7f3"
    assert body["reviewStatus"] == "UNDER_REVIEW"
    assert body["programLogo"]["sourceUri"]["uri"] == LOGO
    assert body["rewardsTier"] == "Kvitka Cashback"
    languages = {value["language"]: value["value"] for value in body["localizedAccountIdLabel"]["translatedValues"]}
    assert languages == {"ru": "Номер карты", "uk": "Номер картки"}


def test_class_leaves_out_a_logo_google_cannot_fetch(creds):
    body = loyalty_class(sample_content(), creds, class_suffix=CLASS_SUFFIX, logo_url="http://localhost/logo.png")
    assert "programLogo" not in body


def test_class_suffix_names_program_and_card_type(creds):
    assert class_suffix_for(program_id=3, card_type_id=12) == "kartka-p3-ct12"
    assert ID.match(resource_id(creds, class_suffix_for(program_id=3, card_type_id=12)))
    with pytest.raises(ValueError, match="letters, digits"):
        resource_id(creds, "kartka/ct 1")


def test_object_shows_the_card(creds):
    body = object_body(creds)
    assert ID.match(body["id"]) and body["id"] == OBJECT_ID
    assert body["classId"] == CLASS_ID
    assert body["state"] == "ACTIVE"
    assert body["accountId"] == "2000000000017" and body["accountName"] == "Olena Koval"
    assert body["barcode"] == {"type": "QR_CODE", "value": "2000000000017", "alternateText": "2000000000017"}
    assert body["loyaltyPoints"]["label"] == "Points"
    assert body["secondaryLoyaltyPoints"]["label"] == "Promo points"
    assert "infoModuleData" not in body
    assert [uri["uri"] for uri in body["linksModuleData"]["uris"]] == ["https://kvitka.example/account/"]


def test_balance_has_exactly_one_key_and_it_is_int_for_whole_numbers(creds):
    fractional = object_body(creds)["loyaltyPoints"]["balance"]
    assert fractional == {"string": "120.50"}
    whole = object_body(creds, sample_content(points=Decimal("1250.00"), secondary_points=Decimal("7")))
    assert whole["loyaltyPoints"]["balance"] == {"int": 1250}
    assert isinstance(whole["loyaltyPoints"]["balance"]["int"], int)
    assert whole["secondaryLoyaltyPoints"]["balance"] == {"int": 7}
    # "int" is Google's int32: a larger figure is written as text rather than refused.
    huge = object_body(creds, sample_content(points=Decimal(2**31)))
    assert huge["loyaltyPoints"]["balance"] == {"string": str(2**31)}
    for body in (fractional, whole["loyaltyPoints"]["balance"], huge["loyaltyPoints"]["balance"]):
        assert len(body) == 1


def test_no_promo_points_no_secondary_balance(creds):
    assert "secondaryLoyaltyPoints" not in object_body(creds, sample_content(secondary_points=None))


def test_labels_carry_russian_and_ukrainian(creds):
    body = object_body(creds)
    label = body["loyaltyPoints"]["localizedLabel"]
    translated = {item["language"]: item["value"] for item in label["translatedValues"]}
    assert translated == {"ru": "Баллы", "uk": "Бали"}
    assert body["loyaltyPoints"]["localizedLabel"]["defaultValue"] == {"language": "en", "value": "Points"}
    headers = {module["id"]: module["localizedHeader"] for module in body["textModulesData"]}
    assert {item["value"] for item in headers["cashback"]["translatedValues"]} == {"Кешбэк", "Кешбек"}


def test_text_modules_are_the_front_fields_with_unique_ids(creds):
    content = sample_content(
        auxiliary_fields=(PassField("promo", "Promo points", "again"), PassField("member", "Member", "Olena Koval"))
    )
    modules = object_body(creds, content)["textModulesData"]
    ids = [module["id"] for module in modules]
    assert len(ids) == len(set(ids)) == 5
    assert ids == ["tier", "cashback", "promo", "promo-2", "member"]
    assert {module["header"]: module["body"] for module in modules}["Tier"] == "Silver"


def test_a_blocked_card_is_inactive(creds):
    assert object_body(creds, sample_content(voided=True))["state"] == "INACTIVE"


def test_json_is_deterministic(creds):
    first = json.dumps([class_body(creds), object_body(creds)], ensure_ascii=False)
    second = json.dumps([class_body(creds), object_body(creds)], ensure_ascii=False)
    assert first == second


# --- The save link ------------------------------------------------------------------------------------------------


def decode(url: str) -> tuple[dict, dict]:
    token = url.removeprefix("https://pay.google.com/gp/v/save/")
    claims = jwt.decode(token, google_fake.public_key_pem(), algorithms=["RS256"], audience="google")
    return jwt.get_unverified_header(token), claims


def test_save_link_is_a_skinny_jwt_signed_by_the_service_account(creds):
    before = int(timezone.now().timestamp())
    url = save_url(credentials=creds, object_id=OBJECT_ID, origins=["https://kvitka.example"])
    assert url.startswith("https://pay.google.com/gp/v/save/ey")
    assert len(url) < 1800
    header, claims = decode(url)
    assert header["alg"] == "RS256" and header["kid"] == KEY_ID
    assert claims["iss"] == google_fake.CLIENT_EMAIL
    assert claims["aud"] == "google" and claims["typ"] == "savetowallet"
    assert isinstance(claims["iat"], int) and before - 1 <= claims["iat"] <= before + 5
    assert claims["origins"] == ["https://kvitka.example"]
    assert claims["payload"] == {"loyaltyObjects": [{"id": OBJECT_ID}]}


def test_a_tampered_save_link_is_rejected(creds):
    url = save_url(credentials=creds, object_id=OBJECT_ID, origins=[])
    head, payload, signature = url.removeprefix("https://pay.google.com/gp/v/save/").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["payload"]["loyaltyObjects"][0]["id"] = f"{ISSUER_ID}.someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    public_key = google_fake.public_key_pem()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{forged}.{signature}", public_key, algorithms=["RS256"], audience="google")


# --- The REST client ----------------------------------------------------------------------------------------------


def test_token_is_fetched_once_and_reused(client, google, creds):
    client.class_upsert(class_body(creds))
    client.object_upsert(object_body(creds), notify=False)
    client.object_get(OBJECT_ID)
    assert len(google.tokens_issued) == 1
    assert {call.authorization for call in google.api_calls()} == {"Bearer ya29.fake-1"}


def test_token_assertion_is_signed_for_the_wallet_scope(client, google, creds):
    client.object_get(OBJECT_ID)
    token_call = next(call for call in google.calls if call.path == "token")
    claims = jwt.decode(
        token_call.body["assertion"],
        google_fake.public_key_pem(),
        algorithms=["RS256"],
        audience=google_fake.TOKEN_URI,
    )
    assert claims["scope"] == "https://www.googleapis.com/auth/wallet_object.issuer"
    assert claims["exp"] - claims["iat"] == 3600


def test_an_expired_token_is_renewed_after_a_401(client, google):
    client.object_get(OBJECT_ID)
    google.tokens_issued.remove("ya29.fake-1")  # Google forgot it (revoked, expired early)
    assert client.object_get(OBJECT_ID) is None
    assert google.tokens_made == 2 and google.api_calls()[-1].authorization == "Bearer ya29.fake-2"


def test_class_upsert_inserts_then_patches(client, google, creds):
    assert client.class_upsert(class_body(creds)) == "inserted"
    assert google.classes[CLASS_ID]["programName"] == "Kvitka Club"
    renamed = class_body(creds, sample_content(program_name="Kvitka Friends"))
    assert client.class_upsert(renamed) == "updated"
    assert google.classes[CLASS_ID]["programName"] == "Kvitka Friends"
    assert [(call.method, call.path.split("/")[0]) for call in google.api_calls()] == [
        ("GET", "loyaltyClass"),
        ("POST", "loyaltyClass"),
        ("GET", "loyaltyClass"),
        ("PATCH", "loyaltyClass"),
    ]


def test_object_upsert_inserts_an_unknown_object(client, google, creds):
    client.class_upsert(class_body(creds))
    write = client.object_upsert(object_body(creds), notify=True)
    assert (write.action, write.notified) == ("inserted", False)
    assert [call.method for call in google.requests("PATCH") + google.requests("POST", "loyaltyObject")] == [
        "PATCH",
        "POST",
    ]
    assert "notifyPreference" not in google.requests("POST", "loyaltyObject")[0].body
    assert google.objects[OBJECT_ID]["accountId"] == "2000000000017"


def test_object_upsert_patches_with_notify_preference_only_when_asked(client, google, creds):
    client.class_upsert(class_body(creds))
    client.object_upsert(object_body(creds), notify=False)
    richer = object_body(creds, sample_content(points=Decimal("300")))
    write = client.object_upsert(richer, notify=True)
    assert (write.action, write.notified, write.status) == ("updated", True, 200)
    patch = google.requests("PATCH", "loyaltyObject")[-1]
    assert patch.path == f"loyaltyObject/{OBJECT_ID}"
    assert patch.body["notifyPreference"] == "NOTIFY_ON_UPDATE"
    assert patch.body["loyaltyPoints"]["balance"] == {"int": 300}
    client.object_upsert(object_body(creds), notify=False)
    assert "notifyPreference" not in google.requests("PATCH", "loyaltyObject")[-1].body


def test_object_get_says_whether_someone_saved_it(client, google, creds):
    client.class_upsert(class_body(creds))
    client.object_upsert(object_body(creds), notify=False)
    assert client.object_get(OBJECT_ID)["hasUsers"] is False
    google.saved_by_user(OBJECT_ID)
    assert client.object_get(OBJECT_ID)["hasUsers"] is True
    assert client.object_get(f"{ISSUER_ID}.nobody") is None


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (500, True), (429, True), (400, False), (403, False)])
def test_failures_say_whether_to_retry(client, google, creds, status, retryable):
    google.fail(status)
    with pytest.raises(GoogleWalletError) as caught:
        client.class_upsert(class_body(creds))
    assert caught.value.status == status and caught.value.retryable is retryable
    assert caught.value.reason


def test_no_answer_is_retryable(creds):
    def unreachable(request):
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(unreachable)
    with GoogleWalletClient(creds, transport=transport) as client, pytest.raises(GoogleWalletError) as caught:
        client.object_get(OBJECT_ID)
    assert (caught.value.status, caught.value.reason, caught.value.retryable) == (0, "ConnectError", True)


def test_a_refused_key_is_permanent(google):
    other = google_fake.credentials(private_key_id="other")
    other = replace(
        other,
        service_account={**other.service_account, "private_key": ec_key_pem()},
    )
    with GoogleWalletClient(other, transport=google.transport()) as client, pytest.raises(GoogleWalletError) as caught:
        client.object_get(OBJECT_ID)
    assert caught.value.retryable is False and google.calls == []


def test_over_the_notification_quota_the_update_goes_silently(client, google, creds):
    client.class_upsert(class_body(creds))
    client.object_upsert(object_body(creds), notify=False)
    google.quota_left = 0
    write = client.object_upsert(object_body(creds, sample_content(points=Decimal("500"))), notify=True)
    assert (write.action, write.notified) == ("updated", False)
    first, second = google.requests("PATCH", "loyaltyObject")[-2:]
    assert first.body["notifyPreference"] == "NOTIFY_ON_UPDATE" and "notifyPreference" not in second.body
    assert google.objects[OBJECT_ID]["loyaltyPoints"]["balance"] == {"int": 500}


def test_a_quota_refusal_in_any_dress_goes_silently(client, google, creds):
    client.class_upsert(class_body(creds))
    client.object_upsert(object_body(creds), notify=False)
    body = google_fake.error_body(400, "badRequest", "QuotaExceededException: too many notifications for this pass")
    google.failures.append(httpx.Response(400, json=body))
    write = client.object_upsert(object_body(creds), notify=True)
    assert (write.action, write.notified) == ("updated", False)


def test_an_unreadable_error_answer_still_raises(client, google):
    google.failures.append(httpx.Response(502, text="<html>Bad gateway</html>"))
    with pytest.raises(GoogleWalletError) as caught:
        client.object_get(OBJECT_ID)
    assert (caught.value.status, caught.value.reason, caught.value.retryable) == (502, "Bad Gateway", True)


def test_log_lines_name_ids_not_people(client, creds, caplog):
    with caplog.at_level(logging.DEBUG, logger="wallet.google"):
        client.class_upsert(class_body(creds))
        client.object_upsert(object_body(creds), notify=True)
    assert OBJECT_ID in caplog.text
    for secret in ("Olena", "Koval", "2000000000017"):
        assert secret not in caplog.text


# --- The notification budget --------------------------------------------------------------------------------------


def iso(moment) -> str:
    return moment.isoformat()


def test_three_notifications_a_day_then_silence():
    now = timezone.now()
    times = [iso(now - timedelta(hours=hours)) for hours in (20, 5, 1)]
    assert notify_allowed(times[:2], now) is True
    assert notify_allowed(times, now) is False


def test_the_budget_recovers_after_24_hours():
    now = timezone.now()
    times = [iso(now - timedelta(hours=hours)) for hours in (30, 25, 24.5, 2)]
    assert notified_recent(times, now) == [times[3]]
    assert notify_allowed(times, now) is True
    assert notify_allowed([*times[:3], "garbage", "2026-01-01T00:00:00"], now) is True


# --- The credentials check ----------------------------------------------------------------------------------------


def ec_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_good_credentials_have_no_problems(creds):
    assert google_problems(creds) == []


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"issuer_id": "issuer-1"}, "digits only"),
        ({"private_key_id": None, "token_uri": None}, "private_key_id, token_uri"),
        ({"private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"}, "cannot be read"),
        ({"token_uri": "http://oauth2.example/token"}, "not an https"),
    ],
)
def test_problems_are_named_in_plain_words(overrides, words):
    problems = google_problems(google_fake.credentials(**overrides))
    assert len(problems) == 1 and words in problems[0]


def test_a_key_that_is_not_rsa_is_a_problem():
    problems = google_problems(google_fake.credentials(private_key=ec_key_pem()))
    assert problems == ["The Google service account's private key is not an RSA key."]


# --- Syncing one pass ---------------------------------------------------------------------------------------------


@pytest.fixture
def wallet_pass(cashback_type, make_card):
    card = make_card(cashback_type)
    return WalletPass.objects.create(program=card.program, card=card, google_due_at=timezone.now(), google_notify=True)


@pytest.fixture
def sync(wallet_pass, creds, client):
    suffix = class_suffix_for(program_id=wallet_pass.program_id, card_type_id=wallet_pass.card.card_type_id)

    def run(content=None, **pass_fields):
        if pass_fields:
            WalletPass.objects.filter(pk=wallet_pass.pk).update(**pass_fields)
            wallet_pass.refresh_from_db()
        content = content or sample_content(program_id=wallet_pass.program_id, card_id=wallet_pass.card_id)
        outcome = google_pass_sync(
            wallet_pass, content, credentials=creds, client=client, class_suffix=suffix, logo_url=LOGO
        )
        return outcome, WalletPass.objects.get(pk=wallet_pass.pk)

    return run


def test_sync_writes_class_and_object_and_records_it(sync, google, wallet_pass):
    outcome, row = sync()
    assert outcome == "synced"  # a new object: nobody to notify yet
    assert row.google_object_id == f"{ISSUER_ID}.kartka-{wallet_pass.serial}" and row.google_object_id in google.objects
    assert len(google.classes) == 1 and ID.match(next(iter(google.classes)))
    assert row.google_synced_hash == sample_content(program_id=row.program_id, card_id=row.card_id).content_hash
    assert row.google_synced_at is not None and row.google_status.startswith("200")
    assert (row.google_due_at, row.google_notify, row.google_attempts) == (None, False, 0)
    assert row.google_saved_at is None


def test_an_unchanged_pass_is_not_written_again(sync, google):
    sync()
    calls = len(google.api_calls())
    outcome, row = sync(google_due_at=timezone.now())
    assert outcome == "unchanged" and len(google.api_calls()) == calls and row.google_due_at is None


def test_a_change_notifies_and_is_counted(sync, google):
    sync()
    outcome, row = sync(sample_content(points=Decimal("999")), google_due_at=timezone.now(), google_notify=True)
    assert outcome == "notified"
    assert google.requests("PATCH", "loyaltyObject")[-1].body["notifyPreference"] == "NOTIFY_ON_UPDATE"
    assert len(row.google_notified) == 1 and "notified" in row.google_status
    # The class was written once in this process: the second sync did not touch it.
    assert len(google.requests("GET", "loyaltyClass")) == 1


def test_the_fourth_notification_in_a_day_goes_silent_and_recovers_later(sync, google):
    sync()
    now = timezone.now()
    recent = [iso(now - timedelta(hours=hours)) for hours in (10, 6, 2)]
    outcome, row = sync(sample_content(points=Decimal("1")), google_notify=True, google_notified=recent)
    assert outcome == "synced"
    assert "notifyPreference" not in google.requests("PATCH", "loyaltyObject")[-1].body
    assert row.google_notified == recent and row.google_notify is False

    a_day_ago = [iso(now - timedelta(hours=hours)) for hours in (30, 26, 25)]
    outcome, row = sync(sample_content(points=Decimal("2")), google_notify=True, google_notified=a_day_ago)
    assert outcome == "notified" and len(row.google_notified) == 1  # old times dropped


def test_sync_keeps_a_due_time_set_while_it_ran(wallet_pass, creds, google):
    later = timezone.now() + timedelta(minutes=5)

    def meanwhile(request):
        if request.method == "PATCH":  # a purchase lands while Google is being written to
            WalletPass.objects.filter(pk=wallet_pass.pk).update(google_due_at=later, google_notify=True)
        return google.handle(request)

    with GoogleWalletClient(creds, transport=httpx.MockTransport(meanwhile)) as client:
        outcome = google_pass_sync(
            wallet_pass, sample_content(), credentials=creds, client=client, class_suffix=CLASS_SUFFIX, logo_url=LOGO
        )
    row = WalletPass.objects.get(pk=wallet_pass.pk)
    assert outcome == "synced" and row.google_synced_hash == sample_content().content_hash
    assert row.google_due_at == later and row.google_notify is True
    assert wallet_pass.google_due_at == later


def test_sync_backs_off_while_google_is_down(sync, google):
    google.fail(503, times=2)
    started = timezone.now()
    outcome, row = sync()
    assert outcome == "retry" and row.google_attempts == 1 and row.google_status == "503 backendError"
    assert timedelta(seconds=29) < row.google_due_at - started < timedelta(seconds=35)
    assert row.google_notify is True and row.google_synced_hash == ""

    outcome, row = sync()
    assert outcome == "retry" and row.google_attempts == 2
    assert timedelta(minutes=1, seconds=59) < row.google_due_at - started < timedelta(minutes=2, seconds=5)

    outcome, row = sync(google_attempts=9)
    assert outcome == "synced" and row.google_attempts == 0 and row.google_due_at is None


def test_backoff_is_capped_at_an_hour(sync, google):
    google.fail(429)
    started = timezone.now()
    outcome, row = sync(google_attempts=7)
    assert outcome == "retry" and row.google_attempts == 8
    assert timedelta(minutes=59) < row.google_due_at - started < timedelta(hours=1, seconds=5)


def test_a_refusal_is_recorded_and_dropped(sync, google):
    google.fail(400, reason="invalidResource")
    outcome, row = sync()
    assert outcome == "failed" and row.google_status == "400 invalidResource"
    assert (row.google_due_at, row.google_attempts) == (None, 0)


def test_a_saved_pass_is_noticed(sync, google, wallet_pass):
    sync()
    google.saved_by_user(f"{ISSUER_ID}.kartka-{wallet_pass.serial}")
    outcome, row = sync(sample_content(points=Decimal("5")))
    assert outcome == "synced" and row.google_saved_at is not None
