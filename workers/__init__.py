"""rq workers: the processes that run background jobs with an application context.

Web code never imports this package; it enqueues jobs by dotted path
(``hotline.core.jobs.enqueue``).
"""
