"""Apple Wallet update pushes, checked at the HTTP boundary (``apns_fake``): what goes to Apple, and what each of
Apple's answers does to the registrations and devices we keep."""

import datetime as dt
import itertools
import logging
import secrets
from datetime import timedelta

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from programs import clock
from programs.factories import CardTypeFactory, ProgramFactory, RedemptionRuleFactory
from programs.schedules import schedules_registered
from tests.conftest import D
from tests.wallet.apns_fake import (
    APNS_KEY_ID,
    PASS_TYPE_ID,
    TEAM_ID,
    FakeApns,
    apns_test_keys,
    apple_settings,
    fake_apns,
)
from wallet import apns as apns_module
from wallet import tasks
from wallet.apns import ApnsClient, apns_client, provider_tokens_forget
from wallet.credentials import CredentialsError, apple_credentials, key_load
from wallet.demo_ca import ca_issue, certificate_pem, rsa_key_new
from wallet.models import AppleDevice, AppleRegistration, WalletConfig, WalletPass
from wallet.secrets import secret_seal
from wallet.services import apple_pushes_schedule
from wallet.tasks import (
    MAX_ATTEMPTS,
    SCHEDULES,
    apple_pushes_send,
    wallet_forget_old,
    wallet_sweep,
)

# A moment in the recent past: PyJWT refuses an ``iat`` in the future, and travelling keeps times exact.
T0 = (timezone.now() - timedelta(days=3)).replace(microsecond=0)


@pytest.fixture
def keys(settings):
    keys = apns_test_keys()
    apple_settings(settings, keys)
    return keys


@pytest.fixture
def apns(keys):
    provider_tokens_forget()
    with fake_apns() as fake:
        yield fake
    provider_tokens_forget()


@pytest.fixture
def at_t0():
    with clock.travel(T0):
        yield T0


@pytest.fixture
def make_registration(cashback_type, make_card):
    """A registration of ``card``'s pass (a new card of the cashback type by default) on ``device`` (a new one with
    a random push token by default), its push due now unless ``due=False``."""
    numbers = itertools.count(1)

    def make(*, card=None, device=None, due=True):
        card = card or make_card(cashback_type)
        wallet_pass, _ = WalletPass.objects.get_or_create(card=card, defaults={"program_id": card.program_id})
        if device is None:
            device = AppleDevice.objects.create(
                library_identifier=f"device-{next(numbers)}-{secrets.token_hex(8)}", push_token=secrets.token_hex(32)
            )
        return AppleRegistration.objects.create(
            device=device, wallet_pass=wallet_pass, push_due_at=clock.now() if due else None
        )

    return make


def fresh(registration: AppleRegistration) -> AppleRegistration | None:
    return AppleRegistration.objects.filter(pk=registration.pk).first()


# --- The client -----------------------------------------------------------------------------------------------


def test_a_push_is_an_empty_json_post_over_http2_to_the_device_with_the_pass_type_as_topic(keys, db):
    fake = FakeApns()
    credentials = apple_credentials()
    token = secrets.token_hex(32)
    with ApnsClient(credentials, transport=httpx.MockTransport(fake)) as client:
        results = client.push([token])

    assert client.http2 is True
    [request] = fake.requests
    assert request.method == "POST"
    assert str(request.url) == f"https://api.push.apple.com/3/device/{token}"
    assert request.content == b"{}"
    assert fake.body(request) == {}
    assert request.headers["apns-topic"] == PASS_TYPE_ID
    assert request.headers["apns-push-type"] == "background"
    assert request.headers["apns-priority"] == "5"
    assert [(result.token, result.status, result.ok) for result in results] == [(token, 200, True)]


def test_the_client_for_the_real_network_speaks_http2(keys, db):
    """Without an override the transport is httpx's own, built with HTTP/2 on (httpcore's pool keeps the flag
    privately: read here so a change to how the client is built can't quietly fall back to HTTP/1.1)."""
    with ApnsClient(apple_credentials()) as client:
        assert client._http._transport._pool._http2 is True


