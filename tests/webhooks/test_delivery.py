"""Attempts, retries and their schedule, the sweeper, claims, re-sending, the destination guard and the purge, on
the real database with time moved by ``clock.travel`` and the receiver faked at the HTTP boundary."""

from datetime import timedelta

import httpx
import pytest
from django.core.exceptions import ValidationError
from django_q.models import Schedule

from programs import clock
from programs.errors import InvalidInput
from programs.models import AuditEvent
from tenancy.actors import SYSTEM, Actor
from webhooks import services, tasks
from webhooks.choices import DeliveryStatus
from webhooks.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)
# The documented schedule (docs/api.md): the wait after each failed attempt, then "failed" after the eighth.
SCHEDULE = [timedelta(minutes=m) for m in (1, 5, 30, 120, 360, 720, 1440)]


@pytest.fixture
def endpoint(program):
    return WebhookEndpointFactory(program=program, url="https://crm.example.com/hooks")


@pytest.fixture
def t0():
    return clock.now().replace(microsecond=0)


def send_test(endpoint, committed, at):
    with clock.travel(at), committed():
        delivery = services.endpoint_test_send(endpoint=endpoint, actor=SYSTEM)
    delivery.refresh_from_db()
    return delivery


def sweep(at):
    with clock.travel(at):
        return tasks.deliveries_sweep()


def test_a_2xx_delivers_at_the_first_attempt(endpoint, receiver, committed, t0):
    receiver.answer(httpx.Response(204))

    delivery = send_test(endpoint, committed, t0)

    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.SUCCEEDED, 1, None)
    assert (delivery.last_status_code, delivery.delivered_at, delivery.last_attempt_at) == (204, t0, t0)
    assert delivery.last_duration_ms is not None and delivery.last_error == ""
    assert len(receiver.requests) == 1
    assert sweep(t0 + timedelta(days=3)) == {}  # nothing left to do
    assert len(receiver.requests) == 1


def test_a_server_error_is_retried_a_minute_later(endpoint, receiver, committed, t0):
    receiver.answer(httpx.Response(503, text="Maintenance until 13:00"))

    delivery = send_test(endpoint, committed, t0)

    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 1)
    assert delivery.next_attempt_at == t0 + MINUTE
    assert (delivery.last_status_code, delivery.last_response) == (503, "Maintenance until 13:00")
    assert sweep(t0 + timedelta(seconds=59)) == {}  # not due yet
    assert len(receiver.requests) == 1

    assert sweep(t0 + MINUTE) == {DeliveryStatus.SUCCEEDED: 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 2, 200)
    second = receiver.requests[1]
    assert second.headers["Kartka-Attempt"] == "2"
    assert second.content == receiver.requests[0].content  # same body ...
    assert second.headers["Kartka-Timestamp"] == str(int((t0 + MINUTE).timestamp()))  # ... signed afresh
    assert second.headers["Kartka-Delivery"] == receiver.requests[0].headers["Kartka-Delivery"]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.ConnectError("Connection refused"), "ConnectError: Connection refused"),
        (httpx.ReadTimeout("timed out"), "No answer within 5 s."),
        (httpx.RemoteProtocolError("Server disconnected"), "RemoteProtocolError: Server disconnected"),
    ],
)
def test_no_answer_is_retried_with_the_reason(endpoint, receiver, committed, t0, answer, error):
    receiver.answer(answer)

    delivery = send_test(endpoint, committed, t0)

    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.RETRYING, 1, t0 + MINUTE)
    assert (delivery.last_status_code, delivery.last_error) == (None, error)


def test_redirects_are_not_followed(endpoint, receiver, committed, t0):
    receiver.answer(httpx.Response(301, headers={"Location": "https://elsewhere.example.com/"}))

    delivery = send_test(endpoint, committed, t0)

    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.RETRYING, 301)
    assert [str(request.url) for request in receiver.requests] == ["https://crm.example.com/hooks"]


def test_backoff_schedule_then_failed(endpoint, receiver, committed, t0):
    receiver.answer(*[500] * 8)
    delivery = send_test(endpoint, committed, t0)
    at = t0

    for attempt, wait in enumerate(SCHEDULE, start=1):
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, attempt)
        assert delivery.next_attempt_at == at + wait
        at += wait
        sweep(at)
        delivery.refresh_from_db()

    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 8, None)
    assert delivery.last_status_code == 500
    assert at - t0 == timedelta(hours=44, minutes=36)
    assert [request.headers["Kartka-Attempt"] for request in receiver.requests] == [str(n) for n in range(1, 9)]
    assert sweep(at + timedelta(days=7)) == {}
    assert len(receiver.requests) == 8


