"""The registry of django-q2 schedules: apps declare theirs when they are ready, the rows are written after
``migrate``.

Declaring is pure (``schedules_register`` from an ``AppConfig.ready``: no database access there); writing the
``Schedule`` rows (``schedules_ensure``) is the post-migrate receiver's job (``programs.signals``), so one place
writes every app's schedules and no app imports another's jobs to do it.
"""

from django_q.models import Schedule

# name -> (dotted function path, schedule type, minutes)
ScheduleSpec = tuple[str, str, int | None]

_registry: dict[str, ScheduleSpec] = {}


def schedules_register(schedules: dict[str, ScheduleSpec]) -> None:
    """Add ``schedules`` (name -> (dotted function, schedule type, minutes)) to the ones written after every
    migrate. Call it from ``AppConfig.ready``; registering the same name again replaces its declaration."""
    _registry.update(schedules)


def schedules_registered() -> dict[str, ScheduleSpec]:
    return dict(_registry)


def schedules_ensure(schedules: dict[str, ScheduleSpec] | None = None) -> None:
    """Create or update the django-q2 schedules (every registered one unless ``schedules`` are given); safe to
    call repeatedly. Runs after ``migrate``, when the ``Schedule`` table exists."""
    for name, (func, schedule_type, minutes) in (_registry if schedules is None else schedules).items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1},
        )