def test_keys_are_parsed_once_per_process_and_bad_ones_still_refused(keys, db):
    """Loading an RSA key checks it (~40 ms): credentials are read for every push round and pass download, so the
    parsed key is reused; a PEM that is not a key is still refused every time."""
    assert apple_credentials().key is apple_credentials().key
    assert apple_credentials().apns_key is apple_credentials().apns_key
    for _ in range(2):
        with pytest.raises(CredentialsError):
            key_load(b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n", "certificate key")


def test_the_apns_host_is_checked_against_the_system_cas_unless_a_ca_file_is_set(keys, db, settings, tmp_path):
    """``WALLET_APNS_CA_FILE`` (a local fake APNs's own CA, for the benchmark) replaces the system's CAs for the
    APNs connection only; unset, httpx's default verification stands."""
    assert settings.KARTKA_WALLET_APNS_CA_FILE == ""
    assert apns_module.apns_tls_verify() is True
    now = dt.datetime.now(dt.UTC)
    key = rsa_key_new()
    ca = ca_issue(common_name="Fake APNs CA", key=key, not_before=now, not_after=now + dt.timedelta(days=1))
    (tmp_path / "ca.pem").write_bytes(certificate_pem(ca))
    settings.KARTKA_WALLET_APNS_CA_FILE = str(tmp_path / "ca.pem")
    context = apns_module.apns_tls_verify()
    assert [dict(pair[0] for pair in cert["subject"]) for cert in context.get_ca_certs()] == [
        {"commonName": "Fake APNs CA"}
    ]
    with ApnsClient(apple_credentials()) as client:
        assert client._http._transport._pool._ssl_context.get_ca_certs() == context.get_ca_certs()


def test_the_bearer_is_an_es256_jwt_of_the_team_and_key_reused_for_40_minutes(apns, keys, db):
    credentials = apple_credentials()
    client = apns_client(credentials)
    with clock.travel(T0):
        client.push(["a" * 64])
    with clock.travel(T0 + timedelta(minutes=39)):
        client.push(["b" * 64])
    with clock.travel(T0 + timedelta(minutes=40, seconds=1)):
        client.push(["c" * 64])
    first, second, renewed = (apns.bearer(request) for request in apns.requests)

    assert jwt.get_unverified_header(first) == {"alg": "ES256", "kid": APNS_KEY_ID}
    claims = jwt.decode(first, keys.apns_public_key, algorithms=["ES256"])
    assert claims == {"iss": TEAM_ID, "iat": int(T0.timestamp())}
    assert second == first
    assert renewed != first
    assert jwt.decode(renewed, keys.apns_public_key, algorithms=["ES256"])["iat"] == int(
        (T0 + timedelta(minutes=40, seconds=1)).timestamp()
    )
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(first, apns_test_keys("other").apns_public_key, algorithms=["ES256"])


def test_one_client_per_process_and_credentials_closed_when_the_override_ends(keys, db):
    credentials = apple_credentials()
    with fake_apns():
        client = apns_client(credentials)
        assert apns_client(credentials) is client
    assert client.is_closed
    with fake_apns():
        assert apns_client(credentials) is not client


def test_an_expired_provider_token_is_renewed_once(apns, at_t0, db):
    token = secrets.token_hex(32)
    apns.answer(token, httpx.Response(403, json={"reason": "ExpiredProviderToken"}), 200)

    [result] = apns_client(apple_credentials()).push([token])

    assert result.ok
    assert len(apns.requests) == 2
    assert apns.bearer(apns.requests[0]) != apns.bearer(apns.requests[1])


def test_no_answer_is_a_result_not_an_exception(apns, db):
    token = secrets.token_hex(32)
    apns.answer(token, httpx.ConnectError("connection refused"))

    [result] = apns_client(apple_credentials()).push([token])

    assert (result.status, result.reason, result.ok) == (None, "ConnectError", False)


# --- The task: what each answer does ------------------------------------------------------------------------


def test_a_delivered_push_clears_the_registration_and_records_the_answer(apns, at_t0, make_registration):
    registration = make_registration()
    not_due = make_registration(due=False)

    counts = apple_pushes_send()

    assert apns.tokens == [registration.device.push_token]
    assert counts == {"pushes": 1, "delivered": 1}
    registration = fresh(registration)
    assert (registration.push_due_at, registration.push_attempts) == (None, 0)
    assert (registration.last_push_at, registration.last_push_status, registration.last_push_reason) == (T0, 200, "")
    assert fresh(not_due).last_push_at is None


def test_one_push_per_device_however_many_of_its_passes_changed(apns, at_t0, make_registration):
    first = make_registration()
    second = make_registration(device=first.device)
    other_device = make_registration()

    apple_pushes_send()

    assert sorted(apns.tokens) == sorted([first.device.push_token, other_device.device.push_token])
    assert fresh(first).push_due_at is None
    assert fresh(second).push_due_at is None


def test_only_the_given_passes_are_pushed(apns, at_t0, make_registration):
    chosen = make_registration()
    other = make_registration()

    apple_pushes_send(pass_ids=[chosen.wallet_pass_id])

    assert apns.tokens == [chosen.device.push_token]
    assert fresh(other).push_due_at == T0


def test_unregistered_forgets_the_device_and_every_pass_of_the_program_on_it(apns, at_t0, make_registration):
    gone = make_registration()
    gone_too = make_registration(device=gone.device, due=False)
    kept = make_registration()
    apns.answer(gone.device.push_token, 410)

    counts = apple_pushes_send()

    assert counts["unregistered"] == 1
    assert fresh(gone) is None
    assert fresh(gone_too) is None
    assert not AppleDevice.objects.filter(pk=gone.device_id).exists()
    assert fresh(kept).push_due_at is None
    assert WalletPass.objects.filter(pk=gone.wallet_pass_id).exists()


def test_unregistered_before_the_device_registered_again_keeps_it(apns, at_t0, make_registration):
    registration = make_registration()
    earlier = int((registration.device.updated_at - timedelta(minutes=5)).timestamp() * 1000)
    apns.answer(
        registration.device.push_token, httpx.Response(410, json={"reason": "Unregistered", "timestamp": earlier})
    )

    apple_pushes_send()

    registration = fresh(registration)
    assert registration is not None
    assert registration.last_push_status == 410
    assert registration.push_due_at is not None  # tried again once the claim lapses


def test_a_bad_device_token_is_forgotten(apns, at_t0, make_registration):
    registration = make_registration()
    apns.answer(registration.device.push_token, 400)

    apple_pushes_send()

    assert fresh(registration) is None
    assert not AppleDevice.objects.filter(pk=registration.device_id).exists()


def test_a_bad_device_token_from_another_host_forgets_nothing(apns, at_t0, make_registration, settings):
    """Against the sandbox every Wallet token is "bad": that says our setup is wrong, not the devices."""
    settings.KARTKA_WALLET_APNS_URL = "https://api.sandbox.push.apple.com"
    registration = make_registration()
    apns.answer(registration.device.push_token, 400)

    apple_pushes_send()

    registration = fresh(registration)
    assert (registration.push_due_at, registration.last_push_status) == (None, 400)
    assert apns.requests[0].url.host == "api.sandbox.push.apple.com"


def test_service_unavailable_backs_off_and_a_later_sweep_sends_again(apns, make_registration):
    with clock.travel(T0):
        registration = make_registration()
        apns.answer(registration.device.push_token, 503, 200)
        assert wallet_sweep()["retrying"] == 1
    registration = fresh(registration)
    assert (registration.push_due_at, registration.push_attempts) == (T0 + timedelta(seconds=30), 1)
    assert (registration.last_push_status, registration.last_push_reason) == (503, "ServiceUnavailable")

    with clock.travel(T0 + timedelta(seconds=29)):
        assert wallet_sweep() == {}
    assert len(apns.requests) == 1

    with clock.travel(T0 + timedelta(seconds=30)):
        assert wallet_sweep()["delivered"] == 1
    registration = fresh(registration)
    assert len(apns.requests) == 2
    assert (registration.push_due_at, registration.push_attempts, registration.last_push_status) == (None, 0, 200)


def test_retries_back_off_to_an_hour_and_give_up_after_eight_attempts(apns, make_registration):
    with clock.travel(T0):
        registration = make_registration()
    apns.answer(registration.device.push_token, 429)
    waits = []
    moment = T0
    for _attempt in range(MAX_ATTEMPTS):
        with clock.travel(moment):
            apple_pushes_send()
        due = fresh(registration).push_due_at
        if due is None:
            break
        waits.append(due - moment)
        moment = due

    registration = fresh(registration)
    assert len(apns.requests) == MAX_ATTEMPTS
    assert waits == [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10)] + [timedelta(hours=1)] * 4
    assert (registration.push_due_at, registration.push_attempts, registration.last_push_status) == (
        None,
        MAX_ATTEMPTS,
        429,
    )


