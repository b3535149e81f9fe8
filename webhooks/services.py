"""Webhook deliveries: queued after the engine's transactions commit, attempted by django-q2 workers, retried with
exponential backoff, re-sent by hand. Each public function documents what it writes.

The life of a delivery: ``pending`` (due at once) → an attempt claims it (``attempts`` + 1, ``next_attempt_at``
moves to the end of a lease) → ``succeeded`` on a 2xx, else ``retrying`` with ``next_attempt_at`` one step of
``BACKOFF`` later, and ``failed`` after ``MAX_ATTEMPTS`` or when the destination is refused. The claim is a
conditional UPDATE, so the immediate task, the sweeper and a second worker never send the same attempt twice,
and a worker that dies mid-attempt leaves the delivery due again when the lease ends.
"""

import logging
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from programs import clock
from programs.errors import InvalidInput
from tenancy.actors import Actor
from tenancy.choices import AuditAction
from tenancy.services import audit_record
from webhooks import payloads
from webhooks.choices import DeliveryStatus, EventType
from webhooks.client import Answer, WebhookClient
from webhooks.models import WebhookDelivery, WebhookEndpoint, secret_new
from webhooks.signing import signature_header

logger = logging.getLogger(__name__)

# Wait before attempt n + 1 after attempt n failed; after the last one the delivery has failed (~45 h in all).
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# How long an attempt holds its claim: far longer than the client's timeouts allow an attempt to take.
ATTEMPT_LEASE = timedelta(minutes=5)
# Pending deliveries younger than this are left to the task queued with them; older ones lost theirs.
FRESH = timedelta(minutes=1)
# Deliveries per queued task (and per sweep round): big enough to reuse connections, small enough to spread.
SEND_BATCH = 50
# A sweep runs every minute; it stops taking new rounds after this long so sweeps seldom overlap.
SWEEP_BUDGET_SECONDS = 50
TASK = "webhooks.tasks.deliveries_send"


@dataclass(frozen=True)
class Event:
    """A webhook event to publish: its ``event_id`` and ``created_at`` come from the outbox event it tells of
    (a fresh id and now when not given, e.g. the admin's test event)."""

    program_id: int
    type: str
    data: dict
    event_id: uuid.UUID | None = None
    created_at: datetime | None = None


def _batches(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def deliveries_enqueue(*, delivery_ids: list[int]) -> None:
    """Queue the sending of ``delivery_ids`` (``SEND_BATCH`` per django-q2 task). A queue that can't be reached
    is logged, not raised: the deliveries stay pending and the sweeper sends them a minute later."""
    for batch in _batches(list(delivery_ids), SEND_BATCH):
        try:
            async_task(TASK, batch, group="webhooks")
        except Exception:
            logger.exception("webhooks: could not queue %s deliveries; the sweeper will send them", len(batch))


def events_publish(*, events: list[Event]) -> list[WebhookDelivery]:
    """Queue each event for every active endpoint of its program that subscribes to its type.

    One query for the endpoints, one INSERT for all the deliveries, and their sending enqueued after commit.
    Every endpoint gets the same event id and body; returns the deliveries (none when nobody listens).
    """
    if not events:
        return []
    endpoints = defaultdict(list)
    queryset = WebhookEndpoint.objects.filter(program_id__in={event.program_id for event in events}, is_active=True)
    for endpoint in queryset.select_related("program").order_by("pk"):
        endpoints[endpoint.program_id].append(endpoint)
    now = clock.now()
    deliveries = []
    for event in events:
        targets = [endpoint for endpoint in endpoints[event.program_id] if event.type in endpoint.events]
        if not targets:
            continue
        event_id = event.event_id or uuid.uuid4()
        body = payloads.body_dumps(
            payloads.envelope(
                event_id=event_id,
                event_type=event.type,
                created_at=event.created_at or now,
                program=targets[0].program,
                data=event.data,
            )
        )
        deliveries.extend(
            WebhookDelivery(
                endpoint=endpoint,
                event_type=event.type,
                event_id=event_id,
                payload=body,
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in targets
        )
    if not deliveries:
        return []
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(deliveries, batch_size=500)
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=ids))
    return deliveries


# --- Attempts ------------------------------------------------------------------------------------------------


