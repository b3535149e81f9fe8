"""The Wallet entry of the Loyalty menu: a plain ``ViewSet`` (the screens are per program, not CRUD of a model),
placed after Webhooks through the Loyalty menu's submenu hook, shown to users who may manage wallet credentials."""

from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.base import ViewSet

from programs.admin.viewsets import LOYALTY_MENU_HOOK
from wallet.admin import views

# Webhooks share the 9th place (after "API keys", which the group numbers 9), and items from other apps' hooks come
# after the group's own at equal places: 9.5 puts the wallet after them and before "Audit log" (10).
MENU_ORDER = 9.5


class WalletViewSet(ViewSet):
    name = views.NAMESPACE
    url_prefix = "loyalty/wallet"
    icon = "mobile-alt"
    menu_label = _("Wallet")
    menu_hook = LOYALTY_MENU_HOOK
    menu_order = MENU_ORDER

    @cached_property
    def menu_item_class(self):
        from wagtail.admin.menu import MenuItem

        def is_shown(_self, request):
            return views.user_may_manage_wallet(request.user)

        return type("WalletMenuItem", (MenuItem,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        return [
            path("", views.WalletIndexView.as_view(), name="index"),
            path("results/", views.WalletIndexView.as_view(results_only=True), name="index_results"),
            path("<int:pk>/", views.WalletProgramView.as_view(), name="program"),
            path("<int:pk>/check/", views.WalletCheckView.as_view(), name="check"),
            path("<int:pk>/credentials/", views.WalletCredentialsView.as_view(), name="credentials"),
        ]
