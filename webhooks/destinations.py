"""Where Kartka is willing to send webhooks: a minimal guard against server-side request forgery.

An owner types the URL, and the workers send to it from inside the hosting network, so a URL must not become a
way to reach that network (a database admin page, a cloud metadata service). Only ``http``/``https`` without
credentials, and, unless ``WEBHOOK_ALLOW_PRIVATE`` is on, only hosts whose every address is public. The address
is checked when the endpoint is saved (literal IPs and ``localhost``, no DNS) and again before every attempt
(after resolving the name). A name that resolves differently between the check and the connection (DNS rebinding)
is not caught here: deployments that need that guarantee send through an egress proxy (``HTTPS_PROXY``).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

SCHEMES = ("http", "https")


def url_refusal(url: str) -> str | None:
    """Why ``url`` can never be a webhook endpoint (wrong scheme, credentials, no host), or ``None``."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        return _("Only http:// and https:// URLs are allowed.")
    if parts.username or parts.password:
        return _("The URL must not contain a user name or password: receivers check the signature instead.")
    if not parts.hostname:
        return _("The URL has no host name.")
    return None


def address_is_public(address: str) -> bool:
    """Whether an IP address is reachable on the public internet (not loopback, private, link-local, reserved…)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _private_refusal(host: str) -> str:
    return _("%(host)s is in a private or reserved network; this server does not send webhooks there.") % {"host": host}


def literal_host_refusal(url: str) -> str | None:
    """The private-network refusal for a URL whose host is an IP literal or ``localhost`` (no DNS lookup)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return _private_refusal(host)
    address = _literal_address(host)
    if address is not None and not address_is_public(address):
        return _private_refusal(host)
    return None


def resolved_host_refusal(url: str) -> str | None:
    """The private-network refusal for ``url`` after resolving its host; raises ``OSError`` if DNS fails."""
    refusal = literal_host_refusal(url)
    if refusal is not None:
        return refusal
    parts = urlsplit(url)
    host = parts.hostname or ""
    if _literal_address(host) is not None:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    if any(not address_is_public(address) for address in addresses):
        return _private_refusal(host)
    return None