def _headers(delivery: WebhookDelivery, *, body: bytes, at: datetime) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {
        "Content-Type": "application/json",
        "Kartka-Event": delivery.event_type,
        "Kartka-Event-Id": str(delivery.event_id),
        "Kartka-Delivery": str(delivery.uuid),
        "Kartka-Attempt": str(delivery.attempts),
        "Kartka-Timestamp": str(timestamp),
        "Kartka-Signature": signature_header(secret=delivery.endpoint.secret, timestamp=timestamp, body=body),
    }


def _claim(delivery_id: int, *, at: datetime) -> bool:
    return bool(
        WebhookDelivery.objects.open()
        .filter(pk=delivery_id, next_attempt_at__lte=at, endpoint__is_active=True)
        .update(attempts=F("attempts") + 1, next_attempt_at=at + ATTEMPT_LEASE, last_attempt_at=at)
    )


def _outcome(answer, *, attempts: int, at: datetime) -> dict:
    fields = {
        "last_status_code": answer.status_code,
        "last_error": answer.error[:500],
        "last_response": answer.body,
        "last_duration_ms": answer.duration_ms,
    }
    if answer.ok:
        return {**fields, "status": DeliveryStatus.SUCCEEDED, "next_attempt_at": None, "delivered_at": at}
    if not answer.retryable or attempts >= MAX_ATTEMPTS:
        return {**fields, "status": DeliveryStatus.FAILED, "next_attempt_at": None}
    return {**fields, "status": DeliveryStatus.RETRYING, "next_attempt_at": at + BACKOFF[attempts - 1]}


def _attempt(delivery_id: int, *, client: WebhookClient) -> str:
    """One attempt at one delivery, if it is still open, due and unclaimed. Returns what became of it."""
    started = clock.now()
    if not _claim(delivery_id, at=started):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    try:
        body = delivery.payload.encode()
        answer = client.post(url=delivery.endpoint.url, body=body, headers=_headers(delivery, body=body, at=started))
    except Exception:
        # A bug, not the receiver's fault: still an attempt, so the backoff (and its end) applies.
        logger.exception("webhooks: delivery %s could not be attempted", delivery.uuid)
        answer = Answer(error=_("Kartka could not send this delivery (internal error)."))
    outcome = _outcome(answer, attempts=delivery.attempts, at=clock.now())
    # Only if no one re-claimed it meanwhile (a lease that ran out): the later attempt's result wins.
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**outcome)
    logger.info(
        "webhooks: delivery %s to endpoint %s, attempt %s: %s",
        delivery.uuid,
        delivery.endpoint_id,
        delivery.attempts,
        answer.status_code or "no answer",
    )
    return outcome["status"]


def _drop_inactive(delivery_ids: list[int]) -> set[int]:
    """Give up the open deliveries among ``delivery_ids`` whose endpoint was made inactive; returns their ids."""
    queryset = WebhookDelivery.objects.open().filter(pk__in=delivery_ids, endpoint__is_active=False)
    dropped = set(queryset.values_list("pk", flat=True))
    if dropped:
        WebhookDelivery.objects.open().filter(pk__in=dropped).update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            last_error=_("Not sent: the endpoint is inactive."),
        )
    return dropped


def deliveries_send(*, delivery_ids: list[int], client: WebhookClient | None = None) -> Counter:
    """Attempt each of ``delivery_ids`` that is open and due, once, in order; give up those whose endpoint was
    made inactive. Safe to run twice or concurrently (claims): a delivery another attempt holds, or that is not
    due, is skipped. Returns how many ended in each state (and ``skipped``)."""
    counts = Counter()
    dropped = _drop_inactive(delivery_ids)
    if dropped:
        counts[DeliveryStatus.FAILED] += len(dropped)
    own_client = client is None
    client = client or WebhookClient()
    try:
        for delivery_id in sorted(set(delivery_ids) - dropped):
            counts[_attempt(delivery_id, client=client)] += 1
    finally:
        if own_client:
            client.close()
    return counts


