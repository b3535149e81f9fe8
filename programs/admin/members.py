"""Members in the admin: search, the member's page (cards, balances, tier progress, ledger) and staff actions.

Nothing here writes a row itself: enrolment and profile edits call ``programs.services.members``, card actions
call ``programs.services.cards``. A domain error (``LoyaltyError``) comes back as a form error, and since each
service is one transaction nothing is half-written. Members and cards are found through ``programs.access``,
so another business's member is a 404.
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from django_filters import ModelChoiceFilter
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permissions import policy_registry

from programs import access, selectors
from programs.admin.forms import CardAdjustForm, CardReplaceForm, MemberCreateForm, MemberProfileForm, ReasonForm
from programs.choices import CardStatus, EntryKind
from programs.errors import InsufficientPoints, InsufficientStamps, LoyaltyError, MemberExists
from programs.models import Card, LedgerEntry, Member
from programs.services import cards as card_services
from programs.services import members as member_services
from programs.wording import amount_with_unit, tier_progress_text
from tenancy.actors import Actor

NAMESPACE = "loyalty_members"

# Other apps add sections to the member page without ``programs`` importing them: a function registered under this
# hook gets ``request``, ``member`` and ``cards`` (the member's cards as the page lists them) as keywords and returns
# a Wagtail ``Component`` to render below the cards, or ``None``. The member has been access-checked already.
MEMBER_PANELS_HOOK = "kartka_member_panels"


def url(name: str, *args) -> str:
    return reverse(f"{NAMESPACE}:{name}", args=args)


def _programs_for_request(request):
    return access.programs_for_user(user=request.user)


class MemberFilterSet(WagtailFilterSet):
    program = ModelChoiceFilter(label=gettext_lazy("Program"), queryset=_programs_for_request)

    class Meta:
        model = Member
        fields = ["program"]


class MemberIndexView(generic.IndexView):
    """Members of the user's programs, searchable by phone digits, card number or name (``member_list``)."""

    model = Member
    index_url_name = f"{NAMESPACE}:index"
    index_results_url_name = f"{NAMESPACE}:index_results"
    add_url_name = f"{NAMESPACE}:add"
    filterset_class = MemberFilterSet
    paginate_by = 25
    is_searchable = True
    header_icon = "group"

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "name",
                label=gettext_lazy("Member"),
                accessor=str,
                get_url=lambda member: url("detail", member.pk),
                sort_key="last_name",
            ),
            Column("phone", label=gettext_lazy("Phone")),
            Column("program", label=gettext_lazy("Program")),
            Column("tier", label=gettext_lazy("Tier"), accessor=lambda member: member.tier or "—"),
            Column("card_count", label=gettext_lazy("Cards")),
            DateColumn("joined_at", label=gettext_lazy("Joined"), sort_key="joined_at"),
        ]

    def get_base_queryset(self):
        programs = access.programs_for_user(user=self.request.user).values("pk")
        return selectors.member_list(programs=programs, query=self.search_query)

    def search_queryset(self, queryset):
        # ``member_list`` has already applied the search (digits, card numbers, names).
        return queryset


class MemberCreateView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    model = Member
    permission_required = "add"
    form_class = MemberCreateForm
    template_name = "programs/admin/member_form.html"
    page_title = gettext_lazy("New member")
    header_icon = "user"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": url("index"), "label": _("Members")}, {"url": "", "label": _("New")}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(action_url=url("add"), submit_button_label=_("Enrol"), **kwargs)

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        program = data.pop("program")
        phone = data.pop("phone")
        try:
            member = member_services.member_create(
                program=program, phone=phone, actor=Actor.staff(self.request.user), **data
            )
        except MemberExists as error:
            form.add_error("phone", str(error))
            return self.form_invalid(form)
        except LoyaltyError as error:
            error.add_to_form(form)
            return self.form_invalid(form)
        messages.success(self.request, _("Member “%(member)s” enrolled.") % {"member": member})
        return redirect(url("detail", member.pk))


