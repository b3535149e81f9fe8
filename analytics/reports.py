"""The monthly PDF report of a program, drawn with WeasyPrint from the rollups, and its e-mail to the owners.

The report carries the program's theme (accent colour, logo), DejaVu Sans embedded (Cyrillic, ₴ and ₽), and charts
as SVG drawn here (``analytics.svg``). E-mailing is off unless ``KARTKA_ANALYTICS_REPORTS_EMAIL`` is set: the job
then logs and sends nothing.
"""

import base64
import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from analytics import selectors, svg
from analytics.models import ReportDelivery
from programs import clock
from programs.admin.home import money_display
from programs.models import Program
from programs.wording import count_display

logger = logging.getLogger(__name__)


def previous_month(day: date) -> date:
    """The first day of the month before ``day``'s."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_filters(month: date) -> selectors.Filters:
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return selectors.Filters(first=month, last=last)


def _logo_data_uri(tokens) -> str:
    """The theme's logo embedded in the PDF (read from storage, never fetched over the network)."""
    if not tokens.logo_image_id:
        return ""
    from wagtail.images import get_image_model

    image = get_image_model().objects.filter(pk=tokens.logo_image_id).first()
    if image is None:
        return ""
    try:
        with image.file.open("rb") as handle:
            data = handle.read()
    except OSError:
        return ""
    kind = "svg+xml" if image.file.name.lower().endswith(".svg") else (image.file.name.rsplit(".", 1)[-1].lower())
    kind = "jpeg" if kind == "jpg" else kind
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


def _change(current, previous) -> str:
    if not previous:
        return ""
    delta = (current - previous) * 100 / previous
    return f"{'+' if delta >= 0 else ''}{number_format(delta, decimal_pos=1, use_l10n=True)} %"


def _percent(value) -> str:
    return "—" if value is None else f"{number_format(value * 100, decimal_pos=1, use_l10n=True)} %"


def report_context(*, program: Program, month: date) -> dict:
    from themes.tokens import theme_tokens

    filters = month_filters(month)
    dashboard = selectors.dashboard_get(program=program, filters=filters)
    tokens = theme_tokens(program)
    accent = tokens.accent
    kpis, previous = dashboard.kpis, dashboard.previous

    def money(value):
        return money_display(value, program.currency)

    figures = [
        (_("Purchases"), count_display(kpis.purchases), _change(kpis.purchases, previous.purchases)),
        (_("Revenue"), money(kpis.revenue), _change(kpis.revenue, previous.revenue)),
        (_("Average check"), money(kpis.average_check), _change(kpis.average_check, previous.average_check)),
        (_("New members"), count_display(kpis.new_members), _change(kpis.new_members, previous.new_members)),
    ]
    has_points = bool(kpis.points_earned or kpis.points_redeemed or kpis.points_expired or dashboard.liability.total)
    has_stamps = bool(kpis.stamps_issued or kpis.rewards_issued or kpis.rewards_redeemed)
    if has_points or not has_stamps:
        figures += [
            (_("Points earned"), money(kpis.points_earned), _change(kpis.points_earned, previous.points_earned)),
            (
                _("Points redeemed"),
                money(kpis.points_redeemed),
                _change(kpis.points_redeemed, previous.points_redeemed),
            ),
            (_("Points expired"), money(kpis.points_expired), _change(kpis.points_expired, previous.points_expired)),
            (_("Redemption rate"), _percent(kpis.redemption_rate), ""),
            (_("Breakage rate"), _percent(kpis.breakage_rate), ""),
            (_("Liability"), money(dashboard.liability.total), ""),
        ]
    if has_stamps:
        figures += [
            (
                _("Stamps issued"),
                count_display(kpis.stamps_issued),
                _change(kpis.stamps_issued, previous.stamps_issued),
            ),
            (
                _("Rewards issued"),
                count_display(kpis.rewards_issued),
                _change(kpis.rewards_issued, previous.rewards_issued),
            ),
            (
                _("Rewards redeemed"),
                count_display(kpis.rewards_redeemed),
                _change(kpis.rewards_redeemed, previous.rewards_redeemed),
            ),
        ]
    figures += [
        (_("Active members (30 days)"), count_display(dashboard.activity.active_30), ""),
        (_("Repeat-purchase rate"), _percent(dashboard.activity.repeat_rate), ""),
    ]
    sales = dashboard.tables["sales"]
    points = dashboard.tables["points"]
    stamps = dashboard.tables["stamps"]
    activity = dashboard.tables["activity"]
    charts = [
        (
            sales.title,
            svg.bars(
                labels=[row[0].day for row in sales.rows],
                series=[(_("Revenue"), [row[2] for row in sales.rows], accent)],
                format_value=lambda v: count_display(v),
                width=680,
            ),
        ),
        (
            stamps.title if not has_points and has_stamps else points.title,
            svg.bars(
                labels=[row[0].day for row in (points if has_points or not has_stamps else stamps).rows],
                series=[
                    (_("Earned"), [row[1] for row in points.rows], accent),
                    (_("Redeemed"), [row[2] for row in points.rows], "#2da44e"),
                    (_("Expired"), [row[3] for row in points.rows], "#cf222e"),
                ]
                if has_points or not has_stamps
                else [
                    (_("Stamps issued"), [row[1] for row in stamps.rows], accent),
                    (_("Rewards issued"), [row[2] for row in stamps.rows], "#2da44e"),
                    (_("Rewards redeemed"), [row[3] for row in stamps.rows], "#bf8700"),
                ],
                format_value=lambda v: count_display(v),
                width=680,
            ),
        ),
        (
            activity.title,
            svg.bars(
                labels=[row[0] for row in activity.rows],
                series=[("", [row[1] for row in activity.rows], accent)],
                format_value=lambda v: count_display(v),
                horizontal=True,
                height=110,
                width=680,
            ),
        ),
    ]
    stores = dashboard.tables["stores"]
    tiers = dashboard.tables["tiers"]
    return {
        "program": program,
        "month_label": date_format(month, "F Y"),
        "generated": date_format(clock.now(), "SHORT_DATE_FORMAT"),
        "accent": accent,
        "on_accent": tokens.on_accent,
        "logo": _logo_data_uri(tokens),
        "figures": figures,
        "charts": charts,
        "stores": [(row[0], money(row[1]), count_display(row[2]), money(row[3])) for row in stores.rows],
        "stores_table": stores,
        "tiers": [(row[0], count_display(row[1]), count_display(row[2]), count_display(row[3])) for row in tiers.rows],
        "tiers_table": tiers,
        "liability": dashboard.liability,
        "liability_rows": [(row[0], money(row[1])) for row in dashboard.tables["liability"].rows],
    }


