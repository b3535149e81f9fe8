"""The Loyalty menu: one ViewSetGroup with the builder (programs, card types, tiers, earning rules, stores),
members, API keys, the audit log and, for superusers, businesses. Registered once in ``programs/wagtail_hooks.py``."""

import json

from django import forms
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_filters import ModelChoiceFilter
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
    TitleFieldPanel,
)
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn, UserColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets.slug import SlugInput

from programs import access
from programs.admin.api_keys import ApiKeyCreateView, ApiKeyIndexView, ApiKeyRevokeView, api_key_status
from programs.admin.forms import BusinessForm, CardTypeForm, EarningRuleForm, ProgramForm
from programs.admin.members import MemberViewSet, audit_object_url, audit_object_urls_attach
from programs.admin.purchases import PurchaseViewSet
from programs.choices import ACTION_RULE_KINDS, RuleKind
from programs.models import ApiKey, CardType, EarningRule, Program, RedemptionRule, Store, Tier
from tenancy.admin import views
from tenancy.admin.forms import ScopedAdminModelForm
from tenancy.admin.viewsets import ReadOnlyScopedModelViewSet, ScopedModelViewSet
from tenancy.describe import audit_action_label, audit_actor_describe, audit_changes_describe
from tenancy.models import AuditEvent, Business


def _programs_for_request(request):
    return access.programs_for_user(user=request.user)


def program_filterset(model, *fields):
    """A listing filter whose program choices are the user's programs only (never another business's names)."""

    meta = type("Meta", (), {"model": model, "fields": ["program", *fields]})
    return type(
        f"{model.__name__}FilterSet",
        (WagtailFilterSet,),
        {"program": ModelChoiceFilter(label=_("Program"), queryset=_programs_for_request), "Meta": meta},
    )


