"""The purchase path is benchmarked (docs/benchmarks.md): a program nobody listens to must not pay for webhooks.

Its subscriptions are cached per process under the program's ``config_version``, which the card lock reads
anyway, so such a purchase runs exactly the statements it runs with the webhooks consumer unregistered, even
while other programs have endpoints, and queues no dispatcher run. With listeners the till's request adds one
enqueue (the dispatcher); the worker's run then reads the endpoints once, inserts all deliveries at once and
queues their sending once. And the cache never hides a new endpoint: saving one renews the version every
process compares.
"""

import contextlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from programs import outbox
from programs.factories import ProgramFactory
from programs.services.purchases import purchase_record
from tenancy.actors import Actor
from tests.conftest import D
from webhooks import receivers
from webhooks.factories import WebhookEndpointFactory
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def webhooks_disconnected():
    consumer = next(consumer for consumer in outbox.consumers() if consumer.name == receivers.CONSUMER)
    outbox.consumer_unregister(receivers.CONSUMER)
    try:
        yield
    finally:
        outbox.consumer_register(
            consumer.name,
            consumer.handle,
            types=consumer.types,
            wakes=consumer.wakes,
            reads=consumer.reads,
            batch=consumer.batch,
        )


@pytest.fixture
def card(make_card, cashback_type, staff):
    from programs.services.cards import card_adjust

    card = make_card(cashback_type)
    card_adjust(card=card, amount=D(500), reason="goodwill", actor=Actor.staff(staff))
    return card


@pytest.fixture
def purchase(card, store, committed):
    receipts = iter(range(1, 1000))

    def run(**extra) -> list[str]:
        with CaptureQueriesContext(connection) as queries, committed():
            purchase_record(card=card, store=store, receipt_id=f"R-{next(receipts)}", total=D(100), **extra)
        return [query["sql"] for query in queries.captured_queries]

    return run


@pytest.fixture
def others_listen(db):
    return WebhookEndpointFactory(program=ProgramFactory(slug="listening"), url="https://other.example.com/")


@pytest.mark.parametrize("extra", [{}, {"redeem_points": D(20)}], ids=["plain", "with redemption"])
def test_no_statement_added_when_the_program_has_no_endpoints(purchase, others_listen, receiver, extra):
    purchase(**extra)  # the first purchase after a change reads the rules and the subscriptions once

    with_webhooks = purchase(**extra)
    with webhooks_disconnected():
        without = purchase(**extra)

    assert len(with_webhooks) == len(without), "\n".join(with_webhooks)
    assert not [sql for sql in with_webhooks if "webhooks_" in sql]
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_a_new_endpoint_is_heard_at_once_and_a_deleted_one_is_forgotten(program, purchase, receiver):
    purchase()
    baseline = len(purchase())

    endpoint = WebhookEndpointFactory(program=program, events=["purchase.recorded"])
    purchase()
    assert receiver.types == ["purchase.recorded"]

    endpoint.delete()
    purchase()  # reads the (now empty) subscriptions once
    assert len(purchase()) == baseline
    assert receiver.types == ["purchase.recorded"]


def test_a_deactivated_endpoint_is_forgotten_too(program, purchase, receiver):
    endpoint = WebhookEndpointFactory(program=program, events=["purchase.recorded"])
    purchase()
    endpoint.is_active = False
    endpoint.save()

    purchase()

    assert receiver.types == ["purchase.recorded"]


def test_with_listeners_one_enqueue_then_one_read_one_insert_one_enqueue(
    program, purchase, receiver, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(program=program, url="https://a.example.com/", events=["purchase.recorded"])
    WebhookEndpointFactory(
        program=program, url="https://b.example.com/", events=["purchase.recorded", "points.redeemed"]
    )
    purchase()
    # The real queue this time (the ORM broker): what the till's request leaves behind for the workers.
    previous, Conf.SYNC = Conf.SYNC, False
    try:
        statements = purchase(redeem_points=D(20))
        task = SignedPackage.loads(OrmQ.objects.get().payload)
        assert task["func"] == outbox.DISPATCH_TASK
        OrmQ.objects.all().delete()
        # The worker's run of that task.
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            outbox.events_dispatch()
        dispatched = [query["sql"] for query in queries.captured_queries]
    finally:
        Conf.SYNC = previous

    def count(sqls, needle):
        return len([sql for sql in sqls if needle in sql])

    assert count(statements, 'FROM "webhooks_webhookendpoint"') == 0
    assert count(statements, 'INSERT INTO "webhooks_webhookdelivery"') == 0
    assert count(statements, 'INSERT INTO "django_q_ormq"') == 1
    assert count(dispatched, 'FROM "webhooks_webhookendpoint"') == 1
    assert count(dispatched, 'INSERT INTO "webhooks_webhookdelivery"') == 1
    assert count(dispatched, 'INSERT INTO "django_q_ormq"') == 1
    fresh = WebhookDelivery.objects.filter(attempts=0)
    assert sorted(fresh.values_list("event_type", flat=True)) == [
        "points.redeemed",
        "purchase.recorded",
        "purchase.recorded",
    ]
    task = SignedPackage.loads(OrmQ.objects.get().payload)
    assert task["func"] == "webhooks.tasks.deliveries_send"
    assert task["args"] == (sorted(fresh.values_list("pk", flat=True)),)