def test_only_due_deliveries_are_swept(endpoint, receiver, committed, t0):
    receiver.answer(500, 500)
    early = send_test(endpoint, committed, t0)
    late = send_test(endpoint, committed, t0 + timedelta(seconds=30))

    assert sweep(t0 + MINUTE) == {DeliveryStatus.SUCCEEDED: 1}

    early.refresh_from_db()
    late.refresh_from_db()
    assert early.status == DeliveryStatus.SUCCEEDED
    assert (late.status, late.attempts) == (DeliveryStatus.RETRYING, 1)


def test_the_sweeper_sends_pending_deliveries_whose_task_was_lost(
    endpoint, receiver, django_capture_on_commit_callbacks, t0
):
    with clock.travel(t0), django_capture_on_commit_callbacks(execute=False):
        # The commit never reaches the queue (the worker or the broker was down).
        [delivery] = services.events_publish(events=[services.Event(endpoint.program_id, "card.issued", {"x": 1})])

    assert sweep(t0 + timedelta(seconds=30)) == {}  # young: still its own task's business
    assert receiver.requests == []
    assert sweep(t0 + timedelta(seconds=61)) == {DeliveryStatus.SUCCEEDED: 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert receiver.types == ["card.issued"]


def test_an_attempt_whose_worker_died_is_tried_again_after_its_lease(endpoint, receiver, t0):
    # What a worker that died mid-attempt leaves: claimed (attempt 1, lease of five minutes), never answered.
    delivery = WebhookDeliveryFactory(
        endpoint=endpoint, attempts=1, last_attempt_at=t0, next_attempt_at=t0 + timedelta(minutes=5), created_at=t0
    )

    assert sweep(t0 + timedelta(minutes=5)) == {}
    assert sweep(t0 + timedelta(minutes=6)) == {DeliveryStatus.SUCCEEDED: 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    assert receiver.requests[0].headers["Kartka-Attempt"] == "2"


def test_an_attempt_in_flight_is_not_sent_twice(endpoint, receiver, t0):
    delivery = WebhookDeliveryFactory(endpoint=endpoint, created_at=t0 - timedelta(minutes=2))
    concurrent = []

    def second_worker(request):
        # While the first attempt waits for its answer, the sweeper and a duplicate task try the same delivery.
        concurrent.append(services.deliveries_send(delivery_ids=[delivery.pk]))
        concurrent.append(services.deliveries_sweep())
        return httpx.Response(200)

    receiver.answer(second_worker)
    with clock.travel(t0):
        first = services.deliveries_send(delivery_ids=[delivery.pk])
        again = services.deliveries_send(delivery_ids=[delivery.pk])

    assert first == {DeliveryStatus.SUCCEEDED: 1}
    assert concurrent == [{"skipped": 1}, {}]
    assert again == {"skipped": 1}  # delivered already: no claim, no request
    assert len(receiver.requests) == 1


def test_only_an_excerpt_of_the_answer_is_kept(endpoint, receiver, committed, t0):
    receiver.answer(httpx.Response(500, text="é" * 5000))

    delivery = send_test(endpoint, committed, t0)

    assert delivery.last_response == "é" * 1000


def test_deliveries_of_an_inactive_endpoint_are_given_up(endpoint, receiver, committed, t0):
    receiver.answer(500)
    delivery = send_test(endpoint, committed, t0)
    endpoint.is_active = False
    endpoint.save()

    assert sweep(t0 + MINUTE) == {DeliveryStatus.FAILED: 1}

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 1, None)
    assert delivery.last_error == "Not sent: the endpoint is inactive."
    assert len(receiver.requests) == 1
    with pytest.raises(InvalidInput):
        services.delivery_resend(delivery=delivery, actor=SYSTEM)
    with pytest.raises(InvalidInput):
        services.endpoint_test_send(endpoint=endpoint, actor=SYSTEM)


def test_a_resend_is_a_new_delivery_of_the_same_event(endpoint, receiver, committed, staff, t0):
    receiver.answer(*[500] * 8)
    original = send_test(endpoint, committed, t0)
    for wait in SCHEDULE:
        t0 += wait
        sweep(t0)
    original.refresh_from_db()
    assert original.status == DeliveryStatus.FAILED

    with clock.travel(t0 + timedelta(days=1)), committed():
        resend = services.delivery_resend(delivery=original, actor=Actor.staff(staff))

    resend.refresh_from_db()
    original.refresh_from_db()
    assert (resend.status, resend.attempts, resend.resent_from) == (DeliveryStatus.SUCCEEDED, 1, original)
    assert (resend.event_id, resend.payload, resend.event_type) == (
        original.event_id,
        original.payload,
        original.event_type,
    )
    assert resend.uuid != original.uuid
    assert (original.status, original.attempts) == (DeliveryStatus.FAILED, 8)  # the log keeps what happened
    last = receiver.requests[-1]
    assert last.content == receiver.requests[0].content
    assert (last.headers["Kartka-Delivery"], last.headers["Kartka-Attempt"]) == (str(resend.uuid), "1")
    event = AuditEvent.objects.get(action="webhook_delivery.resend")
    assert (event.actor, event.object_id, event.changes) == (
        staff,
        str(resend.pk),
        {"resent_from": [None, str(original.uuid)]},
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/hook",
        "http://192.168.0.10:8080/hook",
        "http://127.0.0.1:8000/hook",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/hook",
        "http://100.64.0.7/hook",
    ],
)
def test_private_destinations_are_refused_when_not_allowed(program, receiver, committed, settings, t0, url):
    settings.KARTKA_WEBHOOK_ALLOW_PRIVATE = False
    endpoint = WebhookEndpointFactory(program=program, url=url)  # saved while it was allowed, say

    delivery = send_test(endpoint, committed, t0)

    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 1, None)
    assert "private or reserved network" in delivery.last_error
    assert receiver.requests == []
    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(program=program, url=url, events=["card.issued"]).full_clean()
    assert "private or reserved network" in str(refused.value.message_dict["url"])


