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