class NameFieldPanel(TitleFieldPanel):
    """A new row's name fills its slug or code as the owner types (Wagtail's slug sync; Cyrillic transliterated),
    so the owner sees it before saving and can change it. An existing row's slug or code is left alone when it is
    renamed: portal addresses and tills use it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("placeholder", False)
        kwargs.setdefault("classname", "")
        super().__init__(*args, **kwargs)

    class BoundPanel(TitleFieldPanel.BoundPanel):
        def get_should_apply(self):
            return not (self.instance and self.instance.pk)


def slug_panel(field_name: str) -> FieldPanel:
    """An ASCII slug field that cleans what is typed into it (and takes what ``NameFieldPanel`` sends it)."""
    return FieldPanel(field_name, widget=SlugInput(attrs={"data-w-slug-allow-unicode-value": "false"}))


# --- Builder -------------------------------------------------------------------------------------------------


class ProgramViewSet(ScopedModelViewSet):
    model = Program
    name = "loyalty_programs"
    url_prefix = "loyalty/programs"
    icon = "crosshairs"
    list_select_related = ("business",)
    list_display = ["name", "business", "currency", BooleanColumn("is_active", label=_("Active")), "created_at"]
    search_fields = ["name", "slug"]
    add_item_label = _("Add program")
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("business"),
                    FieldRowPanel([NameFieldPanel("name", targets=["slug"]), slug_panel("slug")]),
                    FieldPanel("description"),
                    FieldPanel("is_active"),
                ],
                heading=_("Program"),
            ),
            MultiFieldPanel(
                [FieldRowPanel([FieldPanel("currency"), FieldPanel("timezone"), FieldPanel("country")])],
                heading=_("Money and time"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("tier_basis"), FieldPanel("tier_window_days")]),
                    FieldRowPanel([FieldPanel("downgrade_policy"), FieldPanel("downgrade_grace_days")]),
                    FieldPanel("tier_crossing_rate"),
                ],
                heading=_("Tier qualification"),
            ),
            MultiFieldPanel(
                [FieldPanel("theme", widget=forms.Select)],
                heading=_("Look"),
            ),
        ],
        base_form_class=ProgramForm,
    )

    @cached_property
    def filterset_class(self):
        meta = type("Meta", (), {"model": Program, "fields": ["is_active", "currency"]})
        return type("ProgramFilterSet", (WagtailFilterSet,), {"Meta": meta})


class CardTypeViewSet(ScopedModelViewSet):
    model = CardType
    name = "loyalty_card_types"
    url_prefix = "loyalty/card-types"
    icon = "tag"
    list_display = ["name", "program", "kind", BooleanColumn("is_active", label=_("Active")), "valid_until"]
    search_fields = ["name"]
    filterset_class = program_filterset(CardType, "kind", "is_active")
    add_item_label = _("Add card type")
    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("program"),
                    FieldRowPanel([FieldPanel("name"), FieldPanel("kind")]),
                    FieldPanel("description"),
                    MultiFieldPanel(
                        [
                            FieldPanel("is_active"),
                            FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
                        ],
                        heading=_("Validity"),
                    ),
                    FieldPanel("earn_min_purchase"),
                    FieldRowPanel([FieldPanel("spend_basis"), FieldPanel("spend_counts_points")]),
                ],
                heading=_("General"),
            ),
            ObjectList(
                [
                    HelpPanel(
                        content=_(
                            "Discount cards give the fixed discount below. Accumulative discount cards use the "
                            "steps: from each total spend on, the member gets that step's discount."
                        )
                    ),
                    FieldPanel("discount_percent"),
                    InlinePanel("thresholds", heading=_("Accumulative discount steps"), label=_("Step")),
                ],
                heading=_("Discount"),
            ),
            ObjectList(
                [
                    MultiFieldPanel(
                        [
                            FieldRowPanel([FieldPanel("cashback_percent"), FieldPanel("rounding")]),
                            FieldPanel("points_expiry_days"),
                        ],
                        heading=_("Cashback"),
                    ),
                    InlinePanel(
                        "redemption_rules",
                        heading=_("Paying with points"),
                        label=_("Redemption rule"),
                        max_num=1,
                    ),
                ],
                heading=_("Cashback & redemption"),
            ),
            ObjectList(
                [
                    FieldRowPanel([FieldPanel("stamp_goal"), FieldPanel("stamp_basis")]),
                    FieldPanel("stamp_categories"),
                    FieldRowPanel([FieldPanel("reward_description"), FieldPanel("stamp_expiry_days")]),
                ],
                heading=_("Stamps"),
            ),
        ],
        base_form_class=CardTypeForm,
    )


class TierViewSet(ScopedModelViewSet):
    model = Tier
    name = "loyalty_tiers"
    url_prefix = "loyalty/tiers"
    icon = "order"
    list_display = ["name", "program", "threshold", "discount_percent", "cashback_percent", "multiplier"]
    ordering = ["program__name", "threshold"]
    search_fields = ["name"]
    filterset_class = program_filterset(Tier)
    add_item_label = _("Add tier")
    edit_handler = ObjectList(
        [
            FieldPanel("program"),
            FieldRowPanel([FieldPanel("name"), FieldPanel("threshold")]),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("discount_percent"), FieldPanel("cashback_percent"), FieldPanel("multiplier")]
                    )
                ],
                heading=_("Benefits"),
            ),
            MultiFieldPanel(
                [FieldRowPanel([FieldPanel("color"), FieldPanel("icon")]), FieldPanel("description")],
                heading=_("Look"),
            ),
        ],
        base_form_class=ScopedAdminModelForm,
    )


def kind_rules(*kinds) -> dict:
    """A panel shown only while the form's kind is one of ``kinds`` (``w-rules``)."""
    return {"data-w-rules-target": "show", "data-w-rules": json.dumps({"kind": [str(kind) for kind in kinds]})}


