"""The django-q2 tasks of bulk jobs (queued by ``bulk.services``)."""

from bulk.services import job_check, job_run

__all__ = ["job_check", "job_run"]
