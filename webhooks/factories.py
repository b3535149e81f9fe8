"""factory_boy factories for webhooks. Endpoints are saved like the admin saves them (so their program's cached
subscriptions are renewed); deliveries come from ``webhooks.services``, except when a test needs one in a state
services only reach over time."""

import uuid

import factory

from programs import clock
from programs.factories import ProgramFactory
from webhooks.choices import SUBSCRIBABLE_EVENTS, DeliveryStatus, EventType
from webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    program = factory.SubFactory(ProgramFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/kartka")
    description = factory.Sequence(lambda n: f"Receiver {n}")
    events = factory.LazyFunction(lambda: [value for value, _label in SUBSCRIBABLE_EVENTS])


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_type = EventType.TEST
    event_id = factory.LazyFunction(uuid.uuid4)
    payload = factory.LazyAttribute(lambda delivery: f'{{"id":"{delivery.event_id}","type":"{delivery.event_type}"}}')
    status = DeliveryStatus.PENDING
    next_attempt_at = factory.LazyAttribute(lambda delivery: delivery.created_at)
    created_at = factory.LazyFunction(clock.now)
