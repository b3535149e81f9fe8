"""The wallet's HTTP side: the PassKit web service Apple devices call, and the cabinet's "add to wallet" links.

PassKit web service (``webServiceURL`` = ``<public origin>/wallet/apple``; the device appends ``/v1/…``), as
Apple's "Adding a Web Service to Update Passes" describes it:

* ``POST|DELETE v1/devices/<device>/registrations/<pass type>/<serial>`` — register (201, or 200 when already) or
  unregister (200) a device for a pass's updates; ``Authorization: ApplePass <token>`` (401 otherwise).
* ``GET v1/devices/<device>/registrations/<pass type>?passesUpdatedSince=<tag>`` — the serials of the device's
  passes changed since the tag, every one of them, and a new tag (204 when none). No authentication, by design.
* ``GET|HEAD v1/passes/<pass type>/<serial>`` — the latest pass, with ``Last-Modified``; 304 for
  ``If-Modified-Since`` when nothing changed; 401 with a wrong token. Also serves wallets that never register.
* ``POST v1/log`` — the device's error messages, into our log (200).

Tokens are compared in constant time; an unknown serial or a pass type that is not the pass's answers 401 like a
wrong token, so the endpoints don't tell which serials exist.
"""

import hmac
import json
import logging
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.context import portal_view
from programs import clock
from programs.choices import CardStatus
from programs.models import Card
from wallet.content import public_origin
from wallet.credentials import CredentialsError, apple_credentials, google_credentials
from wallet.google import save_url
from wallet.models import AppleDevice, AppleRegistration, WalletPass
from wallet.selectors import pass_pkpass
from wallet.services import google_pass_write, last_modified, wallet_pass_ensure

logger = logging.getLogger(__name__)

PKPASS_TYPE = "application/vnd.apple.pkpass"
AUTH_SCHEME = "ApplePass "
MAX_LOG_LINES = 50
MAX_LOG_CHARS = 500
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _unauthorized() -> HttpResponse:
    return HttpResponse(status=401)


def _authenticated_pass(request, pass_type: str, serial: str) -> WalletPass | None:
    """The pass the request's ``ApplePass`` token opens, or ``None`` (unknown serial, other pass type, wrong token)."""
    header = request.headers.get("Authorization", "")
    token = header[len(AUTH_SCHEME) :].strip() if header.startswith(AUTH_SCHEME) else ""
    wallet_pass = (
        WalletPass.objects.select_related("card__member__tier", "card__program__business")
        .filter(serial=serial[:64])
        .first()
    )
    expected = wallet_pass.authentication_token if wallet_pass is not None else "x" * 43
    matches = hmac.compare_digest(token.encode(), expected.encode())
    if wallet_pass is None or not matches:
        return None
    try:
        credentials = apple_credentials(wallet_pass.card.program)
    except CredentialsError:
        credentials = None
    if credentials is None or credentials.pass_type_identifier != pass_type:
        return None
    return wallet_pass


@csrf_exempt
@require_http_methods(["POST", "DELETE"])
def registration(request, device: str, pass_type: str, serial: str):
    wallet_pass = _authenticated_pass(request, pass_type, serial)
    if wallet_pass is None:
        return _unauthorized()
    if request.method == "DELETE":
        AppleRegistration.objects.filter(device__library_identifier=device, wallet_pass=wallet_pass).delete()
        return HttpResponse(status=200)
    try:
        push_token = json.loads(request.body or b"{}").get("pushToken", "")
    except (ValueError, AttributeError):
        push_token = ""
    if not isinstance(push_token, str) or not push_token or len(push_token) > 256 or len(device) > 128:
        return HttpResponseBadRequest("pushToken missing")
    now = clock.now()
    with transaction.atomic():
        apple_device, created = AppleDevice.objects.get_or_create(
            library_identifier=device, defaults={"push_token": push_token, "updated_at": now}
        )
        if not created and apple_device.push_token != push_token:
            AppleDevice.objects.filter(pk=apple_device.pk).update(push_token=push_token, updated_at=now)
        try:
            with transaction.atomic():
                AppleRegistration.objects.create(device=apple_device, wallet_pass=wallet_pass)
        except IntegrityError:
            return HttpResponse(status=200)
    return HttpResponse(status=201)