def test_no_answer_is_retried(apns, at_t0, make_registration):
    registration = make_registration()
    apns.answer(registration.device.push_token, httpx.ConnectError("connection refused"))

    apple_pushes_send()

    registration = fresh(registration)
    assert (registration.push_due_at, registration.push_attempts) == (T0 + timedelta(seconds=30), 1)
    assert (registration.last_push_status, registration.last_push_reason) == (None, "ConnectError")


def test_when_apple_is_out_of_reach_the_round_stops_after_three_silent_pushes(apns, at_t0, make_registration):
    registrations = [make_registration() for _ in range(5)]
    for registration in registrations:
        apns.answer(registration.device.push_token, httpx.ConnectError("connection refused"))

    counts = apple_pushes_send()

    assert len(apns.requests) == 3
    assert (counts["pushes"], counts["retrying"]) == (3, 3)
    untried = [fresh(row) for row in registrations if row.device.push_token not in apns.tokens]
    assert [(registration.push_due_at, registration.push_attempts) for registration in untried] == [
        (T0 + tasks.IN_FLIGHT, 0)
    ] * 2


def test_a_refused_provider_token_clears_and_is_logged_once(apns, at_t0, make_registration, caplog):
    registrations = [make_registration() for _ in range(3)]
    for registration in registrations:
        apns.answer(registration.device.push_token, 403)

    with caplog.at_level(logging.INFO, logger="wallet"):
        counts = apple_pushes_send()

    assert counts["refused"] == 3
    for registration in registrations:
        registration = fresh(registration)
        assert (registration.push_due_at, registration.last_push_status) == (None, 403)
        assert registration.last_push_reason == "InvalidProviderToken"
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "403 InvalidProviderToken" in errors[0].getMessage()