def deliveries_sweep() -> Counter:
    """Attempt every delivery that is due: retries whose time has come and pending ones whose task was lost.

    Runs in rounds of ``SEND_BATCH`` until nothing is due or ``SWEEP_BUDGET_SECONDS`` have passed (the next
    sweep, a minute later, carries on).
    """
    counts = Counter()
    started = time.monotonic()
    seen: set[int] = set()
    with WebhookClient() as client:
        while time.monotonic() - started < SWEEP_BUDGET_SECONDS:
            now = clock.now()
            due = WebhookDelivery.objects.due(now, fresh_until=now - FRESH).order_by("next_attempt_at", "pk")
            ids = [pk for pk in due.values_list("pk", flat=True)[:SEND_BATCH] if pk not in seen]
            if not ids:
                break
            seen.update(ids)
            counts.update(deliveries_send(delivery_ids=ids, client=client))
    return counts


def deliveries_purge(*, before: datetime, chunk: int = 2000) -> int:
    """Delete delivered and failed deliveries created before ``before``, ``chunk`` rows per statement (the log
    table is the busiest one written outside the engine). Open deliveries are kept whatever their age."""
    deleted = 0
    while True:
        ids = list(WebhookDelivery.objects.closed().filter(created_at__lt=before).values_list("pk", flat=True)[:chunk])
        if not ids:
            return deleted
        _count, by_model = WebhookDelivery.objects.filter(pk__in=ids).delete()
        deleted += by_model.get(WebhookDelivery._meta.label, 0)


# --- By hand, from the admin ---------------------------------------------------------------------------------


def _refuse_inactive(endpoint: WebhookEndpoint) -> None:
    if not endpoint.is_active:
        raise InvalidInput(_("The endpoint is inactive: make it active first."))


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery (same event id and body, a new delivery id, the full
    backoff), queued after commit; the original stays in the log as it was. Audited.

    Raises ``InvalidInput`` if the endpoint is inactive.
    """
    endpoint = delivery.endpoint
    _refuse_inactive(endpoint)
    now = clock.now()
    resend = WebhookDelivery(
        endpoint=endpoint,
        event_type=delivery.event_type,
        event_id=delivery.event_id,
        payload=delivery.payload,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        resent_from=delivery,
        created_at=now,
    )
    resend.full_clean(validate_constraints=False)
    resend.save()
    audit_record(
        actor=actor,
        program=endpoint.program,
        action=AuditAction.WEBHOOK_RESEND,
        obj=resend,
        changes={"resent_from": (None, str(delivery.uuid))},
    )
    transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=[resend.pk]))
    return resend


@transaction.atomic
def endpoint_test_send(*, endpoint: WebhookEndpoint, actor: Actor) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to ``endpoint`` (whatever it subscribes to), signed like any other.
    Audited. Raises ``InvalidInput`` if the endpoint is inactive."""
    _refuse_inactive(endpoint)
    now = clock.now()
    event_id = uuid.uuid4()
    body = payloads.body_dumps(
        payloads.envelope(
            event_id=event_id,
            event_type=EventType.TEST,
            created_at=now,
            program=endpoint.program,
            data=payloads.webhook_test(endpoint_id=endpoint.pk),
        )
    )
    delivery = WebhookDelivery(
        endpoint=endpoint,
        event_type=EventType.TEST,
        event_id=event_id,
        payload=body,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
    )
    delivery.full_clean(validate_constraints=False)
    delivery.save()
    audit_record(actor=actor, program=endpoint.program, action=AuditAction.WEBHOOK_TEST, obj=endpoint)
    transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=[delivery.pk]))
    return delivery


def endpoint_secret_reveal(*, endpoint: WebhookEndpoint, actor: Actor) -> str:
    """The endpoint's signing secret, for its owner to copy; the audit log records who looked (never the secret)."""
    audit_record(actor=actor, program=endpoint.program, action=AuditAction.WEBHOOK_SECRET_REVEAL, obj=endpoint)
    return endpoint.secret


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: WebhookEndpoint, actor: Actor) -> WebhookEndpoint:
    """Give the endpoint a new signing secret, effective for every attempt from now on (retries included).
    The old secret stops working at once. Audited (without either secret)."""
    endpoint = WebhookEndpoint.objects.select_for_update().select_related("program").get(pk=endpoint.pk)
    endpoint.secret = secret_new()
    endpoint.save(update_fields=["secret", "updated_at"])
    audit_record(actor=actor, program=endpoint.program, action=AuditAction.WEBHOOK_SECRET_ROTATE, obj=endpoint)
    return endpoint
