"""One way for every outbound HTTP client of Kartka (SMS and flash-call gateways, webhooks, APNs, Google Wallet) to
be pointed at a fake in tests: a ``TransportSwitch`` per client module, whose ``override`` swaps the network for an
``httpx.MockTransport`` while a block runs. Production code only reads ``current`` (``None``: the real network)."""

import contextlib

import httpx


class TransportSwitch:
    def __init__(self):
        self.current: httpx.BaseTransport | None = None

    @contextlib.contextmanager
    def override(self, transport: httpx.BaseTransport):
        """Send this client's calls through ``transport`` while the block runs."""
        previous, self.current = self.current, transport
        try:
            yield transport
        finally:
            self.current = previous


class HttpClient:
    """The base of Kartka's API clients: one ``httpx.Client`` (``self._http``, set by the subclass) kept open for
    connection reuse, closed by ``close()`` or at the end of a ``with`` block."""

    _http: httpx.Client

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed
