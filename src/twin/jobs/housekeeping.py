"""Housekeeping: keep the queue tables small by deleting long-finished jobs."""

from __future__ import annotations

import logging

from procrastinate import App, JobContext

log = logging.getLogger(__name__)

FINISHED_JOB_RETENTION_HOURS = 7 * 24
FINISHED_STATUSES = ("succeeded", "failed", "cancelled", "aborted")

# The jobs procrastinate's ``delete_old_jobs`` is about to delete (same selection:
# final status, last event older than the retention), counted per status for the log.
COUNT_OLD_JOBS_SQL = """
SELECT job.status::text AS status, count(*) AS n
FROM (
    SELECT DISTINCT ON (job.id) job.status, event.at AS latest_at
    FROM procrastinate_jobs job
    JOIN procrastinate_events event ON job.id = event.job_id
    ORDER BY job.id, event.at DESC
) AS job
WHERE job.status = ANY(%(statuses)s::procrastinate_job_status[])
  AND job.latest_at < NOW() - (%(nb_hours)s || ' HOUR')::INTERVAL
GROUP BY job.status
ORDER BY job.status
"""


async def remove_finished_jobs(
    app: App, *, older_than_hours: int = FINISHED_JOB_RETENTION_HOURS
) -> dict[str, int]:
    """Delete jobs finished more than ``older_than_hours`` ago; return the count per status."""
    rows = await app.connector.execute_query_all_async(
        query=COUNT_OLD_JOBS_SQL,
        statuses=list(FINISHED_STATUSES),
        nb_hours=older_than_hours,
    )
    counts = {str(row["status"]): int(row["n"]) for row in rows}
    await app.job_manager.delete_old_jobs(
        nb_hours=older_than_hours,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )
    return counts


async def housekeeping(context: JobContext, *, timestamp: int) -> None:
    """The hourly tick: delete jobs finished more than a week ago and log how many."""
    counts = await remove_finished_jobs(context.app)
    detail = ", ".join(f"{status} {n}" for status, n in counts.items()) or "none"
    log.info(
        "housekeeping (tick %d): deleted %d jobs finished over %d hours ago (%s)",
        timestamp,
        sum(counts.values()),
        FINISHED_JOB_RETENTION_HOURS,
        detail,
    )
