from datetime import datetime

from django.db import models
from django.db.models import Q

from webhooks.choices import CLOSED_STATUSES, OPEN_STATUSES, DeliveryStatus


class WebhookDeliveryQuerySet(models.QuerySet):
    def open(self):
        """Not delivered and not given up: pending or retrying."""
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self):
        return self.filter(status__in=CLOSED_STATUSES)

    def due(self, at: datetime, *, fresh_until: datetime):
        """Open deliveries whose attempt is due at ``at``: retries whose time has come, and pending ones created
        (or left by a dead worker) before ``fresh_until``; younger pending ones are their own task's business."""
        return self.filter(
            Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=at)
            | Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=fresh_until)
        )