# --- Concurrency ------------------------------------------------------------------------------------------------


def test_a_change_that_arrives_during_the_push_is_pushed_too(apns, at_t0, make_registration):
    registration = make_registration()

    def meanwhile(request):
        apple_pushes_schedule(pass_ids=[registration.wallet_pass_id])  # the pass changes again, mid-flight

    apns.answer(registration.device.push_token, meanwhile, 200)

    apple_pushes_send()

    registration = fresh(registration)
    assert registration.last_push_status == 200
    assert registration.push_due_at == T0  # still due: the device may have fetched before the change
    apple_pushes_send()
    assert len(apns.requests) == 2
    assert fresh(registration).push_due_at is None


def test_a_second_worker_does_not_send_what_the_first_claimed(apns, at_t0, make_registration):
    registration = make_registration()
    second_worker = {}

    def meanwhile(request):
        second_worker.update(apple_pushes_send())  # another worker runs while this push is in flight

    apns.answer(registration.device.push_token, meanwhile)

    apple_pushes_send()

    assert second_worker == {}
    assert len(apns.requests) == 1
    assert fresh(registration).push_due_at is None


def test_of_two_workers_that_read_the_same_due_row_only_one_claims_it(at_t0, make_registration):
    """The race the sweep can't show in one thread: both read the row as due, then both try to claim it."""
    registration = make_registration()
    [row] = tasks.due_rows(AppleRegistration.objects.all())

    first = tasks._claim([row], T0 + timedelta(minutes=2))
    second = tasks._claim([row], T0 + timedelta(minutes=2, seconds=1))

    assert (first, second) == ([row], [])
    assert fresh(registration).push_due_at == T0 + timedelta(minutes=2)


def test_a_claim_that_was_never_answered_falls_due_again(apns, at_t0, make_registration):
    registration = make_registration()
    AppleRegistration.objects.filter(pk=registration.pk).update(push_due_at=T0 + timedelta(minutes=2))  # in flight

    assert apple_pushes_send() == {}
    with clock.travel(T0 + timedelta(minutes=2)):
        assert apple_pushes_send()["delivered"] == 1


# --- Credentials ------------------------------------------------------------------------------------------------


def test_without_credentials_nothing_is_sent_and_the_log_says_why(at_t0, make_registration, settings, caplog):
    settings.KARTKA_WALLET_APPLE_PASS_TYPE_ID = ""
    settings.KARTKA_WALLET_APPLE_CERTIFICATE = ""
    registration = make_registration()
    with fake_apns() as apns, caplog.at_level(logging.INFO, logger="wallet"):
        counts = apple_pushes_send()
        assert wallet_sweep()["unconfigured"] == 1

    assert apns.requests == []
    assert counts == {"unconfigured": 1}
    assert fresh(registration).push_due_at == T0
    [first, *_] = [record.getMessage() for record in caplog.records if record.name == "wallet.tasks"]
    assert "neither the program nor the install has Apple Wallet credentials" in first
    assert registration.wallet_pass.program.slug in first


def test_without_an_apns_key_nothing_is_sent_and_the_log_says_why(at_t0, make_registration, settings, caplog):
    apple_settings(settings, apns_test_keys(), apns_key=False)
    registration = make_registration()
    with fake_apns() as apns, caplog.at_level(logging.INFO, logger="wallet"):
        apple_pushes_send()

    assert apns.requests == []
    assert fresh(registration).push_due_at == T0
    assert "no APNs key" in caplog.records[0].getMessage()


