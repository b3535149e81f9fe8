"""The wallet's section of the member page (added through ``programs.admin.members.MEMBER_PANELS_HOOK``): per card,
whether a pass exists, the Apple devices holding it with the last push and Apple's answer, when it was last
downloaded, and its Google Wallet state."""

from wagtail.admin.ui.components import Component

from wallet import selectors
from wallet.admin.views import device_short, push_answer


class MemberWalletPanel(Component):
    template_name = "wallet/admin/member_wallet_panel.html"

    def __init__(self, *, cards):
        self.cards = cards

    def get_context_data(self, parent_context=None):
        states = selectors.card_wallet_states(cards=list(self.cards))
        for state in states:
            for registration in state.registrations:
                registration.device_short = device_short(registration.device)
                registration.answer = push_answer(registration)
        return {"states": states}
