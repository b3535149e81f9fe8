"""Which program's portal a request is for, in which language, and who is signed in.

The program comes from the host the request was made to: the portal site's entry in the page cache
(``pages.cache.site_entry``) already says which program a host serves, with its language and its theme's version,
so a request resolves without a query when the entry is warm. The member comes from the session cookie
(``portal.services.session_get``), in the same query as the program's row.
"""

from dataclasses import dataclass, field
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import Http404
from django.http.request import split_domain_port
from django.shortcuts import redirect
from django.utils import timezone as dj_timezone
from django.utils import translation

from pages.cache import generation, site_entry
from portal.services import session_get
from programs.models import Member, Program
from themes.tokens import ThemeTokens, theme_tokens

SESSION_COOKIE = "kartka_member"
CODE_COOKIE = "kartka_code"
LANGUAGE_COOKIE = "kartka_language"
LANGUAGES = dict(settings.LANGUAGES)
TOKENS_SECONDS = 3600


@dataclass
class Portal:
    """The program's portal as one request sees it."""

    program_id: int
    host: str
    home_language: str
    language: str
    theme_version: str
    session: object = None  # portal.models.MemberSession, when signed in
    _program: Program | None = field(default=None, repr=False)
    _tokens: ThemeTokens | None = field(default=None, repr=False)

    @property
    def program(self) -> Program:
        if self._program is None:
            self._program = self.session.program if self.session else Program.objects.get(pk=self.program_id)
        return self._program

    @property
    def member(self) -> Member | None:
        return self.session.member if self.session else None

    @property
    def tokens(self) -> ThemeTokens:
        """The theme's tokens, kept in the cache under the theme's version the site entry gave (no query warm)."""
        if self._tokens is None:
            key = f"portal:tokens:{self.program_id}:{self.theme_version}"
            tokens = cache.get(key)
            if tokens is None:
                tokens = theme_tokens(self.program)
                cache.set(key, tokens, timeout=TOKENS_SECONDS)
            self._tokens = tokens
        return self._tokens


def portal_resolve(request) -> Portal | None:
    """The portal of the request's host (``None``: the host is no program's portal)."""
    try:
        hostname = split_domain_port(request.get_host())[0]
    except DisallowedHost:
        return None
    entry = site_entry(hostname, request.get_port(), generation())
    if not entry:
        return None
    chosen = request.COOKIES.get(LANGUAGE_COOKIE, "")
    portal = Portal(
        program_id=entry["program"],
        host=hostname,
        home_language=entry["language"],
        language=chosen if chosen in LANGUAGES else entry["language"],
        theme_version=str(entry["theme"]),
    )
    portal.session = session_get(program_id=portal.program_id, key=request.COOKIES.get(SESSION_COOKIE, ""))
    return portal


def portal_view(*, member_required: bool):
    """Decorate a portal view: 404 on a host that is no portal, the portal on ``request.portal``, the view run in
    the customer's language, and (``member_required``) a redirect to sign-in without a live session."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            portal = portal_resolve(request)
            if portal is None:
                raise Http404("No portal here.")
            request.portal = portal
            if member_required and portal.session is None:
                return redirect("portal:sign_in")
            with translation.override(portal.language), dj_timezone.override(portal.program.timezone):
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
            response.headers.setdefault("Content-Language", portal.language)
            if member_required:
                # A member's page is theirs: never kept by a shared cache or shown again from the back button of a
                # signed-out browser.
                response.headers["Cache-Control"] = "private, no-store"
            return response

        return wrapped

    return decorate