class MemberObjectMixin:
    """The member of the URL, among the user's programs only (``access_member_for_user``)."""

    @cached_property
    def member(self) -> Member:
        return access.access_member_for_user(user=self.request.user, member_id=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        self.member  # noqa: B018  (404 for another business's member, whatever the method)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": url("index"), "label": _("Members")},
            {"url": url("detail", self.member.pk), "label": str(self.member)},
            {"url": "", "label": self.get_page_title()},
        ]


class MemberEditView(MemberObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    model = Member
    permission_required = "change"
    form_class = MemberProfileForm
    template_name = "programs/admin/member_form.html"
    page_title = gettext_lazy("Edit profile")
    header_icon = "user"

    def get_initial(self):
        return {field: getattr(self.member, field) for field in member_services.EDITABLE_FIELDS}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=url("edit", self.member.pk), submit_button_label=_("Save"), member=self.member, **kwargs
        )

    def form_valid(self, form):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            member_services.member_update(member=self.member, actor=Actor.staff(self.request.user), **changes)
        except LoyaltyError as error:
            error.add_to_form(form)
            return self.form_invalid(form)
        messages.success(self.request, _("Profile of “%(member)s” saved.") % {"member": self.member})
        return redirect(url("detail", self.member.pk))


def audit_object_urls_attach(events) -> None:
    """Give each audit row of a member or a card that still exists the member page it leads to (the card selected)
    as ``object_url``: two queries for a whole page of rows."""
    numbered = [event for event in events if event.object_type in ("member", "card") and event.object_id.isdigit()]
    member_ids = {int(event.object_id) for event in numbered if event.object_type == "member"}
    card_ids = {int(event.object_id) for event in numbered if event.object_type == "card"}
    members = set(Member.objects.filter(pk__in=member_ids).values_list("pk", flat=True)) if member_ids else set()
    cards = dict(Card.objects.filter(pk__in=card_ids).values_list("pk", "member_id")) if card_ids else {}
    for event in events:
        event.object_url = None
    for event in numbered:
        number = int(event.object_id)
        if event.object_type == "member" and number in members:
            event.object_url = url("detail", number)
        elif event.object_type == "card" and number in cards:
            event.object_url = f"{url('detail', cards[number])}?card={number}"


def audit_object_url(event) -> str | None:
    return getattr(event, "object_url", None)


def entry_reason(entry: LedgerEntry) -> str:
    """Why a ledger entry exists, in words: the rule, the receipt, the refund, the staff reason and who."""
    parts = []
    if entry.rule is not None:
        parts.append(_("rule “%(rule)s”") % {"rule": entry.rule.name})
    if entry.kind == EntryKind.EXPIRY and entry.lot_id and entry.lot.entry.purchase_id:
        parts.append(_("earned with receipt %(receipt)s") % {"receipt": entry.lot.entry.purchase.receipt_id})
    if entry.purchase_id:
        receipt = _("receipt %(receipt)s") % {"receipt": entry.purchase.receipt_id}
        if entry.purchase.store_id:
            receipt = f"{receipt} ({entry.purchase.store.name})"
        parts.append(receipt)
    if entry.refund_id and entry.kind != EntryKind.DEBT_SETTLEMENT:  # a settlement's reason names its refunds
        parts.append(_("refund %(refund)s") % {"refund": entry.refund.refund_id})
    if entry.reason and not (entry.rule is not None and entry.reason == entry.rule.name):
        parts.append(entry.reason)
    if entry.kind == EntryKind.EXPIRY and not parts:
        parts.append(_("expired"))
    if entry.actor_id and entry.actor is not None:
        parts.append(_("by %(user)s") % {"user": entry.actor.get_username()})
    else:
        through = entry.refund if entry.refund_id else entry.purchase if entry.purchase_id else None
        if through is not None and through.api_key is not None:
            parts.append(_("through the API key “%(key)s”") % {"key": through.api_key.name})
    return " · ".join(parts)


def member_panels(*, request, member: Member, cards: list[Card]) -> list:
    """The sections other apps add to ``member``'s page (``MEMBER_PANELS_HOOK``), in hook order."""
    panels = (hook(request=request, member=member, cards=cards) for hook in hooks.get_hooks(MEMBER_PANELS_HOOK))
    return [panel for panel in panels if panel is not None]


