"""The periodic jobs: one list, run by the scheduler with Redis and by the embedded timer without.

``workers/schedule.py`` enqueues each on its queue once per time bucket; without Redis,
``hotline.sla.timer`` calls them in the web process (the sweep at
``HOTLINE_SWEEP_INTERVAL_SECONDS``, the others at ``every``). Every one is safe to run twice
or late: exactly-once is the database's business.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    path: str  # dotted path of a function taking no arguments
    every: int  # seconds
    queue: str
    timeout: int


SWEEP = "sla-sweep"

PERIODIC: tuple[Periodic, ...] = (
    # The deadline watch: every minute, on the escalation queue.
    Periodic(name=SWEEP, path="hotline.sla.jobs.sweep", every=60, queue="escalation", timeout=600),
    # Knowledge-base articles past their review-by date are flagged for editors and their
    # owner units told: hourly, so a new day's due articles show within the hour (flagging
    # or telling twice adds nothing).
    Periodic(
        name="kb-review-due", path="knowledge_base.tasks.flag_review_due", every=3600, queue="default", timeout=300
    ),
    # Articles without a current semantic vector (a job lost, the model missing when they
    # changed, an import with --no-vectors) are queued for embedding: hourly.
    Periodic(
        name="kb-embed-missing", path="knowledge_base.tasks.embed_missing", every=3600, queue="kb_vectors", timeout=300
    ),
    # Messages and e-supervision deliveries whose job was lost (Redis restarted, a worker was
    # killed mid-send) are queued again; a row whose job still exists is claimed by one copy only.
    Periodic(
        name="notifications-requeue",
        path="hotline.notifications.jobs.requeue_stuck",
        every=600,
        queue="notifications",
        timeout=300,
    ),
    Periodic(
        name="esup-requeue", path="hotline.supervision.jobs.requeue_stuck", every=600, queue="escalation", timeout=300
    ),
    # Hot topics: tickets whose terms a lost job or a new analyser version left behind (every 10
    # minutes), and the spike rule over the last 72 hours (every 10 minutes; it analyses the
    # window's tickets first). Both idempotent: the database keeps one term set per ticket
    # and one open spike per area/category and anchor term.
    Periodic(
        name="topics-terms-backfill",
        path="hotline.reports.topics_terms.backfill_job",
        every=600,
        queue="default",
        timeout=600,
    ),
    Periodic(
        name="topics-spikes", path="hotline.reports.topics_spikes.detect_job", every=600, queue="default", timeout=300
    ),
    # Closed months' hot topics stored for the bulletin and the page (hourly; recomputed only
    # when their terms changed).
    Periodic(
        name="topics-snapshots",
        path="hotline.reports.topics_snapshots.refresh_job",
        every=3600,
        queue="default",
        timeout=900,
    ),
)
