"""``/api/v1/``: the POS/CRM API, its OpenAPI schema and the locally served Swagger UI and ReDoc."""

from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from programs.api import views


class IdConverter:
    """Row ids as the database holds them (up to 2**63 - 1): a larger number is a 404, not an overflow."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = int(value)
        if number > 2**63 - 1:
            raise ValueError("beyond a database id")  # the URL doesn't match: the /api/ catch-all answers 404
        return number

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

app_name = "api"
urlpatterns = [
    path("lookup/", views.LookupView.as_view(), name="lookup"),
    path("members/", views.MemberListView.as_view(), name="members"),
    path("members/<id:member_id>/", views.MemberView.as_view(), name="member"),
    path("quote/", views.QuoteView.as_view(), name="quote"),
    path("purchases/", views.PurchaseListView.as_view(), name="purchases"),
    path("purchases/<id:purchase_id>/", views.PurchaseView.as_view(), name="purchase"),
    path("refunds/", views.RefundListView.as_view(), name="refunds"),
    path("cards/<str:number>/ledger/", views.CardLedgerView.as_view(), name="card-ledger"),
    path("cards/<str:number>/block/", views.CardBlockView.as_view(), name="card-block"),
    path("cards/<str:number>/unblock/", views.CardUnblockView.as_view(), name="card-unblock"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
