"""Generic Wagtail views narrowed to the user's businesses, and audited.

Every object view looks its object up in ``permission_policy.instances_user_has_any_permission_for(...)``
(``tenancy.permissions``), so another business's id is a 404 exactly like a missing one. Create, edit and delete
write an ``AuditEvent`` with the changed fields (old → new) in the same transaction as the change.

``ScopedQuerysetMixin`` is the piece to mix into any other admin view of a tenant-owned model;
``tenancy.admin.viewsets.ScopedModelViewSet`` wires all of these up.
"""

from django.contrib.admin.utils import quote, unquote
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage

from tenancy.access import BUSINESS_PATHS
from tenancy.actors import Actor
from tenancy.admin.owners import URL_NAME as OWNER_ADD_URL_NAME
from tenancy.describe import audit_action_label, audit_actor_describe, audit_changes_describe
from tenancy.models import AuditEvent, Business
from tenancy.services import audit_record, business_staff_set, business_workspace_ensure
from tenancy.snapshots import audit_changes, audit_snapshot

# --- Audit of builder edits ----------------------------------------------------------------------------------


def builder_audit(*, user, instance, verb: str, changes: dict) -> None:
    """Record a builder change through ``audit_record``, attached to the object's program and business."""
    program_model = AuditEvent._meta.get_field("program").related_model
    if isinstance(instance, Business):
        program, business = None, instance
    elif isinstance(instance, program_model):
        program, business = instance, instance.business
    else:
        # Through the registered path to the business ("program__business", "card_type__program__business").
        program = instance
        for step in BUSINESS_PATHS[type(instance)].split("__")[:-1]:
            program = getattr(program, step)
        business = program.business
    audit_record(
        actor=Actor.staff(user),
        program=program,
        business=business,
        action=f"{instance._meta.model_name}.{verb}",
        obj=instance,
        changes=changes,
    )


# --- Scoped views --------------------------------------------------------------------------------------------


class ScopedQuerysetMixin:
    """Objects come from the permission policy's instances for the user, never from the model's manager."""

    def scoped_queryset(self, actions):
        queryset = self.permission_policy.instances_user_has_any_permission_for(self.request.user, actions)
        select_related = getattr(self, "list_select_related", None)
        return queryset.select_related(*select_related) if select_related else queryset


class IndexView(ScopedQuerysetMixin, generic.IndexView):
    list_select_related = ()

    def get_base_queryset(self):
        return self.scoped_queryset(self.any_permission_required)


