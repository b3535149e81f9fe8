"""Admin wiring for the wallet: the Wallet screens in the Loyalty menu, the permission that opens them, and the
wallet panel of the member page (through the ``programs`` member-page hook, so ``programs`` never imports us)."""

from django.contrib.auth.models import Permission
from wagtail import hooks

from programs.admin.members import MEMBER_PANELS_HOOK
from wallet.admin.panels import MemberWalletPanel
from wallet.admin.viewsets import WalletViewSet


@hooks.register("register_admin_viewset")
def register_wallet_viewset():
    return WalletViewSet()


@hooks.register("register_permissions")
def register_wallet_permissions():
    # WalletConfig has no ModelViewSet to register it; list it so Settings → Groups can grant it.
    return Permission.objects.filter(content_type__app_label="wallet", codename="manage_wallet")


@hooks.register(MEMBER_PANELS_HOOK)
def member_wallet_panel(request, member, cards):
    return MemberWalletPanel(cards=cards)
