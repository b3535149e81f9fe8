"""Import and export screens: per program, an upload for an import and for a bulk adjustment (each checked first,
then started by a button on the job's page), the templates, and the export form; the job page with its progress.

Import and bulk adjustment need ``bulk.import_members``, export ``bulk.export_members`` (business owners have
both). Programs are found through ``programs.access`` and jobs through ``tenancy.access``: another business's
program or job is a 404 whatever the method. The job page refreshes itself while the job works (a plain
``<meta http-equiv="refresh">``: no script needed).
"""

import csv
import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from bulk import exporting
from bulk.admin.forms import ExportForm, UploadForm
from bulk.choices import JobKind, JobStatus, RowOutcome
from bulk.columns import ADJUST_COLUMNS, IMPORT_COLUMNS, template_example, template_headers
from bulk.models import BulkJob
from bulk.services import JobStateError, bulk_job_commit, bulk_job_upload
from programs import access
from programs.models import Program
from tenancy.access import access_for_user
from tenancy.actors import Actor
from tenancy.choices import AuditAction
from tenancy.services import audit_record

NAMESPACE = "bulk_admin"
IMPORT_PERMISSION = "bulk.import_members"
EXPORT_PERMISSION = "bulk.export_members"
JOBS_SHOWN = 10


def url(name: str, *args) -> str:
    return reverse(f"{NAMESPACE}:{name}", args=args)


def user_may_import(user) -> bool:
    return user.is_active and user.has_perm(IMPORT_PERMISSION)


def user_may_export(user) -> bool:
    return user.is_active and user.has_perm(EXPORT_PERMISSION)


def user_may_use(user) -> bool:
    return user_may_import(user) or user_may_export(user)


