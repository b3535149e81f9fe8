"""The "Add owner" screen: one form that invites a person by e-mail (or creates their account with a password)
and gives them access to a business, through ``tenancy.services.business_owner_add``.

Who may use it: superusers, for any business; a business's own staff, for that business (co-owners), so a shop
owner can bring in a partner or a manager without waiting for the platform operator. Any other business is a 404
like a missing one; the service checks the same rule again.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from tenancy import access
from tenancy.actors import Actor
from tenancy.admin.forms import BusinessOwnerAddForm
from tenancy.services import business_owner_add

URL_NAME = "tenancy_business_owner_add"


class BusinessOwnerAddView(WagtailAdminTemplateMixin, FormView):
    form_class = BusinessOwnerAddForm
    template_name = "tenancy/admin/business_owner_add.html"
    page_title = gettext_lazy("Add owner")

    @cached_property
    def business(self):
        return access.access_business_for_user(user=self.request.user, business_id=self.kwargs["business_id"])

    def dispatch(self, request, *args, **kwargs):
        self.business  # noqa: B018  (404 before anything else for a business that isn't the user's)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return _("Add an owner to %(business)s") % {"business": self.business.name}

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": _("Add owner")}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            business=self.business,
            action_url=reverse(URL_NAME, args=[self.business.pk]),
            submit_button_label=_("Add owner"),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            added = business_owner_add(
                business=self.business,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                username=data["username"],
                password=form.password,
                actor=Actor.staff(self.request.user),
                invite_base_url=self.request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            fields = {"password": "password1"}
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    field = fields.get(field, field)
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
            return self.form_invalid(form)
        name = added.user.get_full_name() or added.user.email or added.user.get_username()
        if added.invited:
            message = _("%(name)s is an owner of %(business)s now; an invitation to choose a password is on its way.")
        elif added.created:
            message = _("%(name)s is an owner of %(business)s now and can sign in with the password you gave.")
        else:
            message = _("%(name)s already had an account and is an owner of %(business)s now.")
        messages.success(self.request, message % {"name": name, "business": self.business.name})
        return redirect("wagtailadmin_home")
