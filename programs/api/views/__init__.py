"""The POS/CRM API views, one module per resource: validate input, find rows in the key's program, call one
service, answer a dict.

Tenancy: every row is looked up with the key's program in the query, so another program's card, member, purchase
or store is a 404 exactly like a missing one. Writes go through ``programs.services`` only and accept an
``Idempotency-Key`` (``programs.api.idempotency``). Errors are problems (``programs.api.problems``); the
operations' OpenAPI examples are in ``programs.api.examples``.
"""

from programs.api.views.cards import CardBlockView, CardLedgerView, CardUnblockView
from programs.api.views.lookup import LookupView
from programs.api.views.members import MemberListView, MemberView
from programs.api.views.purchases import PurchaseListView, PurchaseView
from programs.api.views.quotes import QuoteView
from programs.api.views.refunds import RefundListView

__all__ = [
    "CardBlockView",
    "CardLedgerView",
    "CardUnblockView",
    "LookupView",
    "MemberListView",
    "MemberView",
    "PurchaseListView",
    "PurchaseView",
    "QuoteView",
    "RefundListView",
]
