"""``Idempotency-Key`` on API writes: a replay gets the first answer back and changes nothing.

The record ``(api key, Idempotency-Key)`` holds the fingerprint of the request (method, path, canonical JSON
body) and the answer (status and body). It is inserted *before* the write runs, in the same transaction, under a
unique constraint, with ``ON CONFLICT DO NOTHING``: a new key costs that one statement (and the update that stores
the answer), a replay finds nothing inserted and reads the stored answer, and a concurrent duplicate blocks on the
insert until the first request commits, then replays its answer (or, if the first rolled back, runs itself). So a
request never runs twice. Both statements are written once as SQL: they are on every keyed write.

What is stored: the answer of every request that got past input validation, successes and domain refusals alike
(a replay of a refused redemption is refused the same way). Not stored: malformed requests (400) and server
errors (5xx), whose transaction is rolled back with the record, so the client can fix the request and send it again
with the same key.
"""

import hashlib
import json
import re

from django.db import transaction
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from programs import clock
from programs.api import sql
from programs.api.problems import (
    PROBLEM_CONTENT_TYPE,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    exception_handler,
)
from programs.errors import LoyaltyError
from programs.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")


def fingerprint(request) -> str:
    """Method, path and the body as canonical JSON (key order and spacing don't matter)."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    text = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint_: str) -> HttpResponse:
    if record.fingerprint != fingerprint_ or record.status is None:
        raise IdempotencyKeyReused()
    content_type = PROBLEM_CONTENT_TYPE if record.status >= 400 else "application/json"
    response = HttpResponse(record.body, status=record.status, content_type=content_type)
    response[REPLAY_HEADER] = "true"
    return response


def _stored(status: int) -> bool:
    return status != 400 and status < 500


def idempotent(request, handler) -> Response:
    """Run ``handler()`` (which returns a ``Response`` or raises) at most once per ``Idempotency-Key``.

    Without the header the handler just runs. Raises ``IdempotencyKeyReused`` (409) when the key was used for a
    different request and ``IdempotencyKeyInvalid`` (400) for a malformed key.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not KEY_PATTERN.match(key):
        raise IdempotencyKeyInvalid(field=HEADER)
    api_key = request.auth
    request_fingerprint = fingerprint(request)  # reads the body: malformed JSON is a 400 here, nothing stored
    with transaction.atomic():
        record_id = sql.idempotency_claim(
            api_key_id=api_key.pk, key=key, fingerprint=request_fingerprint, at=clock.now()
        )
        if record_id is None:
            record = IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()
            if record is None:  # purged between the two statements: let the client retry
                raise IdempotencyKeyReused()
            return _replay(record, request_fingerprint)
        try:
            response = handler()
        except LoyaltyError as error:
            # A domain refusal is an answer too; engine errors leave the transaction usable (their own atomic
            # blocks rolled back), so the record can still be written.
            response = exception_handler(error, {"request": request})
            if not _stored(response.status_code):
                raise
        if not _stored(response.status_code):
            transaction.set_rollback(True)
            return response
        # What DRF is about to send, so a replay answers byte for byte the same.
        body = JSONRenderer().render(response.data).decode()
        sql.idempotency_answer(record_id=record_id, status=response.status_code, body=body)
        return response