class EarningRuleViewSet(ScopedModelViewSet):
    model = EarningRule
    name = "loyalty_earning_rules"
    url_prefix = "loyalty/earning-rules"
    icon = "success"
    list_select_related = ("program", "card_type")
    list_display = ["name", "program", "kind", "card_type", BooleanColumn("is_active", label=_("Active")), "bucket"]
    search_fields = ["name"]
    filterset_class = program_filterset(EarningRule, "kind", "is_active")
    add_item_label = _("Add earning rule")
    # The form shows the panels of the chosen kind only (Wagtail's w-rules controller, as the kind changes; all
    # of them without JavaScript): a multiplier's purchase conditions and happy hours, an action's bonus.
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("program"), FieldPanel("card_type")]),
                    FieldRowPanel([FieldPanel("name"), FieldPanel("kind")]),
                    FieldPanel("is_active"),
                ],
                heading=_("Rule"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("multiplier"), FieldPanel("min_purchase")]),
                    FieldPanel("categories"),
                    FieldPanel("skus"),
                    FieldPanel("weekdays"),
                    FieldRowPanel([FieldPanel("time_from"), FieldPanel("time_until")]),
                ],
                heading=_("Purchase multiplier"),
                attrs=kind_rules(RuleKind.MULTIPLIER),
            ),
            MultiFieldPanel(
                [FieldPanel("bonus_points")], heading=_("Action bonus"), attrs=kind_rules(*ACTION_RULE_KINDS)
            ),
            MultiFieldPanel(
                [FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")])],
                heading=_("When it applies"),
            ),
            MultiFieldPanel(
                [FieldPanel("bucket"), FieldRowPanel([FieldPanel("expiry_days"), FieldPanel("expires_on")])],
                heading=_("Credited points"),
            ),
        ],
        base_form_class=EarningRuleForm,
        attrs={"data-controller": "w-rules", "data-action": "change->w-rules#resolve"},
    )


class RedemptionRuleFilterSet(WagtailFilterSet):
    program = ModelChoiceFilter(label=_("Program"), field_name="card_type__program", queryset=_programs_for_request)

    class Meta:
        model = RedemptionRule
        fields = ["program", "paid_part_earns"]


class RedemptionRuleViewSet(ScopedModelViewSet):
    """How points pay, per card type: also edited on the card type's "Cashback & redemption" tab, listed here so
    an owner finds every card type's rule in one place."""

    model = RedemptionRule
    name = "loyalty_redemption_rules"
    url_prefix = "loyalty/redemption-rules"
    icon = "tick-inverse"
    add_item_label = _("Add redemption rule")
    list_select_related = ("card_type", "card_type__program")
    list_display = [
        TitleColumn("card_type", label=_("Card type"), url_name="loyalty_redemption_rules:edit"),
        Column("program", label=_("Program"), accessor="card_type.program"),
        "point_value",
        "max_share_percent",
        "min_check",
        BooleanColumn("paid_part_earns", label=_("Points-paid part earns")),
    ]
    search_fields = ["card_type__name"]
    filterset_class = RedemptionRuleFilterSet
    edit_handler = ObjectList(
        [
            FieldPanel("card_type"),
            FieldRowPanel([FieldPanel("point_value"), FieldPanel("max_share_percent"), FieldPanel("min_check")]),
            FieldPanel("paid_part_earns"),
        ],
        base_form_class=ScopedAdminModelForm,
    )


class StoreViewSet(ScopedModelViewSet):
    model = Store
    name = "loyalty_stores"
    url_prefix = "loyalty/stores"
    icon = "site"
    list_display = ["name", "program", "code", "address", BooleanColumn("is_active", label=_("Active"))]
    search_fields = ["name", "code", "address"]
    filterset_class = program_filterset(Store, "is_active")
    add_item_label = _("Add store")
    edit_handler = ObjectList(
        [
            FieldPanel("program"),
            FieldRowPanel([NameFieldPanel("name", targets=["code"]), slug_panel("code")]),
            FieldPanel("address"),
            FieldPanel("is_active"),
        ],
        base_form_class=ScopedAdminModelForm,
    )


# --- API keys ------------------------------------------------------------------------------------------------


class ApiKeyViewSet(ScopedModelViewSet):
    """Index, create (the secret is shown once) and revoke; keys are never edited or deleted."""

    model = ApiKey
    name = "loyalty_api_keys"
    url_prefix = "loyalty/api-keys"
    icon = "key"
    menu_label = _("API keys")
    add_to_reference_index = False
    index_view_class = ApiKeyIndexView
    list_select_related = ("program", "store", "created_by", "created_by__wagtail_userprofile")
    list_display = [
        "name",
        "program",
        "store",
        Column("masked", label=_("Key")),
        Column("status", label=_("Status"), accessor=api_key_status),
        UserColumn("created_by", label=_("Created by")),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
        DateColumn("last_used_at", label=_("Last used"), sort_key="last_used_at"),
    ]
    search_fields = ["name", "prefix"]
    filterset_class = program_filterset(ApiKey)

    def get_common_view_kwargs(self, **kwargs):
        closed = dict.fromkeys(["edit_url_name", "delete_url_name", "history_url_name"])
        return super().get_common_view_kwargs(**{**closed, "usage_url_name": None, **kwargs})

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", ApiKeyCreateView.as_view(), name="add"),
            path("<int:pk>/revoke/", ApiKeyRevokeView.as_view(), name="revoke"),
        ]

    def register_admin_url_finder(self):
        # No edit view to point to: keys are never edited.
        pass