class PermissionMixin:
    """403 before anything else for a user who may neither import nor export (or not the one the view needs)."""

    needs = staticmethod(user_may_use)

    def dispatch(self, request, *args, **kwargs):
        if not self.needs(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ProgramMixin(PermissionMixin):
    @cached_property
    def program(self) -> Program:
        return access.access_program_for_user(user=self.request.user, program_id=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if self.needs(request.user):
            self.program  # noqa: B018  (404 for another business's program, whatever the method)
        return super().dispatch(request, *args, **kwargs)


class IndexView(PermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """The user's programs, each a link to its import and export page."""

    template_name = "bulk/admin/index.html"
    page_title = gettext_lazy("Import and export")
    header_icon = "download"

    def get_context_data(self, **kwargs):
        programs = access.programs_for_user(user=self.request.user).order_by("name")
        return super().get_context_data(
            programs=[(program, url("program", program.pk)) for program in programs], **kwargs
        )


class ProgramView(ProgramMixin, WagtailAdminTemplateMixin, TemplateView):
    """One program: import, bulk adjustment and export, and its latest jobs."""

    template_name = "bulk/admin/program.html"
    header_icon = "download"

    def get_page_title(self):
        return _("Import and export")

    def get_page_subtitle(self):
        return str(self.program)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": url("index"), "label": _("Import and export")},
            {"url": "", "label": str(self.program)},
        ]

    def get_context_data(self, **kwargs):
        program = self.program
        user = self.request.user
        kwargs.setdefault("import_form", UploadForm())
        kwargs.setdefault("adjust_form", UploadForm(needs_reason=True))
        kwargs.setdefault("export_form", ExportForm())
        jobs = BulkJob.objects.filter(program=program).select_related("created_by")[:JOBS_SHOWN]
        return super().get_context_data(
            program=program,
            may_import=user_may_import(user),
            may_export=user_may_export(user),
            jobs=[(job, url("job", job.pk)) for job in jobs],
            import_url=url("upload", program.pk, JobKind.IMPORT),
            adjust_url=url("upload", program.pk, JobKind.ADJUST),
            export_url=url("export", program.pk),
            templates={
                kind: {fmt: url("template", program.pk, kind, fmt) for fmt in ("csv", "xlsx")}
                for kind in (JobKind.IMPORT, JobKind.ADJUST)
            },
            **kwargs,
        )


class TemplateDownloadView(ProgramMixin, View):
    """The empty template with one example row, headers in the user's language."""

    needs = staticmethod(user_may_import)

    def get(self, request, pk, kind, fmt):
        if kind not in JobKind.values or fmt not in ("csv", "xlsx"):
            raise Http404
        columns = IMPORT_COLUMNS if kind == JobKind.IMPORT else ADJUST_COLUMNS
        header, example = template_headers(columns), template_example(columns)
        name = f"{slugify(self.program.slug or self.program.name)}-{'import' if kind == JobKind.IMPORT else 'adjust'}"
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header)
            writer.writerow(example)
            response = HttpResponse(("\ufeff" + buffer.getvalue()).encode(), content_type="text/csv; charset=utf-8")
        else:
            from openpyxl import Workbook

            workbook = Workbook()
            sheet = workbook.active
            sheet.title = _("Members") if kind == JobKind.IMPORT else _("Adjustments")
            sheet.append(header)
            sheet.append(example)
            for cells in sheet.columns:
                # Phones and card numbers stay text: Excel would turn them into 3.8E+11.
                cells[1].number_format = "@"
                sheet.column_dimensions[cells[0].column_letter].width = max(14, len(str(cells[0].value)) + 2)
            buffer = io.BytesIO()
            workbook.save(buffer)
            response = HttpResponse(
                buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


class UploadView(ProgramMixin, View):
    """POST a file: keep it, queue its check, go to the job's page. Errors show on the program page."""

    http_method_names = ["post"]
    needs = staticmethod(user_may_import)

    def post(self, request, pk, kind):
        if kind not in JobKind.values:
            raise Http404
        form = UploadForm(request.POST, request.FILES, needs_reason=kind == JobKind.ADJUST)
        if not form.is_valid():
            view = ProgramView(request=request, kwargs={"pk": pk}, args=())
            view.program = self.program
            context = view.get_context_data(**{f"{'import' if kind == JobKind.IMPORT else 'adjust'}_form": form})
            return view.render_to_response(context, status=400)
        try:
            job = bulk_job_upload(
                program=self.program,
                kind=kind,
                upload=form.cleaned_data["file"],
                actor=Actor.staff(request.user),
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(url("program", self.program.pk))
        return redirect(url("job", job.pk))


class ExportView(ProgramMixin, View):
    """GET with the export form's fields: the file, streamed. Each export is in the audit log (who took the data)."""

    needs = staticmethod(user_may_export)

    def get(self, request, pk):
        form = ExportForm(request.GET)
        if not form.is_valid():
            view = ProgramView(request=request, kwargs={"pk": pk}, args=())
            view.program = self.program
            return view.render_to_response(view.get_context_data(export_form=form), status=400)
        program, data = self.program, form.cleaned_data
        if data["what"] == "members":
            header, rows = exporting.members_header(), exporting.members_rows(program=program)
            title = _("Members")
            name = f"{slugify(program.slug)}-members-{timezone.now():%Y%m%d}"
            detail = title
        else:
            header = exporting.ledger_header()
            rows = exporting.ledger_rows(program=program, start=data["start"], end=data["end"])
            title = _("Ledger")
            name = f"{slugify(program.slug)}-ledger-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}"
            detail = f"{title} {data['start']:%Y-%m-%d} – {data['end']:%Y-%m-%d}"
        audit_record(
            actor=Actor.staff(request.user),
            program=program,
            action=AuditAction.BULK_EXPORT,
            obj=program,
            reason=f"{detail} ({data['format'].upper()})",
        )
        if data["format"] == "csv":
            response = StreamingHttpResponse(exporting.csv_stream(header, rows), content_type="text/csv; charset=utf-8")
        else:
            response = FileResponse(
                exporting.xlsx_file(header, rows, title=title),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{name}.{data["format"]}"'
        response["Cache-Control"] = "no-store"
        return response


class JobMixin(PermissionMixin):
    needs = staticmethod(user_may_import)

    @cached_property
    def job(self) -> BulkJob:
        return access_for_user(
            BulkJob.objects.select_related("program", "created_by"), user=self.request.user, pk=self.kwargs["job_id"]
        )

    def dispatch(self, request, *args, **kwargs):
        if self.needs(request.user):
            self.job  # noqa: B018
        return super().dispatch(request, *args, **kwargs)


OUTCOME_ORDER = (RowOutcome.CREATE, RowOutcome.UPDATE, RowOutcome.UNCHANGED, RowOutcome.ADJUST, RowOutcome.REJECT)


def _counts(counts: dict) -> list[tuple[str, str, int]]:
    return [(key.value, str(key.label), counts.get(key.value, 0)) for key in OUTCOME_ORDER if key.value in counts]


class JobView(JobMixin, WagtailAdminTemplateMixin, TemplateView):
    """A job: what the check found (the dry run), the button to start it, its progress and what it did."""

    template_name = "bulk/admin/job.html"
    header_icon = "download"

    def get_page_title(self):
        return self.job.get_kind_display()

    def get_page_subtitle(self):
        return self.job.file_name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": url("index"), "label": _("Import and export")},
            {"url": url("program", self.job.program_id), "label": str(self.job.program)},
            {"url": "", "label": f"{self.job.get_kind_display()} · {self.job.file_name}"},
        ]

    def get_context_data(self, **kwargs):
        job = self.job
        checked = job.checked or {}
        will_write = sum(checked.get(key, 0) for key in ("create", "update", "adjust"))
        return super().get_context_data(
            job=job,
            refresh=job.is_busy,
            checked=_counts(checked),
            committed=_counts(job.committed or {}),
            will_write=will_write,
            can_start=job.status == JobStatus.CHECKED and will_write > 0,
            can_resume=job.status == JobStatus.FAILED and job.started_at is not None,
            commit_url=url("commit", job.pk),
            program_url=url("program", job.program_id),
            members_url=reverse("loyalty_members:index"),
            is_import=job.kind == JobKind.IMPORT,
            **kwargs,
        )


class JobCommitView(JobMixin, View):
    """POST: start a checked job, or resume a stopped one."""

    http_method_names = ["post"]

    def post(self, request, job_id):
        try:
            bulk_job_commit(job=self.job, actor=Actor.staff(request.user))
        except JobStateError as error:
            messages.error(request, str(error))
        return redirect(url("job", self.job.pk))
