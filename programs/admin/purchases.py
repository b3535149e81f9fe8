"""Purchases under Loyalty: every receipt of the owner's programs, newest first, found by its receipt id, a refund
id or the card number, each linking to its member. Read-only: purchases change only through the API's refunds.
Part of the members' history, so the member permissions decide who sees them."""

from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django_filters import DateFromToRangeFilter, ModelChoiceFilter
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn

from programs import access
from programs.models import Purchase, Store
from tenancy.admin import views
from tenancy.admin.viewsets import ReadOnlyScopedModelViewSet


def _programs_for_request(request):
    return access.programs_for_user(user=request.user)


def _stores_for_request(request):
    return Store.objects.filter(program__in=access.programs_for_user(user=request.user)).order_by("name")


class PurchaseFilterSet(WagtailFilterSet):
    program = ModelChoiceFilter(label=_("Program"), queryset=_programs_for_request)
    store = ModelChoiceFilter(label=_("Store"), queryset=_stores_for_request)
    purchased_at = DateFromToRangeFilter(label=_("Purchased"), widget=DateRangePickerWidget)

    class Meta:
        model = Purchase
        fields = ["program", "store", "purchased_at"]


class PurchaseIndexView(views.IndexView):
    def search_queryset(self, queryset):
        """Exact receipt id, refund id or card number: what a cashier reads off a receipt or a card. (A substring
        search would scan every purchase of the program.)"""
        if not self.is_searching:
            return queryset
        term = self.search_query.strip()
        return queryset.filter(Q(receipt_id=term) | Q(card__number=term) | Q(refunds__refund_id=term)).distinct()


class PurchaseInspectView(views.InspectView):
    # Wagtail's inspect template prints a datetime as stored (UTC); these read in the admin's time zone.
    def get_purchased_at_display_value(self):
        return formats.date_format(timezone.localtime(self.object.purchased_at), "DATETIME_FORMAT")

    def get_created_at_display_value(self):
        return formats.date_format(timezone.localtime(self.object.created_at), "DATETIME_FORMAT")


def _member_url(purchase):
    return reverse("loyalty_members:detail", args=[purchase.member_id])


class PurchaseViewSet(ReadOnlyScopedModelViewSet):
    model = Purchase
    name = "loyalty_purchases"
    url_prefix = "loyalty/purchases"
    icon = "list-ul"
    menu_label = _("Purchases")
    index_view_class = PurchaseIndexView
    inspect_view_class = PurchaseInspectView
    inspect_view_fields = [
        "program",
        "store",
        "receipt_id",
        "purchased_at",
        "created_at",
        "card",
        "member",
        "total",
        "discount_amount",
        "redeemed_value",
        "paid_amount",
        "points_redeemed",
        "points_earned",
        "stamps_earned",
        "refunded_amount",
        "points_reversed",
        "points_returned",
        "stamps_reversed",
    ]
    list_select_related = ("program", "store", "card", "member")
    list_display = [
        TitleColumn("receipt_id", label=_("Receipt"), url_name="loyalty_purchases:inspect"),
        DateColumn("purchased_at", label=_("Purchased"), sort_key="purchased_at"),
        "store",
        Column("card", label=_("Card"), accessor="card.number"),
        TitleColumn("member", label=_("Member"), get_url=_member_url),
        "total",
        "paid_amount",
        "points_earned",
        "refunded_amount",
    ]
    ordering = ["-purchased_at", "-pk"]
    search_fields = ["receipt_id"]
    filterset_class = PurchaseFilterSet