class MemberDetailView(MemberObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """The member's page: profile, tier progress, every card with its balances, and the selected card's ledger."""

    model = Member
    any_permission_required = ["view", "change"]
    template_name = "programs/admin/member_detail.html"
    header_icon = "user"
    ledger_per_page = 20

    def get_page_title(self):
        return str(self.member)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": url("index"), "label": _("Members")},
            {"url": "", "label": str(self.member)},
        ]

    @cached_property
    def header_buttons(self):
        if not self.user_has_permission("change"):
            return []
        return [HeaderButton(_("Edit profile"), url=url("edit", self.member.pk), icon_name="edit")]

    @cached_property
    def cards(self) -> list[Card]:
        cards = self.member.cards.select_related("card_type", "replaced_by").order_by("issued_at", "pk")
        # Live cards first: they are the ones staff act on.
        return sorted(cards, key=lambda card: card.status == CardStatus.REPLACED)

    def selected_card(self) -> Card | None:
        wanted = self.request.GET.get("card")
        if not wanted:
            return self.cards[0] if self.cards else None
        for card in self.cards:
            if str(card.pk) == wanted:
                return card
        raise Http404

    def card_rows(self, selected):
        may_act = policy_registry.get_by_type(Card).user_has_permission(self.request.user, "change")
        rows = []
        for card in self.cards:
            live = card.status != CardStatus.REPLACED
            rows.append(
                {
                    "card": card,
                    "balances": selectors.card_balances(card=card),
                    "selected": card == selected,
                    "ledger_url": f"{url('detail', self.member.pk)}?card={card.pk}",
                    "actions": self.card_actions(card) if may_act and live else [],
                }
            )
        return rows

    def card_actions(self, card):
        actions = [(_("Adjust points or stamps"), url("card_adjust", self.member.pk, card.pk))]
        if card.status == CardStatus.ACTIVE:
            actions.append((_("Block"), url("card_block", self.member.pk, card.pk)))
        else:
            actions.append((_("Unblock"), url("card_unblock", self.member.pk, card.pk)))
        actions.append((_("Replace"), url("card_replace", self.member.pk, card.pk)))
        return actions

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        selected = self.selected_card()
        ledger_page = None
        if selected is not None:
            paginator = Paginator(selectors.ledger_list(card=selected), self.ledger_per_page)
            ledger_page = paginator.get_page(self.request.GET.get("p"))
            for entry in ledger_page.object_list:
                entry.reason_text = entry_reason(entry)
                entry.amount_text = amount_with_unit(entry.amount, entry.unit, signed=True) if entry.amount else ""
                entry.debt_text = amount_with_unit(entry.debt_change, entry.unit, signed=True)
        progress = selectors.member_tier_progress(member=self.member)
        context.update(
            member=self.member,
            program=self.member.program,
            tier_progress=progress,
            tier_progress_text=tier_progress_text(progress, currency=self.member.program.currency)
            if progress.next_tier
            else "",
            card_rows=self.card_rows(selected),
            selected_card=selected,
            ledger_page=ledger_page,
            ledger_base_url=f"{url('detail', self.member.pk)}?card={selected.pk}&" if selected else "",
            member_panels=member_panels(request=self.request, member=self.member, cards=self.cards),
        )
        return context


# --- Staff actions on a card ---------------------------------------------------------------------------------