# --- Audit log and businesses --------------------------------------------------------------------------------


def _businesses_for_request(request):
    return access.businesses_for_user(user=request.user)


class AuditEventFilterSet(WagtailFilterSet):
    business = ModelChoiceFilter(label=_("Business"), queryset=_businesses_for_request)
    program = ModelChoiceFilter(label=_("Program"), queryset=_programs_for_request)

    class Meta:
        model = AuditEvent
        fields = ["business", "program", "object_type"]


class AuditEventIndexView(views.IndexView):
    def get_table(self, object_list):
        audit_object_urls_attach(object_list)
        return super().get_table(object_list)


class AuditEventInspectView(views.InspectView):
    def get_action_display_value(self):
        return audit_action_label(self.object)

    def get_actor_kind_display_value(self):
        return audit_actor_describe(self.object)

    def get_changes_display_value(self):
        return audit_changes_describe(self.object) or "—"


class AuditEventViewSet(ReadOnlyScopedModelViewSet):
    """Read-only: the index and one event's details. Nothing here edits or deletes an audit row."""

    model = AuditEvent
    name = "loyalty_audit"
    url_prefix = "loyalty/audit"
    icon = "history"
    menu_label = _("Audit log")
    list_select_related = ("program", "actor", "api_key", "member")
    list_display = [
        Column("action", label=_("What happened"), accessor=audit_action_label),
        # Members and cards link to the member's page (scoped there like everywhere else).
        TitleColumn("object_repr", label=_("Object"), get_url=audit_object_url),
        "program",
        # A staff user, a till's API key, the customer, or the system: said in words.
        Column("actor_kind", label=_("By"), accessor=audit_actor_describe),
        Column("changes", label=_("Changes"), accessor=audit_changes_describe),
        "reason",
        DateColumn("created_at", label=_("Time"), sort_key="created_at"),
    ]
    search_fields = ["action", "object_repr", "reason"]
    filterset_class = AuditEventFilterSet
    inspect_view_class = AuditEventInspectView
    index_view_class = AuditEventIndexView
    inspect_view_fields = [
        "created_at",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "program",
        "actor_kind",
    ]

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            fields=[*self.inspect_view_fields, "changes", "reason"],
            **kwargs,
        )


class BusinessViewSet(ScopedModelViewSet):
    """Superusers only (``BusinessScopedPermissionPolicy(superusers_only=True)``)."""

    model = Business
    name = "loyalty_businesses"
    url_prefix = "loyalty/businesses"
    icon = "group"
    index_view_class = views.BusinessIndexView
    add_view_class = views.BusinessCreateView
    edit_view_class = views.BusinessEditView
    delete_view_class = views.BusinessDeleteView
    history_view_class = views.BusinessHistoryView
    usage_view_class = views.BusinessUsageView
    list_select_related = ()
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    add_item_label = _("Add business")
    edit_handler = ObjectList(
        [
            FieldRowPanel([NameFieldPanel("name", targets=["slug"]), slug_panel("slug")]),
            FieldPanel("staff", widget=forms.CheckboxSelectMultiple),
        ],
        base_form_class=BusinessForm,
    )


# Other apps (webhooks) add their viewsets to the Loyalty menu with ``menu_hook = LOYALTY_MENU_HOOK``, so
# ``programs`` never imports them.
LOYALTY_MENU_HOOK = "register_loyalty_menu_item"


class LoyaltyViewSetGroup(ViewSetGroup):
    menu_label = _("Loyalty")
    menu_icon = "pick"
    menu_order = 150
    submenu_hook = LOYALTY_MENU_HOOK
    items = (
        ProgramViewSet,
        CardTypeViewSet,
        TierViewSet,
        EarningRuleViewSet,
        RedemptionRuleViewSet,
        StoreViewSet,
        MemberViewSet,
        PurchaseViewSet,
        ApiKeyViewSet,
        AuditEventViewSet,
        BusinessViewSet,
    )