def _tag(value: datetime) -> str:
    return str((value - EPOCH) // timedelta(microseconds=1))


def _since(tag: str) -> datetime | None:
    """The time a tag of ours stands for (microseconds since the epoch), or ``None`` for no tag or a foreign one."""
    if not tag.isdigit() or len(tag) > 18:
        return None
    return EPOCH + timedelta(microseconds=int(tag))


@require_GET
def serials(request, device: str, pass_type: str):
    registered = WalletPass.objects.filter(registrations__device__library_identifier=device)
    since = _since(request.GET.get("passesUpdatedSince", ""))
    if since is not None:
        registered = registered.filter(changed_at__gt=since)
    rows = list(registered.select_related("card__program__wallet_config").order_by("changed_at"))
    pass_types: dict[int, str] = {}  # per program, read once however many of its passes the device holds
    found = []
    for wallet_pass in rows:
        program = wallet_pass.card.program
        if program.pk not in pass_types:
            try:
                credentials = apple_credentials(program)
            except CredentialsError:
                credentials = None
            pass_types[program.pk] = credentials.pass_type_identifier if credentials is not None else ""
        if pass_types[program.pk] == pass_type:
            found.append(wallet_pass)
    if not found:
        return HttpResponse(status=204)
    return JsonResponse(
        {"serialNumbers": [item.serial for item in found], "lastUpdated": _tag(max(i.changed_at for i in found))}
    )


def _pkpass_response(wallet_pass: WalletPass, *, download_name: str = "") -> HttpResponse:
    response = HttpResponse(pass_pkpass(wallet_pass), content_type=PKPASS_TYPE)
    response["Last-Modified"] = http_date(last_modified(wallet_pass.changed_at).timestamp())
    response["Cache-Control"] = "private, no-cache"
    if download_name:
        response["Content-Disposition"] = f'attachment; filename="{download_name}"'
    WalletPass.objects.filter(pk=wallet_pass.pk).update(apple_fetched_at=clock.now())
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD"])
def latest_pass(request, pass_type: str, serial: str):
    wallet_pass = _authenticated_pass(request, pass_type, serial)
    if wallet_pass is None:
        return _unauthorized()
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if since is not None and last_modified(wallet_pass.changed_at).timestamp() <= since:
        return HttpResponse(status=304)
    return _pkpass_response(wallet_pass)


@csrf_exempt
@require_POST
def device_log(request):
    try:
        lines = json.loads(request.body or b"{}").get("logs", [])
    except (ValueError, AttributeError):
        return HttpResponseBadRequest("logs missing")
    for line in lines[:MAX_LOG_LINES] if isinstance(lines, list) else []:
        logger.info("wallet: an Apple device says: %s", str(line)[:MAX_LOG_CHARS])
    return HttpResponse(status=200)


# --- The cabinet's buttons -----------------------------------------------------------------------------------


def _member_card(request, card_id: int) -> Card:
    """A live card of the signed-in member (404 for anyone else's, and for a replaced one)."""
    return get_object_or_404(Card.objects.exclude(status=CardStatus.REPLACED), pk=card_id, member=request.portal.member)


@portal_view(member_required=True)
def apple_pass_download(request, card_id: int):
    card = _member_card(request, card_id)
    try:
        credentials = apple_credentials(request.portal.program)
    except CredentialsError as error:
        logger.warning("wallet: program %s cannot sign passes: %s", request.portal.program_id, error)
        raise Http404("Apple Wallet is not available here.") from error
    if credentials is None:
        raise Http404("Apple Wallet is not set up for this program.")
    wallet_pass = wallet_pass_ensure(card=card)
    return _pkpass_response(wallet_pass, download_name=f"{request.portal.program.slug or 'card'}.pkpass")


@portal_view(member_required=True)
def google_pass_save(request, card_id: int):
    """Write the card's object to Google Wallet now (the skinny save link names an object that must exist), then
    send the customer to Google's "Save" page. Google unreachable: back to the card page, which says so."""
    card = _member_card(request, card_id)
    program = request.portal.program
    try:
        credentials = google_credentials(program)
    except CredentialsError as error:
        logger.warning("wallet: program %s cannot write Google passes: %s", program.pk, error)
        raise Http404("Google Wallet is not available here.") from error
    if credentials is None:
        raise Http404("Google Wallet is not set up for this program.")
    wallet_pass = wallet_pass_ensure(card=card)
    outcome = google_pass_write(wallet_pass, credentials=credentials)
    wallet_pass.refresh_from_db(fields=["google_object_id", "google_synced_hash"])
    if outcome in ("retry", "failed") or not wallet_pass.google_object_id:
        return redirect(reverse("portal:card") + "?wallet=google-unavailable")
    origin = public_origin(program) or request.build_absolute_uri("/").rstrip("/")
    return redirect(save_url(credentials=credentials, object_id=wallet_pass.google_object_id, origins=[origin]))
