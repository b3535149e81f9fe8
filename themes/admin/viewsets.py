"""The Themes menu: a SnippetViewSet (drafts, revisions, preview modes) narrowed to the user's businesses.

Listings and the chooser come from the business-scoped queryset; every URL that names a theme (edit, preview,
history, revisions, unpublish, delete…) answers 404 for another business's theme before Wagtail's view runs, so a
view added by a later Wagtail release is scoped too."""

from functools import wraps

from django.contrib.admin.utils import unquote
from django.http import Http404
from django.urls import URLPattern
from django.utils.translation import gettext_lazy as _
from django_filters import ModelChoiceFilter
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.admin.ui.tables import Column, LiveStatusTagColumn, UpdatedAtColumn
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from tenancy import access
from themes.admin import views
from themes.admin.forms import ThemeForm
from themes.admin.panels import ContrastPanel
from themes.models import Theme


def scoped_view(view, model):
    """``view`` answering 404 unless the theme in its URL (``pk``) belongs to one of the user's businesses."""

    @wraps(view)
    def scoped(request, *args, **kwargs):
        pk = kwargs.get("pk")
        if pk is not None:
            visible = access.scope_for_user(model._default_manager.filter(pk=unquote(str(pk))), user=request.user)
            if not visible.exists():
                raise Http404
        return view(request, *args, **kwargs)

    return scoped


def _businesses_for_request(request):
    return access.businesses_for_user(user=request.user)


class ThemeFilterSet(WagtailFilterSet):
    # The user's businesses only: an unscoped filter would list every tenant's name.
    business = ModelChoiceFilter(label=_("Business"), queryset=_businesses_for_request)

    class Meta:
        model = Theme
        fields = ["business", "live"]


class ThemeChooserViewSet(SnippetChooserViewSet):
    choose_view_class = views.ThemeChooseView
    choose_results_view_class = views.ThemeChooseResultsView
    chosen_view_class = views.ThemeChosenView
    creation_form_class = None
    form_fields = None


class ThemeViewSet(SnippetViewSet):
    model = Theme
    icon = "image"
    menu_label = _("Themes")
    menu_name = "themes"
    menu_order = 160
    add_to_admin_menu = True
    add_to_reference_index = False
    copy_view_enabled = False
    chooser_viewset_class = ThemeChooserViewSet
    add_view_class = views.ThemeCreateView
    edit_view_class = views.ThemeEditView
    delete_view_class = views.ThemeDeleteView
    unpublish_view_class = views.ThemeUnpublishView
    history_view_class = views.ThemeHistoryView
    list_display = [
        "name",
        "business",
        Column("font", label=_("Font"), accessor="get_font_display"),
        UpdatedAtColumn(),
        LiveStatusTagColumn(),
    ]
    filterset_class = ThemeFilterSet
    search_fields = ["name"]
    search_backend_name = None  # plain database search

    def get_index_view_kwargs(self, **kwargs):
        # "Add theme" as one phrase a translator can inflect (Wagtail's "Add %(model_name)s" cannot be).
        return super().get_index_view_kwargs(add_item_label=_("Add theme"), **kwargs)

    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldRowPanel([FieldPanel("name"), FieldPanel("business")]),
                    MultiFieldPanel(
                        [
                            FieldRowPanel([FieldPanel("background_colour"), FieldPanel("text_colour")]),
                            FieldRowPanel([FieldPanel("label_colour"), FieldPanel("accent_colour")]),
                            FieldPanel("on_accent_colour"),
                        ],
                        heading=_("Colours"),
                    ),
                    ContrastPanel(heading=_("Contrast check")),
                    MultiFieldPanel(
                        [FieldRowPanel([FieldPanel("stamp_filled_colour"), FieldPanel("stamp_empty_colour")])],
                        heading=_("Stamps"),
                    ),
                    FieldPanel("font"),
                ],
                heading=_("Colours and font"),
            ),
            ObjectList(
                [
                    FieldRowPanel([FieldPanel("logo"), FieldPanel("icon")]),
                    FieldRowPanel([FieldPanel("strip"), FieldPanel("stamp_icon")]),
                ],
                heading=_("Images"),
            ),
            ObjectList(
                [
                    FieldPanel("website"),
                    FieldRowPanel([FieldPanel("instagram"), FieldPanel("facebook")]),
                    FieldRowPanel([FieldPanel("telegram"), FieldPanel("phone")]),
                ],
                heading=_("Links"),
            ),
        ],
        base_form_class=ThemeForm,
    )

    def get_queryset(self, request):
        return access.scope_for_user(Theme.objects.select_related("business"), user=request.user)

    def get_urlpatterns(self):
        return [
            URLPattern(pattern.pattern, scoped_view(pattern.callback, self.model), pattern.default_args, pattern.name)
            if isinstance(pattern, URLPattern)
            else pattern
            for pattern in super().get_urlpatterns()
        ]