def test_public_and_private_destinations_when_allowed(program, receiver, committed, settings, t0):
    settings.KARTKA_WEBHOOK_ALLOW_PRIVATE = False
    public = WebhookEndpointFactory(program=program, url="https://93.184.216.34/hook")
    send_test(public, committed, t0)
    settings.KARTKA_WEBHOOK_ALLOW_PRIVATE = True
    local = WebhookEndpointFactory(program=program, url="http://127.0.0.1:9000/hook")
    send_test(local, committed, t0)

    assert [str(request.url) for request in receiver.requests] == [public.url, local.url]
    WebhookEndpoint(program=program, url=local.url, events=["card.issued"]).full_clean()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.com/in", "Enter a valid URL."),
        ("https://user:secret@crm.example.com/hooks", "must not contain a user name or password"),
        ("not a url", "Enter a valid URL."),
    ],
)
def test_urls_that_can_never_be_endpoints(program, url, message):
    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(program=program, url=url, events=["card.issued"]).full_clean()

    assert message in " ".join(refused.value.message_dict["url"])


def test_events_must_be_chosen_and_known(program):
    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(program=program, url="https://crm.example.com/", events=[]).full_clean()
    assert refused.value.message_dict["events"] == ["Choose at least one event."]

    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(program=program, url="https://crm.example.com/", events=["webhook.test"]).full_clean()
    assert refused.value.message_dict["events"] == ["Unknown event: webhook.test."]


def test_a_program_has_at_most_ten_endpoints(program):
    for _ in range(10):
        WebhookEndpointFactory(program=program)

    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(program=program, url="https://one-more.example.com/", events=["card.issued"]).full_clean()
    assert refused.value.message_dict["program"] == ["A program can have at most 10 webhook endpoints."]


def test_the_purge_forgets_old_finished_deliveries_only(endpoint, t0):
    old = t0 - timedelta(days=31)
    done = WebhookDeliveryFactory(endpoint=endpoint, status="succeeded", next_attempt_at=None, created_at=old)
    gave_up = WebhookDeliveryFactory(endpoint=endpoint, status="failed", next_attempt_at=None, created_at=old)
    still_trying = WebhookDeliveryFactory(endpoint=endpoint, status="retrying", next_attempt_at=t0, created_at=old)
    recent = WebhookDeliveryFactory(endpoint=endpoint, status="succeeded", next_attempt_at=None, created_at=t0)
    resend = WebhookDeliveryFactory(
        endpoint=endpoint, status="succeeded", next_attempt_at=None, created_at=t0, resent_from=gave_up
    )

    with clock.travel(t0):
        assert tasks.deliveries_purge() == 2

    assert set(WebhookDelivery.objects.all()) == {still_trying, recent, resend}
    resend.refresh_from_db()
    assert resend.resent_from is None
    assert not WebhookDelivery.objects.filter(pk__in=[done.pk, gave_up.pk]).exists()


def test_the_sweep_and_purge_are_scheduled_after_migrate():
    schedules = dict(Schedule.objects.filter(name__startswith="kartka.webhooks").values_list("name", "func"))

    assert schedules == {
        "kartka.webhooks_sweep": "webhooks.tasks.deliveries_sweep",
        "kartka.webhooks_purge": "webhooks.tasks.deliveries_purge",
    }
    sweep_schedule = Schedule.objects.get(name="kartka.webhooks_sweep")
    assert (sweep_schedule.schedule_type, sweep_schedule.minutes, sweep_schedule.repeats) == ("I", 1, -1)


def test_a_trickling_answer_does_not_hold_the_worker(endpoint, receiver, committed, settings, t0):
    import time

    settings.KARTKA_WEBHOOK_TIMEOUT = 0.3

    def trickle():
        for _ in range(100):  # ten seconds in all, a byte at a time (each read well within the timeout)
            time.sleep(0.1)
            yield b"x"

    receiver.answer(httpx.Response(200, content=trickle()))
    started = time.monotonic()

    delivery = send_test(endpoint, committed, t0)

    assert time.monotonic() - started < 3
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 200)
    assert 0 < len(delivery.last_response) < 10
