"""gunicorn's settings for this product, read from the working directory by default
(``gunicorn wsgi:app``; command-line options still override).

Each worker loads what the knowledge base's first search would wait for (jieba, the index,
the semantic model and the article vectors: ``knowledge_base.warmup``) after it is forked
and before it takes requests, so a worker that restarts in the middle of a shift never makes
an operator wait for a model to load. Without Redis, each worker runs the jobs its requests
queue on a background thread, after the answers (``hotline.core.jobs``).
"""


def post_worker_init(worker):
    from knowledge_base.warmup import warm_up_before_serving

    # Without Redis, a request's jobs run on the worker's background thread after its answer
    # (hotline.core.jobs), unless HOTLINE_INLINE_JOBS_BACKGROUND says otherwise.
    worker.wsgi.config.setdefault("INLINE_JOBS_BACKGROUND", True)
    warm_up_before_serving(worker.wsgi)
