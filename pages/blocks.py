"""The blocks promo pages (and the portal home's optional body) are built from.

Blocks that state facts (the tier table, the stamp card, the join call-to-action) hold no numbers of their own:
they print what ``pages.selectors.program_facts`` read from the engine, which the page puts in the context once
(``facts``). In the block picker's preview there is no page, so they show an example program (``example_facts``).
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from pages.formats import money, percent
from pages.selectors import CardTypeFacts, ProgramFacts, TierRow
from programs.choices import CardKind
from themes.tokens import DEFAULT_TOKENS

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr"]


def example_facts() -> ProgramFacts:
    """A made-up program for block previews in the picker (never shown to customers)."""
    return ProgramFacts(
        program_name=_("Example club"),
        currency="UAH",
        card_types=[
            CardTypeFacts(
                name=_("Coffee card"),
                kind=CardKind.STAMPS,
                description="",
                lines=[],
                stamp_goal=9,
                reward=_("A free coffee"),
            )
        ],
        tiers=[
            TierRow(
                _("Standard"),
                money(0, "UAH"),
                [_("%(percent)s back in points") % {"percent": percent(3)}],
                "#9e9e9e",
                "",
            ),
            TierRow(
                _("Silver"),
                money(10000, "UAH"),
                [_("%(percent)s back in points") % {"percent": percent(5)}],
                "#8a9ba8",
                "",
            ),
            TierRow(
                _("Gold"),
                money(30000, "UAH"),
                [_("%(percent)s back in points") % {"percent": percent(7)}],
                "#c9a227",
                "",
            ),
        ],
        tier_basis_text=_("Your tier follows your total spend since you joined."),
        extras=[],
        stores=[(_("Main Street store"), _("1 Main Street"))],
    )


class PortalBlockMixin:
    """Previews in the picker drawn with the portal's stylesheet and an example program."""

    def get_preview_context(self, value, parent_context=None):
        context = super().get_preview_context(value, parent_context=parent_context)
        return {**context, "facts": example_facts(), "tokens": DEFAULT_TOKENS, "is_block_preview": True}