def test_an_apns_key_that_is_not_a_p256_key_is_not_used(at_t0, make_registration, settings, caplog):
    keys = apns_test_keys()
    apple_settings(settings, keys)
    settings.KARTKA_WALLET_APNS_KEY = keys.key_pem  # the certificate's RSA key by mistake
    registration = make_registration()
    with fake_apns() as apns, caplog.at_level(logging.INFO, logger="wallet"):
        apple_pushes_send()

    assert apns.requests == []
    assert fresh(registration).push_due_at == T0
    assert "not an APNs token key" in caplog.records[0].getMessage()


def test_each_program_pushes_with_its_own_credentials(apns, at_t0, make_registration, make_card, settings):
    settings.KARTKA_WALLET_SECRETS_KEY = Fernet.generate_key().decode()
    cafe_keys = apns_test_keys("cafe")
    cafe = ProgramFactory(slug="cafe", name="Cafe")
    WalletConfig.objects.create(
        program=cafe,
        apple_pass_type_identifier="pass.ua.cafe",
        apple_team_identifier="CAFE000000",
        apple_certificate=cafe_keys.certificate_pem,
        apple_key_sealed=secret_seal(cafe_keys.key_pem),
        apns_key_id="CAFEKEY000",
        apns_key_sealed=secret_seal(cafe_keys.apns_key_pem),
    )
    cafe_type = CardTypeFactory(program=cafe, name="Cafe card", cashback_percent=D(3))
    RedemptionRuleFactory(card_type=cafe_type, point_value=D(1), max_share_percent=D(50))
    clothes = make_registration()
    # The same phone holds a pass of each program: one push per pass type.
    cafe_registration = make_registration(card=make_card(cafe_type), device=clothes.device)

    apple_pushes_send()

    by_topic = {request.headers["apns-topic"]: request for request in apns.requests}
    assert set(by_topic) == {PASS_TYPE_ID, "pass.ua.cafe"}
    cafe_bearer = apns.bearer(by_topic["pass.ua.cafe"])
    assert jwt.get_unverified_header(cafe_bearer)["kid"] == "CAFEKEY000"
    assert jwt.decode(cafe_bearer, cafe_keys.apns_public_key, algorithms=["ES256"])["iss"] == "CAFE000000"
    assert fresh(cafe_registration).push_due_at is None
    assert fresh(clothes).push_due_at is None


# --- Privacy ----------------------------------------------------------------------------------------------------


def test_no_push_token_nor_phone_number_in_any_log_record(apns, at_t0, make_registration, caplog, settings):
    registrations = [make_registration() for _ in range(5)]
    for registration, answer in zip(registrations, [410, 403, 503, httpx.ConnectError("refused"), 200], strict=True):
        apns.answer(registration.device.push_token, answer)

    with caplog.at_level(logging.DEBUG):
        apple_pushes_send()
        settings.KARTKA_WALLET_APPLE_PASS_TYPE_ID = ""
        apple_pushes_schedule(pass_ids=[registration.wallet_pass_id for registration in registrations])
        apple_pushes_send()

    assert caplog.records
    secrets_ = [registration.device.push_token for registration in registrations]
    secrets_ += [registration.wallet_pass.card.member.phone for registration in registrations]
    secrets_ += [registration.device.library_identifier for registration in registrations]
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        for secret in secrets_:
            assert str(secret) not in text, record.getMessage()


# --- Upkeep -----------------------------------------------------------------------------------------------------


def test_the_sweep_and_the_upkeep_are_scheduled():
    assert SCHEDULES == {
        "kartka.wallet_sweep": ("wallet.tasks.wallet_sweep", "I", 1),
        "kartka.wallet_forget_old": ("wallet.tasks.wallet_forget_old", "D", None),
    }
    assert set(SCHEDULES.items()) <= set(schedules_registered().items())


def test_devices_without_passes_are_forgotten_after_a_day(make_registration):
    with_pass = make_registration(due=False)
    AppleDevice.objects.filter(pk=with_pass.device_id).update(updated_at=timezone.now() - timedelta(days=3))
    old = AppleDevice.objects.create(library_identifier="old", push_token="1" * 64)
    AppleDevice.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=1, minutes=1))
    recent = AppleDevice.objects.create(library_identifier="recent", push_token="2" * 64)

    assert wallet_forget_old() == 1

    assert set(AppleDevice.objects.values_list("pk", flat=True)) == {with_pass.device_id, recent.pk}


def test_the_client_module_keeps_nothing_after_the_override(keys, db):
    with fake_apns():
        apns_client(apple_credentials())
    assert apns_module._clients == {}
