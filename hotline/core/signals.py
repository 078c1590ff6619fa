"""Domain signals: how one domain reacts to another without importing it.

Receivers run synchronously, inside the sender's transaction, so whatever they write
(deadlines, notifications, supervision cases) commits or rolls back with the change that
caused it. A receiver must not commit; to do slow work it registers a job
(``hotline.core.jobs.enqueue``), which runs only after the commit.

Connect receivers in ``create_app`` (not at import time).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A ticket was recorded at intake.
#: sender: the Ticket (flushed, has an id and number); kwargs: ``actor``, ``now``.
ticket_created = _signals.signal("ticket-created")

#: A ticket action happened (a transition, or a recorded action such as urge or note).
#: sender: the Ticket, with every field the action set; kwargs: ``event`` (the TicketEvent,
#: with ``action``, ``from_status``, ``to_status``, ``data``), ``actor`` (None for the system),
#: ``now``.
ticket_changed = _signals.signal("ticket-changed")

#: A ticket action is about to be written: sent by the ticket services just before the flush
#: that writes it (and then ``ticket_changed`` after it), so that what a receiver changes is
#: written in the same flush. sender: the Ticket, with every field the action set; kwargs:
#: ``event`` (not flushed yet: no id), ``actor``, ``now``. A receiver that needs the event's
#: id, or rows the flush writes, listens to ``ticket_changed``.
ticket_changing = _signals.signal("ticket-changing")

#: The deadline watch (``hotline.sla``) found a deadline point passed, and recorded it for
#: the first time. Sent exactly once per (deadline, kind), in the sweep's transaction.
#: sender: the deadline row; kwargs: ``ticket_id``, ``kind`` ("warning", "overdue", "red"),
#: ``unit_id`` (the unit responsible), ``now``, ``data`` (what the ticket's events keep:
#: the deadline's id, kind and label, sequence, the unit's code, due_at and the point, as
#: ISO 8601). The tickets domain's receiver appends the ticket's events and returns the
#: ticket's number, which the sweep reports; it then sends ``deadline_reached``.
deadline_passed = _signals.signal("deadline-passed")

#: A passed deadline point is recorded on its ticket (the tickets domain, on ``deadline_passed``).
#: Sent exactly once per (deadline, kind), in the sweep's transaction, after the ticket's events.
#: sender: the deadline row; kwargs: ``ticket``, ``kind`` ("warning", "overdue", "red"),
#: ``unit_id`` (the unit responsible), ``now``.
deadline_reached = _signals.signal("deadline-reached")

#: A published knowledge-base article is past its review-by date (the hourly review-due job).
#: Sent for every such article on every run, in the job's transaction, so a receiver must
#: itself keep to once per (article, review-by date).
#: sender: the Article (``id``, ``title``, ``owner_unit`` may be None); kwargs: ``review_by``
#: (the date that has passed), ``now``.
article_review_due = _signals.signal("article-review-due")

#: An inline job failed (the embedded mode, no Redis): its transaction is rolled back.
#: Sent outside any transaction of the job; the caller commits after the receivers.
#: sender: the job's dotted path; kwargs: ``args``, ``queue``, ``job_id``, ``exc`` (the
#: exception), ``now``. The ops domain keeps it where admins see it.
job_failed = _signals.signal("job-failed")
