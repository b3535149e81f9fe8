"""The floor of any Django purchase endpoint, served beside the API by ``bench/api.py``: the project's settings and
middleware, one JSON view doing the bare ORM purchase transaction of ``shared/design/performance.md`` (lock the
card with ``select_for_update().get``, create one ledger row, ``update(F())``), no authentication, rules, tiers,
lots, idempotency or validation beyond parsing. What this reaches on the machine is the most that a purchase
API written with the Django ORM can reach there.

    DJANGO_SETTINGS_MODULE=bare gunicorn --pythonpath bench config.wsgi:application

It is its own settings module and URLconf: ``POST /bare/purchase/`` with ``{"card": <id>, "amount": "12.34"}``
answers 201. It writes to the cards the benchmarks keep for their floor references, never to measured ones.
"""

import json
from decimal import Decimal

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bare"


@csrf_exempt
@require_POST
def purchase(request):
    from common import bare_purchase  # bench/ is on the path: this module is found there

    data = json.loads(request.body)
    card = bare_purchase(card_id=data["card"], amount=Decimal(data["amount"]))
    return JsonResponse({"card": card.pk, "amount": data["amount"]}, status=201)


urlpatterns = [path("bare/purchase/", purchase)]
