"""The customer portal's pages under ``/account/`` on each program's own host: signing in (by phone or card number,
with a one-time code), signing up, and the cabinet (balance, card, history, profile).

Every page works without JavaScript. Each view is wrapped by ``portal_view``: it knows the program from the host,
the member from the session cookie, and runs in the customer's language and the program's time zone.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pages.models import PortalHomePage, PromoPage
from portal import pwa, services
from portal.context import CODE_COOKIE, LANGUAGE_COOKIE, LANGUAGES, SESSION_COOKIE, portal_view
from portal.forms import CardNumberForm, ChannelsForm, CodeForm, PhoneForm, ProfileForm, WelcomeForm
from portal.selectors import (
    HISTORY_FILTERS,
    card_views,
    entry_reason,
    history_entries,
    member_cards,
    program_tiers,
    tier_view,
)
from programs.errors import LoyaltyError
from programs.models import Card
from programs.selectors import card_get_by_number
from programs.services.cards import card_replace
from programs.services.members import member_update
from tenancy.actors import Actor
from tenancy.ratelimits import client_ip

logger = logging.getLogger(__name__)

HISTORY_PER_PAGE = 20
CODE_COOKIE_SECONDS = 3600
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
OFFERS_SECONDS = 300


def _render(request, template: str, context: dict | None = None, status: int = 200) -> TemplateResponse:
    portal = request.portal
    base = {
        "portal": portal,
        "program": portal.program,
        "tokens": portal.tokens,
        "member": portal.member,
        "languages": LANGUAGES.items(),
    }
    return TemplateResponse(request, template, {**base, **(context or {})}, status=status)


def _cookie_secure() -> bool:
    return settings.SESSION_COOKIE_SECURE


def _set_cookie(response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, secure=_cookie_secure(), httponly=True, samesite="Lax")


def _signed_in(request, member, *, code_cookie: bool = True):
    """Open the member's session (a new key; the browser's previous one revoked) and go to the cabinet."""
    key = services.session_start(
        member=member,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        previous_key=request.COOKIES.get(SESSION_COOKIE, ""),
    )
    response = redirect("portal:home")
    _set_cookie(response, SESSION_COOKIE, key, settings.KARTKA_PORTAL_SESSION_DAYS * 24 * 3600)
    if code_cookie:
        response.delete_cookie(CODE_COOKIE, samesite="Lax")
    return response


def _code_send(request, *, phone: str = "", card=None):
    """Send a code for this browser (to ``phone`` or to ``card``'s phone): ``(redirect to the code page, "")``, or
    ``(None, the refusal in the customer's words)``."""
    portal = request.portal
    try:
        sent = services.code_send(
            program=portal.program,
            host=portal.host,
            language=portal.language,
            phone=phone,
            card=card,
            ip=client_ip(request),
            browser_token=request.COOKIES.get(CODE_COOKIE, ""),
        )
    except services.PortalError as error:
        return None, error.message
    response = redirect("portal:code")
    _set_cookie(response, CODE_COOKIE, sent.browser_token, CODE_COOKIE_SECONDS)
    return response, ""


def _card_misses_key(ip: str | None) -> str:
    return f"portal:card-misses:{ip}:{int(time.time() // 3600)}"


# Signing in ------------------------------------------------------------------------------------------------------


@portal_view(member_required=False)
def sign_in(request):
    """Sign in or sign up by phone: a code is sent to any valid number, a member's or not."""
    portal = request.portal
    if portal.member is not None:
        return redirect("portal:home")
    form = PhoneForm(request.POST or None, program=portal.program)
    if request.method == "POST" and form.is_valid():
        response, refusal = _code_send(request, phone=str(form.cleaned_data["phone"]))
        if response is not None:
            return response
        form.add_error(None, refusal)
    return _render(request, "portal/sign_in.html", {"form": form, "by": "phone"}, status=400 if form.errors else 200)


@portal_view(member_required=False)
def sign_in_card(request):
    """Sign in by card number (a plastic card from the till too): the code goes to the phone linked to the card."""
    portal = request.portal
    if portal.member is not None:
        return redirect("portal:home")
    form = CardNumberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        misses_key = _card_misses_key(ip)
        card = None
        if (cache.get(misses_key) or 0) >= settings.KARTKA_PORTAL_LIMIT_IP_CARDS:
            form.add_error(None, _("Too many unknown card numbers were tried from your network. Try again later."))
        else:
            card = card_get_by_number(program=portal.program, number=form.cleaned_data["number"])
            if card is None:
                cache.add(misses_key, 0, timeout=3600)
                cache.incr(misses_key)
                form.add_error(
                    "number",
                    _("We can't find a card with this number. Check it, or sign in with your phone number."),
                )
        if card is not None:
            response, refusal = _code_send(request, card=card)
            if response is not None:
                return response
            form.add_error(None, refusal)
    return _render(request, "portal/sign_in.html", {"form": form, "by": "card"}, status=400 if form.errors else 200)


@portal_view(member_required=False)
def code(request):
    """Type the code (or ask for a new one once the wait is over)."""
    portal = request.portal
    token = request.COOKIES.get(CODE_COOKIE, "")
    pending = services.code_pending(program=portal.program, browser_token=token)
    if pending is None:
        return redirect("portal:sign_in")
    form = CodeForm(request.POST or None)
    resend_error = ""
    if request.method == "POST" and request.POST.get("action") == "resend":
        response, resend_error = _code_send(request, phone=pending.phone, card=pending.card)
        if response is not None:
            return response
        form = CodeForm()
    elif request.method == "POST" and form.is_valid():
        try:
            verified = services.code_verify(
                program=portal.program, browser_token=token, code=form.cleaned_data["code"], ip=client_ip(request)
            )
        except services.PortalError as error:
            form.add_error("code" if error.field == "code" else None, error.message)
        else:
            member = services.code_member(verified)
            if member is not None and services.terms_accepted(member):
                try:
                    services.code_sign_in(code=verified)
                except services.PortalError as error:
                    form.add_error(None, error.message)
                else:
                    return _signed_in(request, member)
            else:
                return redirect("portal:welcome")
    context = {
        "form": form,
        "pending": pending,
        "phone_hint": services.phone_hint(pending.phone),
        "resend_wait": services.resend_wait(program=portal.program, phone=pending.phone),
        "by_card": pending.card_id is not None,
        "resend_error": resend_error,
    }
    return _render(request, "portal/code.html", context, status=400 if form.errors or resend_error else 200)


def _terms(portal) -> tuple[str, int | None]:
    """The URL of the program's terms page and its live revision (the portal's home when it names none)."""
    home = PortalHomePage.objects.filter(program_id=portal.program_id).select_related("terms_page").first()
    if home is None:
        return "/", None
    page = home.terms_page
    if page is not None and page.live:
        return "/" + page.url_path[len(home.url_path) :], page.live_revision_id
    return "/#how", home.live_revision_id


@portal_view(member_required=False)
def welcome(request):
    """After the code: a new customer joins (a virtual card is issued), a customer who never used the portal (a card
    from the till) accepts the terms; both are then signed in."""
    portal = request.portal
    verified = services.code_verified(program=portal.program, browser_token=request.COOKIES.get(CODE_COOKIE, ""))
    if verified is None:
        return redirect("portal:sign_in")
    member = services.code_member(verified)
    terms_url, terms_revision = _terms(portal)
    form = WelcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.sign_up_complete(
                code=verified,
                terms_url=terms_url,
                terms_revision=terms_revision,
                first_name=form.cleaned_data["first_name"],
            )
        except services.PortalError as error:
            form.add_error(None, error.message)
        else:
            return _signed_in(request, member)
    context = {"form": form, "existing": member, "terms_url": terms_url}
    return _render(request, "portal/welcome.html", context, status=400 if form.errors else 200)


def _signed_out(response):
    response.delete_cookie(SESSION_COOKIE, samesite="Lax")
    # The phone keeps nothing of the member: the service worker's copy of the card screen included.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


@require_POST
@portal_view(member_required=False)
def sign_out(request):
    if request.portal.session is not None:
        services.session_end(request.portal.session)
    return _signed_out(redirect("portal:sign_in"))


@require_POST
@portal_view(member_required=True)
def sign_out_everywhere(request):
    services.sessions_end_all(request.portal.member)
    return _signed_out(redirect("portal:sign_in"))


@require_POST
@portal_view(member_required=False)
def language(request):
    """Switch the portal's language (a cookie), then back to the page the customer was on."""
    chosen = request.POST.get("language", "")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = reverse("portal:home")
    response = redirect(target)
    if chosen in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_SECONDS, secure=_cookie_secure(), samesite="Lax"
        )
    return response


# The cabinet -----------------------------------------------------------------------------------------------------


def _offers(portal) -> list[dict]:
    """The portal's live promo pages (newest first), kept in the cache for a few minutes per program."""
    key = f"portal:offers:{portal.program_id}"
    offers = cache.get(key)
    if offers is None:
        home = PortalHomePage.objects.filter(program_id=portal.program_id).first()
        offers = []
        if home is not None:
            promos = PromoPage.objects.child_of(home).live().exclude(pk=home.terms_page_id or 0)
            for page in promos.order_by("-first_published_at")[:6]:
                offers.append(
                    {
                        "title": page.title,
                        "text": page.search_description,
                        "url": "/" + page.url_path[len(home.url_path) :],
                    }
                )
        cache.set(key, offers, timeout=OFFERS_SECONDS)
    return offers


@portal_view(member_required=True)
def home(request):
    """The balance first (in money, cashback and promo apart, what expires when, what the next check can take),
    then the tier, the stamp cards and the offers."""
    portal = request.portal
    member = portal.member
    member.program = portal.program
    cards = member_cards(member, portal.program)
    views = card_views(member=member, cards=cards)
    tiers = program_tiers(cards=cards, program=portal.program)
    context = {
        "cards": views,
        "tier": tier_view(member=member, tiers=tiers),
        "offers": _offers(portal),
    }
    return _render(request, "portal/home.html", context)


@portal_view(member_required=True)
def card(request):
    """The card for the till: a large QR code and a barcode of each live card, with its number."""
    member = request.portal.member
    return _render(
        request,
        "portal/card.html",
        {
            "cards": member_cards(member, request.portal.program),
            "replaced": "replaced" in request.GET,
            "wallet_unavailable": request.GET.get("wallet") == "google-unavailable",
        },
    )


@portal_view(member_required=True)
def history(request):
    """Every movement on the member's cards, newest first, with its reason; filter by earned or spent."""
    member = request.portal.member
    kind = request.GET.get("show", "")
    if kind and kind not in HISTORY_FILTERS:
        kind = ""
    cards = list(Card.objects.filter(member=member).select_related("card_type"))
    paginator = Paginator(history_entries(cards=cards, kind=kind), HISTORY_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.reason_text = entry_reason(entry)
    context = {"page": page, "show": kind, "several_cards": len({card.card_type_id for card in cards}) > 1}
    return _render(request, "portal/history.html", context)


@portal_view(member_required=True)
def profile(request):
    """Name, birthday (once), gender, e-mail; channel preferences with their time; a lost card replaced; signing out
    everywhere."""
    portal = request.portal
    member = portal.member
    initial = {field: getattr(member, field) for field in ("first_name", "last_name", "email", "birth_date", "gender")}
    channels_initial = {kind: getattr(member, f"consent_{kind}") for kind in services.CHANNELS}
    form = ProfileForm(initial=initial, member=member)
    channels = ChannelsForm(initial=channels_initial, prefix="channels")
    saved = request.GET.get("saved", "")
    if request.method == "POST" and request.POST.get("form") == "profile":
        form = ProfileForm(request.POST, initial=initial, member=member)
        if form.is_valid():
            changes = {field: form.cleaned_data[field] for field in form.changed_data if field in initial}
            try:
                if changes:
                    member_update(member=member, actor=Actor.customer(member), **changes)
            except LoyaltyError as error:
                error.add_to_form(form)
            else:
                return redirect(reverse("portal:profile") + "?saved=profile")
    elif request.method == "POST" and request.POST.get("form") == "channels":
        channels = ChannelsForm(request.POST, initial=channels_initial, prefix="channels")
        if channels.is_valid():
            services.channels_set(member=member, channels=channels.cleaned_data)
            return redirect(reverse("portal:profile") + "?saved=channels")
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    since = services.channels_since(member)
    channel_rows = [(channels[kind], since.get(kind)) for kind in services.CHANNELS]
    context = {
        "form": form,
        "channels": channels,
        "channel_rows": channel_rows,
        "cards": member_cards(member, portal.program),
        "saved": saved,
    }
    return _render(request, "portal/profile.html", context, status=400 if form.errors or channels.errors else 200)


@portal_view(member_required=True)
def card_replace_view(request, card_id: int):
    """Block a lost card and get a new one: the balance, promo points and rewards move to it."""
    member = request.portal.member
    old = get_object_or_404(Card.objects.select_related("card_type"), pk=card_id, member=member)
    if old.status == "replaced":
        raise Http404("This card was already replaced.")
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "yes":
            try:
                card_replace(
                    card=old,
                    reason=_("Lost card, replaced by the customer in the portal"),
                    actor=Actor.customer(member),
                )
            except LoyaltyError as failure:
                error = str(failure)
            else:
                return redirect(reverse("portal:card") + "?replaced=1")
        else:
            error = _("Please confirm that you want to replace this card.")
    return _render(request, "portal/card_replace.html", {"old": old, "error": error}, status=400 if error else 200)


# The installable app ----------------------------------------------------------------------------------------------


@portal_view(member_required=False)
def manifest(request):
    return pwa.manifest_view(request, request.portal.program)


@portal_view(member_required=False)
def icon(request, size: int):
    return pwa.icon_view(request, request.portal.program, size)


@portal_view(member_required=False)
def service_worker(request):
    return pwa.service_worker_view(request, request.portal.program)