def report_pdf(*, program: Program, month: date) -> bytes:
    """The PDF report of ``program`` for ``month`` (its first day), in the active language."""
    from weasyprint import HTML

    html = render_to_string("analytics/report.html", report_context(program=program, month=month))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def report_filename(program: Program, month: date) -> str:
    return f"{program.slug}-report-{month:%Y-%m}.pdf"


# Languages that write a month inside a sentence in lower case ("звіт за лютий 2026"), where Django's "F" gives
# the capitalised stand-alone name.
LOWER_CASE_MONTHS = ("ru", "uk")


def month_in_sentence(month: date) -> str:
    """``month`` as "February 2026", "лютий 2026": for a phrase like "report for …", in the active language."""
    name = date_format(month, "F")
    if translation.get_language() in LOWER_CASE_MONTHS:
        name = name.lower()
    return f"{name} {month:%Y}"


def program_owner_emails(program: Program) -> dict[str, list[str]]:
    """The e-mail addresses of ``program``'s business's active staff, by the language each reads the admin in (their
    Wagtail preference, else the site's)."""
    languages = {code for code, _name in settings.LANGUAGES}
    by_language: dict[str, set[str]] = {}
    rows = program.business.staff.filter(is_active=True).exclude(email="")
    for email, preferred in rows.values_list("email", "wagtail_userprofile__preferred_language"):
        language = preferred if preferred in languages else settings.LANGUAGE_CODE
        by_language.setdefault(language, set()).add(email)
    return {language: sorted(emails) for language, emails in sorted(by_language.items())}


def report_email(*, program: Program, month: date) -> bool:
    """E-mail ``program``'s report for ``month`` to its business's owners, once (``ReportDelivery``), each in the
    language they read the admin in (one message and one PDF per language). Returns whether it was sent now; logs and
    does nothing when reports by e-mail are off or nobody has an address."""
    if not settings.KARTKA_ANALYTICS_REPORTS_EMAIL:
        logger.info("analytics: monthly reports by e-mail are off (KARTKA_ANALYTICS_REPORTS_EMAIL)")
        return False
    if ReportDelivery.objects.filter(program=program, month=month).exists():
        return False
    audiences = program_owner_emails(program)
    recipients = [email for emails in audiences.values() for email in emails]
    if not recipients:
        logger.info("analytics: program %s has no owner with an e-mail address; report not sent", program.pk)
        return False
    try:
        with transaction.atomic():
            # The row first: a second worker running the same hour stops here instead of sending twice.
            ReportDelivery.objects.create(program=program, month=month, recipients=len(recipients), sent_at=clock.now())
            messages = []
            for language, emails in audiences.items():
                with translation.override(language):
                    pdf = report_pdf(program=program, month=month)
                    subject = _("%(program)s: report for %(month)s") % {
                        "program": program.name,
                        "month": month_in_sentence(month),
                    }
                    body = _("The monthly report of %(program)s is attached.") % {"program": program.name}
                message = EmailMessage(subject=subject, body=body, to=emails)
                message.attach(report_filename(program, month), pdf, "application/pdf")
                messages.append(message)
            # Sent once all are built: a report that fails to render sends none and is tried again next hour.
            for message in messages:
                message.send()
    except IntegrityError:
        return False
    logger.info("analytics: program %s report for %s sent to %s owners", program.pk, month, len(recipients))
    return True
