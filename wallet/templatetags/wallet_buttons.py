"""``{% wallet_buttons card %}``: the cabinet's "Add to Apple Wallet / Save to Google Wallet" buttons for a card,
shown only for what the program has set up (the portal's card page fills its wallet slot with it)."""

from django import template

from wallet.selectors import wallet_buttons as buttons_for

register = template.Library()


@register.inclusion_tag("wallet/buttons.html", takes_context=True)
def wallet_buttons(context, card):
    request = context["request"]
    return {"card": card, "buttons": buttons_for(card=card, program=request.portal.program)}
