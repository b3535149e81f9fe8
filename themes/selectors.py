"""Reads about themes that other screens need."""

from collections.abc import Sequence

from programs.models import Program


def programs_with_live_theme(programs: Sequence[Program]) -> set[int]:
    """Ids of ``programs`` drawn in a published theme of their own (one query): the setup checklist's item."""
    ids = [program.pk for program in programs]
    return set(Program.objects.filter(pk__in=ids, theme__live=True).order_by().values_list("pk", flat=True).distinct())