class HeroBlock(PortalBlockMixin, blocks.StructBlock):
    title = blocks.CharBlock(label=gettext_lazy("Title"), max_length=120)
    text = blocks.TextBlock(label=gettext_lazy("Text"), required=False)
    image = ImageChooserBlock(label=gettext_lazy("Image"), required=False)
    button_text = blocks.CharBlock(
        label=gettext_lazy("Button text"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("E.g. “Join the club”. Without a link the button leads to “How to join”."),
    )
    button_url = blocks.URLBlock(label=gettext_lazy("Button link"), required=False)

    class Meta:
        icon = "pick"
        label = gettext_lazy("Hero")
        template = "pages/blocks/hero.html"
        preview_template = "pages/blocks/preview.html"
        description = gettext_lazy("A large title with a short text, an image and a button: the top of a promo.")
        preview_value = {
            "title": gettext_lazy("Double points this week"),
            "text": gettext_lazy("Every purchase earns twice the points until Sunday."),
            "button_text": gettext_lazy("Join the club"),
        }


class TextBlock(PortalBlockMixin, blocks.RichTextBlock):
    class Meta:
        icon = "doc-full"
        label = gettext_lazy("Text")
        template = "pages/blocks/rich_text.html"
        preview_template = "pages/blocks/preview.html"
        description = gettext_lazy("Paragraphs with headings, lists and links.")
        preview_value = (
            "<h2>Why join?</h2><p>Points back on every purchase, birthday gifts and offers for members only.</p>"
        )


class ImageBlock(PortalBlockMixin, blocks.StructBlock):
    image = ImageChooserBlock(label=gettext_lazy("Image"))
    caption = blocks.CharBlock(label=gettext_lazy("Caption"), required=False, max_length=200)
    alt = blocks.CharBlock(
        label=gettext_lazy("Alternative text"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("What the image shows, for people who cannot see it. Empty: the image's title."),
    )

    class Meta:
        icon = "image"
        label = gettext_lazy("Image")
        template = "pages/blocks/image.html"
        preview_template = "pages/blocks/preview.html"
        description = gettext_lazy("One picture across the page, with an optional caption.")
        preview_value = {"caption": gettext_lazy("Your picture goes here")}


class OfferBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=gettext_lazy("Title"), max_length=80)
    text = blocks.TextBlock(label=gettext_lazy("Text"), required=False)
    badge = blocks.CharBlock(
        label=gettext_lazy("Badge"), required=False, max_length=20, help_text=gettext_lazy("E.g. “−20 %” or “×2”.")
    )
    image = ImageChooserBlock(label=gettext_lazy("Image"), required=False)

    class Meta:
        icon = "tag"
        label = gettext_lazy("Offer")


class OfferGridBlock(PortalBlockMixin, blocks.StructBlock):
    heading = blocks.CharBlock(label=gettext_lazy("Heading"), required=False, max_length=120)
    offers = blocks.ListBlock(OfferBlock(), label=gettext_lazy("Offers"), min_num=1)

    class Meta:
        icon = "table"
        label = gettext_lazy("Offer grid")
        template = "pages/blocks/offer_grid.html"
        preview_template = "pages/blocks/preview.html"
        description = gettext_lazy("Cards of offers side by side (two or three on a wide screen, one on a phone).")
        preview_value = {
            "heading": gettext_lazy("This week"),
            "offers": [
                {"title": gettext_lazy("Scarves"), "text": gettext_lazy("Double points"), "badge": "×2"},
                {"title": gettext_lazy("Belts"), "text": gettext_lazy("Double points"), "badge": "×2"},
            ],
        }


class TierTableBlock(PortalBlockMixin, blocks.StructBlock):
    heading = blocks.CharBlock(
        label=gettext_lazy("Heading"), required=False, max_length=120, help_text=gettext_lazy("Empty: “Tiers”.")
    )

    class Meta:
        icon = "list-ol"
        label = gettext_lazy("Tier table")
        template = "pages/blocks/tier_table.html"
        preview_template = "pages/blocks/preview.html"
        description = gettext_lazy(
            "The program's tiers with their thresholds and benefits, always as the program's rules stand."
        )
        preview_value = {"heading": ""}


class StampProgressBlock(PortalBlockMixin, blocks.StructBlock):
    heading = blocks.CharBlock(label=gettext_lazy("Heading"), required=False, max_length=120)
    collected = blocks.IntegerBlock(
        label=gettext_lazy("Stamps in the example"),
        min_value=0,
        default=3,
        help_text=gettext_lazy("How many stamps the example card shows as collected."),
    )

    class Meta:
        icon = "circle-check"
        label = gettext_lazy("Stamp card example")
        template = "pages/blocks/stamp_progress.html"
        preview_template = "pages/blocks/preview.html"
        description = gettext_lazy("An example stamp card with the program's real stamp goal and reward.")
        preview_value = {"heading": "", "collected": 6}

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        facts = context.get("facts")
        card = facts.stamp_cards[0] if facts and facts.stamp_cards else None
        if card is not None:
            collected = min(value["collected"] or 0, card.stamp_goal)
            context["card"] = card
            context["stamps"] = [index < collected for index in range(card.stamp_goal)]
            context["remaining"] = card.stamp_goal - collected
        return context


class CountdownBlock(PortalBlockMixin, blocks.StructBlock):
    heading = blocks.CharBlock(label=gettext_lazy("Heading"), required=False, max_length=120)
    ends_at = blocks.DateTimeBlock(label=gettext_lazy("Ends at"))
    ended_text = blocks.CharBlock(
        label=gettext_lazy("Text after the end"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Empty: “This offer has ended.”"),
    )

    class Meta:
        icon = "time"
        label = gettext_lazy("Countdown")
        template = "pages/blocks/countdown.html"
        preview_template = "pages/blocks/preview.html"
        description = gettext_lazy("Days, hours and minutes left until a dated offer ends.")

    def get_preview_value(self):
        return self.normalize({"heading": _("Offer ends in"), "ends_at": timezone.now() + timedelta(days=3, hours=5)})

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        ends_at = value["ends_at"]
        if ends_at is not None:
            ends_at = ends_at.replace(microsecond=0)
            if timezone.is_naive(ends_at):
                ends_at = timezone.make_aware(ends_at)
        context["ends_at"] = ends_at
        context["ended"] = ends_at is not None and ends_at <= timezone.now()
        return context


class JoinBlock(PortalBlockMixin, blocks.StructBlock):
    heading = blocks.CharBlock(
        label=gettext_lazy("Heading"), required=False, max_length=120, help_text=gettext_lazy("Empty: “How to join”.")
    )
    text = blocks.TextBlock(label=gettext_lazy("Text"), required=False)

    class Meta:
        icon = "user"
        label = gettext_lazy("Join call-to-action")
        template = "pages/blocks/join.html"
        preview_template = "pages/blocks/preview.html"
        description = gettext_lazy("How to join: the sign-up link or the stores where the till gives a card.")
        preview_value = {"heading": ""}


class QuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=gettext_lazy("Question"), max_length=200)
    answer = blocks.RichTextBlock(label=gettext_lazy("Answer"), features=["bold", "italic", "link", "ul"])

    class Meta:
        icon = "help"
        label = gettext_lazy("Question")


class FaqBlock(PortalBlockMixin, blocks.StructBlock):
    heading = blocks.CharBlock(label=gettext_lazy("Heading"), required=False, max_length=120)
    questions = blocks.ListBlock(QuestionBlock(), label=gettext_lazy("Questions"), min_num=1)

    class Meta:
        icon = "help"
        label = gettext_lazy("Questions and answers")
        template = "pages/blocks/faq.html"
        preview_template = "pages/blocks/preview.html"
        description = gettext_lazy("Questions that open to show their answers.")
        preview_value = {
            "heading": gettext_lazy("Questions"),
            "questions": [
                {
                    "question": gettext_lazy("Where do I get a card?"),
                    "answer": "<p>At the till of any of our stores.</p>",
                },
                {"question": gettext_lazy("Do points expire?"), "answer": "<p>The rules above say when.</p>"},
            ],
        }


class PromoStreamBlock(blocks.StreamBlock):
    hero = HeroBlock()
    text = TextBlock(features=RICH_TEXT_FEATURES)
    image = ImageBlock()
    offers = OfferGridBlock()
    tiers = TierTableBlock()
    stamps = StampProgressBlock()
    countdown = CountdownBlock()
    join = JoinBlock()
    faq = FaqBlock()