class CardActionView(MemberObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """A staff action on one card of one member: a reasoned form whose valid submission calls a card service."""

    model = Card
    permission_required = "change"
    template_name = "programs/admin/card_action.html"
    form_class = ReasonForm
    header_icon = "form"
    submit_label = gettext_lazy("Save")
    success_message = ""
    # Which form field a domain error belongs to; others are shown above the form.
    error_fields: dict = {}

    @cached_property
    def card(self) -> Card:
        card = access.access_card_for_user(user=self.request.user, member=self.member, card_id=self.kwargs["card_pk"])
        if not self.permission_policy.user_has_permission_for_instance(self.request.user, "change", card):
            raise PermissionDenied
        return card

    def get(self, request, *args, **kwargs):
        self.card  # noqa: B018  (404 before rendering anything for a card that isn't this member's)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.card  # noqa: B018
        return super().post(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.card.number

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=self.request.path,
            submit_button_label=self.submit_label,
            member=self.member,
            card=self.card,
            balances=selectors.card_balances(card=self.card),
            **kwargs,
        )

    def perform(self, form) -> Card | None:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            result = self.perform(form)
        except LoyaltyError as error:
            error.field = error.field or self.error_fields.get(type(error))
            error.add_to_form(form)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"card": self.card.number})
        card = result if isinstance(result, Card) else self.card
        return redirect(f"{url('detail', self.member.pk)}?card={card.pk}")


class CardAdjustView(CardActionView):
    form_class = CardAdjustForm
    page_title = gettext_lazy("Adjust points or stamps")
    submit_label = gettext_lazy("Adjust")
    success_message = gettext_lazy("Balance of card %(card)s adjusted.")
    error_fields = {InsufficientPoints: "amount", InsufficientStamps: "amount"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "card_type": self.card.card_type}

    def perform(self, form):
        data = form.cleaned_data
        card_services.card_adjust(
            card=self.card,
            amount=data["amount"],
            reason=data["reason"],
            actor=Actor.staff(self.request.user),
            unit=data["unit"],
            bucket=data["bucket"],
            expires_at=data["expires_at"],
        )


class CardBlockView(CardActionView):
    page_title = gettext_lazy("Block card")
    submit_label = gettext_lazy("Block")
    success_message = gettext_lazy("Card %(card)s blocked.")

    def perform(self, form):
        return card_services.card_block(
            card=self.card, reason=form.cleaned_data["reason"], actor=Actor.staff(self.request.user)
        )


class CardUnblockView(CardActionView):
    page_title = gettext_lazy("Unblock card")
    submit_label = gettext_lazy("Unblock")
    success_message = gettext_lazy("Card %(card)s unblocked.")

    def perform(self, form):
        return card_services.card_unblock(
            card=self.card, reason=form.cleaned_data["reason"], actor=Actor.staff(self.request.user)
        )


class CardReplaceView(CardActionView):
    form_class = CardReplaceForm
    page_title = gettext_lazy("Replace card")
    submit_label = gettext_lazy("Replace")
    success_message = gettext_lazy("Card %(card)s replaced; balances moved to the new card.")
    error_fields = {}

    def perform(self, form):
        return card_services.card_replace(
            card=self.card,
            reason=form.cleaned_data["reason"],
            number=form.cleaned_data["number"],
            actor=Actor.staff(self.request.user),
        )


class MemberViewSet(ViewSet):
    """Members are not a ModelViewSet: they are enrolled and changed through services, never by a model form."""

    name = NAMESPACE
    url_prefix = "loyalty/members"
    icon = "group"
    menu_label = gettext_lazy("Members")

    @cached_property
    def menu_item_class(self):
        from wagtail.admin.menu import MenuItem

        def is_shown(_self, request):
            return policy_registry.get_by_type(Member).user_has_any_permission(request.user, ["view", "change"])

        return type("MemberMenuItem", (MenuItem,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        member_card = "<int:pk>/cards/<int:card_pk>"
        return [
            path("", MemberIndexView.as_view(), name="index"),
            path("results/", MemberIndexView.as_view(results_only=True), name="index_results"),
            path("new/", MemberCreateView.as_view(), name="add"),
            path("<int:pk>/", MemberDetailView.as_view(), name="detail"),
            path("<int:pk>/edit/", MemberEditView.as_view(), name="edit"),
            path(f"{member_card}/adjust/", CardAdjustView.as_view(), name="card_adjust"),
            path(f"{member_card}/block/", CardBlockView.as_view(), name="card_block"),
            path(f"{member_card}/unblock/", CardUnblockView.as_view(), name="card_unblock"),
            path(f"{member_card}/replace/", CardReplaceView.as_view(), name="card_replace"),
        ]
