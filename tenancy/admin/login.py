"""The admin's sign-in form with a lockout: after ``KARTKA_ADMIN_LOGIN_FAILURES`` wrong passwords for one account,
or ``KARTKA_ADMIN_LOGIN_FAILURES_IP`` from one address, within ``LOCKOUT_SECONDS`` (a fixed window), sign-in for
it is refused until the window ends, the right password included. Counted across processes
(``tenancy.ratelimits``); a successful sign-in clears its account's failures. Wired by
``WAGTAILADMIN_USER_LOGIN_FORM``."""

import logging
import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm

from tenancy import ratelimits

logger = logging.getLogger(__name__)

LOCKOUT_SECONDS = 15 * 60


class LockoutLoginForm(LoginForm):
    error_messages = {
        **LoginForm.error_messages,
        "locked": _("Too many failed sign-ins. Try again in %(minutes)s min."),
    }

    def _counted(self) -> list[tuple[str, str, int]]:
        """What a failure counts against: the account (by the name typed) and the address."""
        username = (self.cleaned_data.get("username") or "").strip().casefold()
        address = ratelimits.client_ip(self.request) if self.request is not None else None
        return [
            ("admin_login_user", username, settings.KARTKA_ADMIN_LOGIN_FAILURES),
            ("admin_login_ip", address or "-", settings.KARTKA_ADMIN_LOGIN_FAILURES_IP),
        ]

    def clean(self):
        counted = self._counted()
        for scope, identity, limit in counted:
            window = ratelimits.peek(scope, identity, period=LOCKOUT_SECONDS)
            if window.count >= limit:
                logger.warning("Admin sign-in refused: too many failures (%s)", scope)
                raise ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": math.ceil(window.retry_after / 60)},
                )
        try:
            data = super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                for scope, identity, _limit in counted:
                    ratelimits.hit(scope, identity, period=LOCKOUT_SECONDS)
            raise
        scope, identity, _limit = counted[0]
        ratelimits.reset(scope, identity, period=LOCKOUT_SECONDS)
        return data