class SaveGuardMixin:
    """A clash the form could not foresee (a unique constraint hit by a concurrent edit or a hand-made POST)
    becomes a form error and nothing is saved, instead of a server error."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            if isinstance(self, generic.CreateView):
                form.instance.pk = None
                form.instance._state.adding = True
            form.add_error(None, _("This conflicts with existing data (a duplicate value). Nothing was saved."))
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


# Wagtail's own log (ModelLogEntry) is not written for tenant data: its Site history report shows every entry of
# a model to anyone with a permission on that model, across businesses. The AuditEvent is the one history.


class CreateView(SaveGuardMixin, generic.CreateView):
    def save_instance(self):
        self.action_class(
            self.form.instance,
            user=self.request.user,
            form=self.form,
            sort_order_field=self.sort_order_field,
            log_action=None,
        ).execute(skip_permission_checks=True)
        instance = self.form.instance
        builder_audit(
            user=self.request.user,
            instance=instance,
            verb="create",
            changes=audit_changes({}, audit_snapshot(instance)),
        )
        return instance


class EditView(ScopedQuerysetMixin, SaveGuardMixin, generic.EditView):
    def get_queryset(self):
        return self.scoped_queryset(["change"])

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        # Before the form binds: validation writes the posted values onto this very instance.
        self.audit_before = audit_snapshot(obj)
        return obj

    def save_instance(self):
        self.action_class(self.form.instance, user=self.request.user, form=self.form, log_action=None).execute(
            skip_permission_checks=True
        )
        instance = self.form.instance
        changes = audit_changes(self.audit_before, audit_snapshot(instance))
        if changes:
            builder_audit(user=self.request.user, instance=instance, verb="update", changes=changes)
        return instance


class DeleteView(ScopedQuerysetMixin, generic.DeleteView):
    def get_queryset(self):
        return self.scoped_queryset(["delete"])

    def delete_action(self):
        with transaction.atomic():
            builder_audit(
                user=self.request.user,
                instance=self.object,
                verb="delete",
                changes=audit_changes(audit_snapshot(self.object), {}),
            )
            self.action_class(self.object, user=self.request.user, log_action=None).execute(skip_permission_checks=True)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except (ProtectedError, RestrictedError):
            messages.error(
                self.request,
                _("“%(object)s” cannot be deleted: members, cards or purchases refer to it. Make it inactive instead.")
                % {"object": self.object},
            )
            if self.edit_url_name:
                return redirect(self.edit_url_name, quote(self.object.pk))
            return redirect(self.index_url_name)


class InspectView(ScopedQuerysetMixin, generic.InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(self.scoped_queryset(self.any_permission_required), pk=unquote(str(self.pk)))


class HistoryView(ScopedQuerysetMixin, history.HistoryView):
    """The object's history as its audit trail tells it: who changed which fields from what to what."""

    filterset_class = None

    def get_base_object_queryset(self):
        return self.scoped_queryset(self.any_permission_required)

    @cached_property
    def columns(self):
        return [
            Column("action", label=gettext_lazy("Action"), accessor=audit_action_label),
            Column("changes", label=gettext_lazy("Changes"), accessor=audit_changes_describe),
            Column("reason", label=gettext_lazy("Reason")),
            Column("actor_kind", label=gettext_lazy("By"), accessor=audit_actor_describe),
            DateColumn("created_at", label=gettext_lazy("Time")),
        ]

    def get_base_queryset(self):
        return (
            AuditEvent.objects.filter(object_type=self.object._meta.model_name, object_id=str(self.object.pk))
            .select_related("actor", "api_key", "member")
            .order_by("-created_at", "-pk")
        )

    @cached_property
    def verbose_name_plural(self):
        return AuditEvent._meta.verbose_name_plural


class UsageView(ScopedQuerysetMixin, usage.UsageView):
    def get_base_object_queryset(self):
        return self.scoped_queryset([self.permission_required])


# --- Businesses (superusers): staff go through the business services ----------------------------------------


class SuperusersOnlyMixin:
    """For anyone but a superuser the Businesses area doesn't exist: 404, not even a "permission denied"."""

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_superuser):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class BusinessStaffMixin:
    def save_instance(self):
        # Taken out of the form's data so the form doesn't write the many-to-many itself.
        staff = self.form.cleaned_data.pop("staff", None)
        business = super().save_instance()
        # Its own collection and staff group first: adding staff puts them in that group.
        business = business_workspace_ensure(business=business)
        if staff is not None:
            business_staff_set(business=business, users=list(staff), actor=Actor.staff(self.request.user))
        return business


class BusinessIndexView(SuperusersOnlyMixin, IndexView):
    def get_list_more_buttons(self, instance):
        # The one-screen way to give a business an owner (invite or create), next to Edit.
        add_owner = MenuItem(
            _("Add owner"), url=reverse(OWNER_ADD_URL_NAME, args=[instance.pk]), icon_name="user", priority=15
        )
        return [*super().get_list_more_buttons(instance), add_owner]


class BusinessCreateView(SuperusersOnlyMixin, BusinessStaffMixin, CreateView):
    pass


class BusinessEditView(SuperusersOnlyMixin, BusinessStaffMixin, EditView):
    pass


class BusinessDeleteView(SuperusersOnlyMixin, DeleteView):
    pass


class BusinessHistoryView(SuperusersOnlyMixin, HistoryView):
    pass


class BusinessUsageView(SuperusersOnlyMixin, UsageView):
    pass
