"""Background tasks of the directory (django-tasks): imports started from the upload page.

The page stores the file in an ImportJob row and enqueues `run_import_job`; the task runs
resources.imports.resource_import, the same function `manage.py import_resources` runs in its own
process, and writes its progress to the row as it goes, which the page polls. Nothing is kept in a
server's memory or disk, so any worker can run any job and any web server can show it.

With the database backend (django_tasks_db) a worker runs the jobs: `manage.py db_worker`.
Without a TASKS setting, django-tasks runs each task at once, in the request that enqueues it.
"""

import logging
import time

from django.utils import timezone, translation
from django_tasks import task

from districts.tables import ImportRejected
from resources.imports import ImportReport, resource_import
from resources.models import ImportJob

logger = logging.getLogger(__name__)
PROGRESS_INTERVAL = 0.5  # seconds between two progress writes: the page polls every second


def import_job_start(
    *,
    data: bytes,
    filename: str,
    user,
    dry_run: bool,
    merge_duplicates: bool,
    language: str = "",
) -> ImportJob:
    """Store the file and enqueue its import; returns the job (already finished when tasks
    run immediately)."""
    job = ImportJob.objects.create(
        data=data,
        filename=filename[:255],
        created_by=user if getattr(user, "is_authenticated", False) else None,
        dry_run=dry_run,
        merge_duplicates=merge_duplicates,
        language=language or translation.get_language() or "",
    )
    # With the database backend the task row commits with the job row (in one transaction or
    # each at once), so a worker never sees a task whose job is not there yet.
    result = run_import_job.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


@task()
def run_import_job(job_id: int) -> str:
    """Run one import job; returns its final state."""
    return import_job_run(job_id=job_id)


def import_job_run(*, job_id: int) -> str:
    job = ImportJob.objects.get(pk=job_id)
    if job.state != ImportJob.State.QUEUED:  # a task run twice must not import twice
        return job.state
    started = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.QUEUED).update(
        state=ImportJob.State.RUNNING, started_at=timezone.now()
    )
    if not started:
        return ImportJob.objects.values_list("state", flat=True).get(pk=job.pk)
    with translation.override(job.language or None):
        return _run(job)


def _run(job: ImportJob) -> str:
    progress = _ProgressWriter(job.pk)
    try:
        report = resource_import(
            source=bytes(job.data),
            filename=job.filename,
            dry_run=job.dry_run,
            merge_duplicates=job.merge_duplicates,
            progress=progress,
            user=job.created_by,
        )
        state = ImportJob.State.DONE
    except ImportRejected as rejected:
        report = getattr(rejected, "report", None) or ImportReport(problems=rejected.problems)
        state = ImportJob.State.REJECTED
    except Exception:
        # The traceback goes to the worker's log; the page says the import failed.
        logger.exception("Directory import job %s failed", job.uuid)
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED, phase="", finished_at=timezone.now()
        )
        raise
    fields = {
        "state": state,
        "phase": "",
        "report": report.as_dict(),
        "finished_at": timezone.now(),
    }
    if state == ImportJob.State.DONE and not job.dry_run:
        fields["data"] = b""  # imported: the file is no longer needed
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    return state


class _ProgressWriter:
    """resource_import's progress callback: writes to the job row, at most twice a second
    (and at each change of phase). The rows are checked outside the import's transaction, so
    other connections see these writes at once."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.phase = None
        self.written_at = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase == self.phase and now - self.written_at < PROGRESS_INTERVAL and done < total:
            return
        self.phase, self.written_at = phase, now
        ImportJob.objects.filter(pk=self.job_id).update(phase=phase, processed=done, total=total)
